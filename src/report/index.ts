/** `tfmot.report` / `tfmot.formatReport`: weight statistics and sizes of a model or a .tflite file. */
export {formatReport} from './format.js';
export {report} from './report.js';
export type {LayerReport, ModelReport, WeightReport} from './report.js';
