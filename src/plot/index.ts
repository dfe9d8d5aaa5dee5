/**
 * `tfmot.plot`: SVG charts and HTML/text tables of results, dependency-free,
 * for notebooks (tslab `display.html`) and console scripts.
 *
 * @module
 */
export {escapeXml, lineChart, scatterChart} from './chart.js';
export type {ChartSpec, Series} from './chart.js';
export {htmlTable, textTable} from './table.js';
export type {Cell} from './table.js';
