/**
 * TFLiteConverter: Python's `tf.lite.TFLiteConverter` for tfjs LayersModels.
 * Stages: lower to the float IR -> calibrate (full integer without QAT
 * ranges) -> quantize per mode -> schema objects -> bytes. An error at any
 * stage names the stage and the layer, and no file is produced.
 */
import * as tfl from '@tensorflow/tfjs-layers';

import type {ProgressEvent} from '../../callbacks/progress_logger.js';
import {checkOptionKeys, checkStringUnion, describeValue, suggestKey, ValueError} from '../errors.js';
import {isQatModel} from '../quantization/quantize_apply.js';
import {calibrate, RepresentativeDataset} from './calibration.js';
import {IrGraph} from '../graph/ir.js';
import {lowerModel} from './lower_model.js';
import {convertToFloat16, IoType, quantizeDynamicRange, quantizeFullInteger} from './quantize_ir.js';
import {toSchemaModel} from './serialize.js';
import {writeModel} from './writer.js';

/** `tf.lite.Optimize`: put in `converter.optimizations` to quantize. */
export const Optimize = {
  /** Quantize: dynamic range, float16 or full integer, depending on the other settings (see `mode()`). */
  DEFAULT: 'DEFAULT',
} as const;
/** A key of {@link Optimize}. */
export type OptimizeName = keyof typeof Optimize;

/** `tf.lite.OpsSet`: which kernels the file may use. */
export const OpsSet = {
  /** Any builtin kernel (the default); quantized files may keep float ops. */
  TFLITE_BUILTINS: 'TFLITE_BUILTINS',
  /**
   * Integer kernels only (for int8-only accelerators): conversion fails rather
   * than write dynamic range, float16 or float32; it needs `Optimize.DEFAULT`
   * and a representativeDataset (or a QAT model).
   */
  TFLITE_BUILTINS_INT8: 'TFLITE_BUILTINS_INT8',
  /** 16x8 mode: int16 activations, int8 weights, for accuracy closer to float. */
  EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8:
      'EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8',
} as const;
/** A key of {@link OpsSet}. */
export type OpsSetName = keyof typeof OpsSet;

const VALID_IO_TYPES: readonly IoType[] = ['float32', 'int8', 'uint8', 'int16'];
const VALID_OPS_SETS = Object.keys(OpsSet) as OpsSetName[];
/** `target_spec.supported_types`: Python's tf.float16 and tf.int8 (see {@link TFLiteConverter.mode}). */
export type SupportedType = 'float16'|'int8';
const VALID_SUPPORTED_TYPES: readonly SupportedType[] = ['float16', 'int8'];

/** Checks a list option is an array of allowed strings (a bare string would be read letter by letter). */
function checkList<T extends string>(value: unknown, allowed: readonly T[], argName: string, example: string): T[] {
  if (!Array.isArray(value)) {
    throw new ValueError(
        `${argName} must be an array, e.g. ${example}; received ${describeValue(value)}.`);
  }
  return value.map((v) => checkStringUnion(v, allowed, argName));
}

/**
 * What asks for full integer only (TFLITE_BUILTINS_INT8 or supportedTypes
 * int8), or null; float16 alongside it is a contradiction, as in Python.
 */
function int8Requirement(ops: OpsSetName[], types: SupportedType[]): string|null {
  const reasons = [
    ops.includes('TFLITE_BUILTINS_INT8') ? 'targetSpec.supportedOps TFLITE_BUILTINS_INT8' : '',
    types.includes('int8') ? "targetSpec.supportedTypes ['int8']" : '',
  ].filter((r) => r !== '');
  if (types.includes('float16') && types.includes('int8')) {
    throw new ValueError("targetSpec.supportedTypes cannot hold both 'float16' and 'int8': " +
        "use ['float16'] for float16 weights or ['int8'] for full integer.");
  }
  if (types.includes('float16') && reasons.length > 0) {
    throw new ValueError(`${reasons[0]} asks for full integer, which contradicts ` +
        "targetSpec.supportedTypes ['float16']; leave supportedTypes empty or set it to ['int8'].");
  }
  return reasons.length > 0 ? reasons.join(' and ') : null;
}

/** The settings a user may assign on a converter; anything else set on it is a mistake. */
const CONVERTER_SETTINGS = ['optimizations', 'representativeDataset', 'targetSpec', 'inferenceInputType',
  'inferenceOutputType', 'onProgress'] as const;

/**
 * Rejects a property set on the converter that it does not read, e.g.
 * Python's `converter.representative_dataset = gen`, which would otherwise
 * be ignored and a different kind of file written.
 */
function checkNoUnknownSettings(converter: object): void {
  for (const key of Object.keys(converter)) {
    if (key === 'model' || (CONVERTER_SETTINGS as readonly string[]).includes(key)) {
      continue;
    }
    const hint = suggestKey(key, CONVERTER_SETTINGS);
    throw new ValueError(`TFLiteConverter: unknown setting '${key}'` +
        (hint != null ? ` (did you mean converter.${hint}?)` : ' is not read by this converter') +
        `; the settings are ${CONVERTER_SETTINGS.join(', ')}.`);
  }
}

/** What the converter will produce, decided from its settings. */
export type ConversionMode = 'float32'|'float16'|'dynamicRange'|'int8'|'int16x8';

/**
 * Progress of a conversion, for long calibrations and big models. Stages in
 * order: 'lowering', 'calibrating' (full integer from a representative
 * dataset; one unit per sample), 'quantizing' (not for float32), 'writing'.
 * Each starts with done 0 and ends with done === total; all but
 * 'calibrating' are one unit. `tfmot.callbacks.progressLogger()` prints them.
 */
export type ConversionProgress = (event: ProgressEvent) => void;

/** Converts a tfjs LayersModel to a TFLite flatbuffer. */
export class TFLiteConverter {
  /** `[Optimize.DEFAULT]` quantizes; empty writes float32. */
  optimizations: OptimizeName[] = [];
  /**
   * Samples for calibrating full-integer quantization (not needed for QAT
   * models). The converter does not dispose the tensors it is given.
   */
  representativeDataset?: RepresentativeDataset;
  /** `converter.target_spec`: the kernels and types the target runtime supports. */
  targetSpec: {
    /** Which op sets the file may use; see {@link OpsSet}. */
    supportedOps: OpsSetName[],
    /**
     * `['float16']` with `Optimize.DEFAULT` stores float16 weights; `['int8']`
     * asks for full integer, as TFLITE_BUILTINS_INT8 does (as in Python).
     */
    supportedTypes: SupportedType[],
  } = {supportedOps: ['TFLITE_BUILTINS'], supportedTypes: []};
  /** Type of the model's inputs in full-integer modes (float32 adds a QUANTIZE op). */
  inferenceInputType: IoType = 'float32';
  /** Type of the model's outputs in full-integer modes (float32 adds a DEQUANTIZE op). */
  inferenceOutputType: IoType = 'float32';
  /** Called as stages start and end and as calibration samples are done. */
  onProgress?: ConversionProgress;

  private constructor(private readonly model: tfl.LayersModel) {}

  /**
   * A converter for a built Sequential or functional model (float, or QAT
   * from `quantizeModel`).
   *
   * ```ts
   * const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(qatModel);
   * converter.optimizations = [tfmot.tflite.Optimize.DEFAULT];
   * const bytes = await converter.convert();
   * ```
   */
  static fromLayersModel(model: tfl.LayersModel): TFLiteConverter {
    if (!(model instanceof tfl.LayersModel)) {
      throw new ValueError('TFLiteConverter.fromLayersModel expects a tf.LayersModel.');
    }
    return new TFLiteConverter(model);
  }

  /** True if the model was made by quantizeModel/quantizeApply. */
  private isQat(): boolean {
    return isQatModel(this.model);
  }

  /**
   * The output this configuration produces (throws for contradictory
   * settings). Without optimizations: float32. With Optimize.DEFAULT, in
   * order: the 16x8 ops set -> 16x8; supportedTypes float16 -> float16 (also
   * for a QAT model, whose ranges are then unused); a QAT model or a
   * representativeDataset -> full int8; otherwise dynamic range (a QAT model
   * cannot be written as dynamic range). TFLITE_BUILTINS_INT8 or
   * supportedTypes int8 make float32 and dynamic range an error instead.
   */
  mode(): ConversionMode {
    checkNoUnknownSettings(this);
    if (this.targetSpec != null && typeof this.targetSpec === 'object') {
      checkOptionKeys(this.targetSpec, ['supportedOps', 'supportedTypes'], 'TFLiteConverter targetSpec');
    }
    const ops = checkList(this.targetSpec?.supportedOps, VALID_OPS_SETS, 'targetSpec.supportedOps',
        '[OpsSet.TFLITE_BUILTINS_INT8]');
    const types = checkList(this.targetSpec?.supportedTypes, VALID_SUPPORTED_TYPES,
        'targetSpec.supportedTypes', "['float16']");
    checkList(this.optimizations, ['DEFAULT'], 'optimizations', '[Optimize.DEFAULT]');
    const int8Required = int8Requirement(ops, types);
    checkStringUnion(this.inferenceInputType, VALID_IO_TYPES, 'inferenceInputType');
    checkStringUnion(this.inferenceOutputType, VALID_IO_TYPES, 'inferenceOutputType');
    const optimize = this.optimizations.includes('DEFAULT');
    let mode: ConversionMode;
    if (!optimize && int8Required != null) {
      // A float32 file would silently ignore the integer-only request.
      throw new ValueError(`Full-integer conversion (${int8Required}) needs optimizations = ` +
          '[Optimize.DEFAULT] as well; without it the converter writes float32.');
    } else if (!optimize) {
      mode = 'float32';
    } else if (ops.includes('EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8')) {
      mode = 'int16x8';
    } else if (types.includes('float16')) {
      mode = 'float16';
    } else if (this.isQat() || this.representativeDataset != null) {
      mode = 'int8';
    } else if (int8Required != null) {
      throw new ValueError(
          `Full-integer conversion (${int8Required}) needs a ` +
          'representativeDataset to calibrate activation ranges, or a QAT model.');
    } else {
      mode = 'dynamicRange';
    }
    const integerIo = (t: IoType) => t !== 'float32';
    if ((integerIo(this.inferenceInputType) || integerIo(this.inferenceOutputType)) &&
        mode !== 'int8' && mode !== 'int16x8') {
      throw new ValueError(
          `inferenceInputType/inferenceOutputType other than 'float32' need full-integer ` +
          `conversion; this configuration makes a ${mode} model.`);
    }
    return mode;
  }

  /**
   * Runs the conversion and returns the .tflite bytes.
   *
   * @throws ValueError for contradictory settings (see `mode()`), or a
   *     property set on the converter that it does not read, such as
   *     Python's `representative_dataset` or a misspelling (the message
   *     names it and the camelCase setting meant), so no different kind of
   *     file is written silently; or naming the layer whose weights are not
   *     finite, or whose activations overflow float32 on a calibration
   *     sample or in a QAT range.
   *
   * Every quantization scale written is a normal float32 of at least 2^-40
   * (LiteRT refuses subnormal or zero scales): weights or activations far
   * smaller than that (a 1e-38 kernel) are stored as zeros, which they
   * nearly are, rather than making a file LiteRT rejects.
   */
  async convert(): Promise<Uint8Array> {
    const mode = this.mode();
    if (this.onProgress != null && typeof this.onProgress !== 'function') {
      throw new ValueError('TFLiteConverter: onProgress must be a function (event) => void, e.g. ' +
          `tfmot.callbacks.progressLogger(); received ${describeValue(this.onProgress)}.`);
    }
    const progress = (name: string, done: number, total = 1) => this.onProgress?.({stage: name, done, total});
    /** A one-unit stage: reported at its start and end, its errors prefixed with its name. */
    const step = <T>(name: string, run: () => T): T => {
      progress(name, 0);
      const result = stage(name, run);
      progress(name, 1);
      return result;
    };
    const graph = step('lowering', () => lowerModel(this.model));
    if (mode === 'int8' || mode === 'int16x8') {
      await this.calibrateIfNeeded(graph, progress);
      step('quantizing', () => quantizeFullInteger(graph, mode === 'int8' ? 'int8' : 'int16',
          this.inferenceInputType, this.inferenceOutputType));
    } else if (mode === 'dynamicRange' || mode === 'float16') {
      step('quantizing', () => (mode === 'float16' ? convertToFloat16 : quantizeDynamicRange)(graph));
    }
    return step('writing', () => writeModel(toSchemaModel(graph, 'tfjs-model-optimization')));
  }

  private async calibrateIfNeeded(graph: IrGraph,
      progress: (name: string, done: number, total: number) => void): Promise<void> {
    const missing = [...graph.inputs, ...graph.ops.flatMap((o) => o.outputs)].some((t) => t.range == null);
    if (this.representativeDataset == null) {
      return;  // QAT ranges; a tensor without one fails with its name in quantization.
    }
    if (!this.isQat() || missing) {
      await calibrate(graph, this.representativeDataset, this.isQat(),
          (done, total) => progress('calibrating', done, total));
    }
  }
}

/** Runs one stage, prefixing its errors with the stage name. */
function stage<T>(name: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof Error && !e.message.startsWith('TFLiteConverter')) {
      e.message = `TFLiteConverter (${name}): ${e.message}`;
    }
    throw e;
  }
}
