/** `tfmot.tflite`: the TFLite exporter (Python's tf.lite.TFLiteConverter) and file tools. */
export {OpsSet, Optimize, TFLiteConverter} from './converter.js';
export type {ConversionMode, ConversionProgress, OpsSetName, OptimizeName} from './converter.js';
export type {ProgressCallback, RepresentativeDataset, RepresentativeSample} from './calibration.js';
export type {IoType} from './quantize_ir.js';
export {CONVERTIBLE_LAYERS} from './lower_layers.js';
export {formatSummary, inspect} from './inspect.js';
export {evaluateAccuracy, Interpreter, LiteRtError} from './interpreter.js';
export type {InterpreterOptions, TensorDetails, TfliteDType, TfliteTypedArray} from './interpreter.js';
export type {ModelSummary, OperatorSummary, TensorSummary} from './inspect.js';
export {readModel} from './reader.js';
export {writeModel} from './writer.js';
