/**
 * `tfmot.tflite`: the TFLite exporter (Python's `tf.lite.TFLiteConverter`),
 * the `Interpreter` that runs files in LiteRT.js, and tools that read files
 * back (`inspect`, `formatSummary`, `readModel`).
 *
 * ```ts
 * const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(model);
 * converter.optimizations = [tfmot.tflite.Optimize.DEFAULT];
 * const bytes = await converter.convert();
 * const accuracy = await tfmot.tflite.evaluateAccuracy(bytes, testXs, testLabels);
 * ```
 *
 * @packageDocumentation
 */
export {OpsSet, Optimize, TFLiteConverter} from './converter.js';
export type {ConversionMode, ConversionProgress, OpsSetName, OptimizeName, SupportedType} from './converter.js';
export type {ProgressCallback, RepresentativeDataset, RepresentativeSample} from './calibration.js';
export type {IoType} from './quantize_ir.js';
export {CONVERTIBLE_LAYERS} from './lower_model.js';
export {TFLITE_OPERATORS} from '../graph/ir.js';
export type {IrOpType as TfliteOperatorName} from '../graph/ir.js';
export {formatSummary, inspect} from './inspect.js';
export {evaluateAccuracy, Interpreter, LiteRtCrash, LiteRtError, setLiteRtWasmPath} from './interpreter.js';
export type {InterpreterOptions, TensorDetails, TfliteDType, TfliteTypedArray} from './interpreter.js';
export type {ModelSummary, OperatorSummary, TensorSummary} from './inspect.js';
export {readModel} from './reader.js';
export {writeModel} from './writer.js';
