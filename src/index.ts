/**
 * tfjs-model-optimization: TFMOT-style model optimization for TensorFlow.js.
 *
 * ```ts
 * import * as tfmot from 'tfjs-model-optimization';
 * await tfmot.backend.init();
 * const qat = tfmot.quantization.quantizeModel(model);
 * ```
 */
export * as backend from './backend/index.js';
export * as callbacks from './callbacks/index.js';
export * as clustering from './clustering/index.js';
export * as data from './data/index.js';
export * as io from './io/index.js';
export * as plot from './plot/index.js';
export * as quantization from './quantization/index.js';
export * as sparsity from './pruning/index.js';
export * as summary from './summary/index.js';
export * as tflite from './tflite/index.js';
export {NotSupportedError, ValueError} from './errors.js';
export {cloneModel} from './graph/clone_model.js';
export type {Replacement} from './graph/transform_model.js';
export {report, formatReport} from './report/index.js';
export type {LayerReport, ModelReport, WeightReport} from './report/index.js';
