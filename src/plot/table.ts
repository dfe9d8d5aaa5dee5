/** Tables of results as HTML (notebook output) or aligned text (console). */
import {ValueError} from '../errors.js';
import {escapeXml} from './chart.js';

/** A cell: text is shown as is, numbers are right-aligned. */
export type Cell = string|number;

function checkTable(header: readonly string[], rows: ReadonlyArray<readonly Cell[]>): void {
  if (header.length === 0) throw new ValueError('table: header is empty; give at least one column name');
  rows.forEach((row, i) => {
    if (row.length !== header.length) {
      throw new ValueError(`table: row ${i} has ${row.length} cells but the header has ${header.length} columns`);
    }
  });
}

/** An HTML <table> (numbers right-aligned), for tslab's `display.html` or any page. */
export function htmlTable(header: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  checkTable(header, rows);
  const cell = (tag: string, c: Cell) =>
    `<${tag} style="text-align:${typeof c === 'number' ? 'right' : 'left'};padding:2px 10px">${escapeXml(String(c))}</${tag}>`;
  return [
    '<table style="border-collapse:collapse;font-family:sans-serif;font-size:12px">',
    `<thead><tr style="border-bottom:1px solid #444">${header.map((h) => cell('th', h)).join('')}</tr></thead>`,
    `<tbody>${rows.map((row) => `<tr>${row.map((c) => cell('td', c)).join('')}</tr>`).join('')}</tbody>`,
    '</table>',
  ].join('\n');
}

/** Columns padded to equal width (numbers right-aligned), for console output. */
export function textTable(header: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  checkTable(header, rows);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => String(row[c]).length)));
  const line = (cells: readonly Cell[]) => cells.map((c, i) =>
    typeof c === 'number' ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
