/** formatReport: a ModelReport as a printable table. */
import type {ModelReport} from './report.js';

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

/**
 * One row per weight tensor (its layer, shape, stored type and bits,
 * parameters, sparsity, distinct values and the most distinct values in one
 * output channel), then the model's totals and sizes.
 *
 * ```ts
 * console.log(tfmot.formatReport(tfmot.report(model)));
 * ```
 */
export function formatReport(r: ModelReport): string {
  const header = ['layer', 'weight', 'shape', 'type', 'bits', 'params', 'sparsity', 'distinct', 'max/channel'];
  const rows: string[][] = [];
  for (const layer of r.layers) {
    layer.weights.forEach((w, i) => {
      const short = w.name.startsWith(`${layer.name}/`) ? w.name.slice(layer.name.length + 1) : w.name;
      rows.push([i === 0 ? (layer.name.startsWith(layer.kind) ? layer.name : `${layer.name} (${layer.kind})`) : '', short, `[${w.shape.join(',')}]`, w.type,
        String(w.bits), String(w.params), percent(w.sparsity), String(w.distinctValues),
        w.maxDistinctPerChannel == null ? '-' : String(w.maxDistinctPerChannel)]);
    });
  }
  const numeric = new Set([4, 5, 6, 7, 8]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) => `  ${cells.map((cell, c) =>
    numeric.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])).join('  ').trimEnd()}`;
  const title = r.source === 'TFLite' ? 'TFLite file' : `LayersModel '${r.name}'`;
  return [
    `${title}: ${r.totalParams} parameters in ${r.layers.reduce((n, l) => n + l.weights.length, 0)} weight ` +
        `tensors, ${percent(r.sparsity)} zeros; ${r.weightBytes} bytes of weights`,
    line(header),
    ...rows.map(line),
    `  size: ${r.rawBytes} bytes raw, ${r.gzippedBytes} bytes gzipped (${r.sizeNote})`,
  ].join('\n');
}
