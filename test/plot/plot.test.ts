import {describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';

const {lineChart, scatterChart, htmlTable, textTable} = tfmot.plot;

/** [x, y] of every <circle> in an SVG string. */
const circles = (svg: string) => [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [+m[1], +m[2]]);

describe('plot charts', () => {
  const spec = {
    title: 'Sparsity <over> steps', xLabel: 'step', yLabel: 'sparsity',
    series: [{name: 'conv', points: [[0, 0.5], [100, 0.7], [200, 0.8]] as [number, number][]},
      {name: 'dense', points: [[0, 0.5], [200, 0.8]] as [number, number][]}],
  };

  it('draws one marker per point inside the plot area, higher y higher up', () => {
    const svg = lineChart(spec);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const pts = circles(svg);
    expect(pts).toHaveLength(5);
    for (const [x, y] of pts) {
      expect(x).toBeGreaterThanOrEqual(64);
      expect(x).toBeLessThanOrEqual(560 - 16);
      expect(y).toBeGreaterThanOrEqual(34);
      expect(y).toBeLessThanOrEqual(320 - 46);
    }
    // conv points: x increases left to right, y 0.5 -> 0.8 moves up (smaller pixel y).
    expect(pts[0][0]).toBeLessThan(pts[1][0]);
    expect(pts[0][1]).toBeGreaterThan(pts[2][1]);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('Sparsity &lt;over&gt; steps');
  });

  it('scatter draws markers without lines and writes point labels', () => {
    const svg = scatterChart({series: [{name: 'modes', points: [[82000, 0.93], [22000, 0.929]], labels: ['float32', 'int8']}]});
    expect(svg).not.toContain('<polyline');
    expect(circles(svg)).toHaveLength(2);
    expect(svg).toContain('>int8</text>');
    expect(svg).toMatch(/>\d+k<\/text>/);  // large x ticks abbreviated
  });

  it('a fixed range places the ends of the axis at the plot edges', () => {
    const svg = lineChart({series: [{name: 's', points: [[0, 0], [1, 1]]}], xRange: [0, 1], yRange: [0, 1]});
    expect(circles(svg)).toEqual([[64, 274], [544, 34]]);
  });

  it('rejects bad input, naming what is wrong', () => {
    expect(() => lineChart({series: []})).toThrow(/no points/);
    expect(() => lineChart({series: [{name: 'a', points: [[0, NaN]]}]})).toThrow(/'a' has a non-finite point/);
    expect(() => scatterChart({series: [{name: 'a', points: [[0, 1]], labels: []}]})).toThrow(/0 labels for 1 points/);
    expect(() => lineChart({...spec, yRange: [1, 0]})).toThrow(/yRange must be \[min, max\]/);
    expect(() => lineChart({...spec, width: 10})).toThrow(/width and height/);
  });
});

describe('plot tables', () => {
  it('html escapes text and right-aligns numbers', () => {
    const html = htmlTable(['mode', 'bytes'], [['<int8>', 22000]]);
    expect(html).toContain('&lt;int8&gt;');
    expect(html).toContain('text-align:right;padding:2px 10px">22000</td>');
    expect(html.match(/<tr>/g)).toHaveLength(1);
  });

  it('text pads columns to equal width', () => {
    expect(textTable(['mode', 'bytes'], [['float32', 82000], ['int8', 22]])).toBe(
        'mode     bytes\n-------  -----\nfloat32  82000\nint8        22');
  });

  it('rejects a row of the wrong length', () => {
    expect(() => textTable(['a', 'b'], [['x']])).toThrow(/row 0 has 1 cells but the header has 2 columns/);
    expect(() => htmlTable([], [])).toThrow(/header is empty/);
  });
});
