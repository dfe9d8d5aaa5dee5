/**
 * Small self-contained SVG charts, so notebooks (tslab's `display.html`) and
 * scripts can show accuracy-vs-size or sparsity-over-steps without a browser:
 * tfjs-vis needs a DOM, and a plotting stack would be a heavy dependency for
 * two kinds of chart.
 */

import {checkOptionKeys, optionKeys, ValueError} from '../errors.js';

/** One named series of points. */
export interface Series {
  /** Shown in the legend. */
  name: string;
  /** `[x, y]` pairs, finite numbers; a line chart joins them in this order. */
  points: ReadonlyArray<readonly [number, number]>;
  /** A label written next to each point (same length as points), e.g. the model's name. */
  labels?: readonly string[];
}

/** What to draw: series, titles and optional fixed axis ranges. */
export interface ChartSpec {
  /** The series to draw, each in its own color. */
  series: readonly Series[];
  /** Bold title above the chart. */
  title?: string;
  /** Label under the x axis. */
  xLabel?: string;
  /** Label beside the y axis. */
  yLabel?: string;
  /** [min, max] of the x axis; default: the data range, widened to round ticks. */
  xRange?: readonly [number, number];
  /** [min, max] of the y axis; default: the data range, widened to round ticks. */
  yRange?: readonly [number, number];
  /** Pixels; default 560 x 320. */
  width?: number;
  /** Pixels; default 320. */
  height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const MARGIN = {left: 64, right: 16, top: 34, bottom: 46};

/** Lines through each series' points, with a marker on every point. */
export function lineChart(spec: ChartSpec): string {
  return chart(spec, true);
}

/** Markers only (no lines), each with its label if given: e.g. accuracy against file size per export mode. */
export function scatterChart(spec: ChartSpec): string {
  return chart(spec, false);
}

const SPEC_KEYS = optionKeys<ChartSpec>({series: true, title: true, xLabel: true, yLabel: true, xRange: true,
  yRange: true, width: true, height: true});
const SERIES_KEYS = optionKeys<Series>({name: true, points: true, labels: true});

function chart(spec: ChartSpec, lines: boolean): string {
  checkOptionKeys(spec, SPEC_KEYS, 'chart spec');
  for (const s of Array.isArray(spec?.series) ? spec.series : []) {
    checkOptionKeys(s, SERIES_KEYS, 'chart series');
  }
  const {width = 560, height = 320} = spec;
  checkSpec(spec, width, height);
  const all = spec.series.flatMap((s) => s.points);
  const xs = axis(spec.xRange ?? extent(all.map((p) => p[0])));
  const ys = axis(spec.yRange ?? extent(all.map((p) => p[1])));
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => MARGIN.left + (x - xs.min) / (xs.max - xs.min) * plotW;
  const py = (y: number) => MARGIN.top + plotH - (y - ys.min) / (ys.max - ys.min) * plotH;

  const parts: string[] = [];
  for (const t of xs.ticks) {
    parts.push(`<line x1="${f(px(t))}" y1="${MARGIN.top}" x2="${f(px(t))}" y2="${MARGIN.top + plotH}" stroke="#e5e5e5"/>`,
        `<text x="${f(px(t))}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${tickText(t, xs.step)}</text>`);
  }
  for (const t of ys.ticks) {
    parts.push(`<line x1="${MARGIN.left}" y1="${f(py(t))}" x2="${MARGIN.left + plotW}" y2="${f(py(t))}" stroke="#e5e5e5"/>`,
        `<text x="${MARGIN.left - 6}" y="${f(py(t) + 4)}" text-anchor="end">${tickText(t, ys.step)}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`);
  spec.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const coords = s.points.map(([x, y]) => `${f(px(x))},${f(py(y))}`);
    if (lines && coords.length > 1) {
      // Dashes tell apart series that lie on top of each other.
      const dash = ['', ' stroke-dasharray="7 4"', ' stroke-dasharray="2 3"'][i % 3];
      parts.push(`<polyline points="${coords.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    }
    s.points.forEach(([x, y], j) => {
      parts.push(`<circle cx="${f(px(x))}" cy="${f(py(y))}" r="${lines ? 2.5 : 4}" fill="${color}"/>`);
      const label = s.labels?.[j];
      if (label) parts.push(`<text x="${f(px(x) + 6)}" y="${f(py(y) - 6)}">${escapeXml(label)}</text>`);
    });
    parts.push(`<rect x="${MARGIN.left + 8}" y="${MARGIN.top + 8 + 16 * i}" width="10" height="10" fill="${color}"/>`,
        `<text x="${MARGIN.left + 22}" y="${MARGIN.top + 17 + 16 * i}">${escapeXml(s.name)}</text>`);
  });
  if (spec.title) parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(spec.title)}</text>`);
  if (spec.xLabel) parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
  if (spec.yLabel) {
    parts.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="sans-serif" font-size="11">\n${parts.join('\n')}\n</svg>`;
}

function checkSpec(spec: ChartSpec, width: number, height: number): void {
  if (!(width > MARGIN.left + MARGIN.right && height > MARGIN.top + MARGIN.bottom)) {
    throw new ValueError(`chart: width and height must exceed ${MARGIN.left + MARGIN.right} x ${MARGIN.top + MARGIN.bottom} pixels, got ${width} x ${height}`);
  }
  if (spec.series.length === 0 || spec.series.every((s) => s.points.length === 0)) {
    throw new ValueError('chart: series has no points; pass at least one series with at least one [x, y] point');
  }
  for (const s of spec.series) {
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        throw new ValueError(`chart: series '${s.name}' has a non-finite point [${x}, ${y}]; every x and y must be a finite number`);
      }
    }
    if (s.labels && s.labels.length !== s.points.length) {
      throw new ValueError(`chart: series '${s.name}' has ${s.labels.length} labels for ${s.points.length} points; give one label per point`);
    }
  }
  for (const [name, range] of [['xRange', spec.xRange], ['yRange', spec.yRange]] as const) {
    if (range && !(Number.isFinite(range[0]) && Number.isFinite(range[1]) && range[0] < range[1])) {
      throw new ValueError(`chart: ${name} must be [min, max] with finite min < max, got [${range.join(', ')}]`);
    }
  }
}

function extent(values: number[]): [number, number] {
  let lo = Math.min(...values), hi = Math.max(...values);
  if (lo === hi) {  // one value: give the axis some width around it
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  return [lo, hi];
}

/** Round tick spacing (1, 2 or 5 times a power of ten) giving about 5 ticks, and the range widened to it. */
function axis([lo, hi]: readonly [number, number]): {min: number, max: number, step: number, ticks: number[]} {
  const raw = (hi - lo) / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const min = Math.floor(lo / step + 1e-9) * step, max = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = min; t <= max + step / 2; t += step) ticks.push(t);
  return {min, max: max > min ? max : min + step, step, ticks};
}

const f = (v: number) => v.toFixed(1);

function tickText(t: number, step: number): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const abs = Math.abs(t);
  if (abs >= 1e6 && step >= 1e5) return `${+(t / 1e6).toFixed(Math.max(0, decimals - 6))}M`;
  if (abs >= 1e4 && step >= 1e3) return `${+(t / 1e3).toFixed(Math.max(0, decimals - 3))}k`;
  return t.toFixed(Math.min(decimals, 10));
}

/** Escapes text for an SVG or HTML text node or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;'})[c]!);
}
