/**
 * Quantizers: small strategy objects that own a range (min/max variables on
 * the layer that hosts them) and fake-quantize a tensor onto it. They differ
 * only in how a training batch updates the range.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {checkOptionKeys, describeValue, formatValue, optionKeys, ValueError} from '../errors.js';
import {deserializeRegistered} from '../graph/serialization.js';
import {fakeQuantWithMinMaxArgs, fakeQuantWithRanges, nudge} from './fake_quant_ops.js';
import {wasmMinMax} from './wasm/fake_quant_kernel.js';

type LayerVariable = tfl.LayerVariable;

/** The layer that owns a quantizer's variables (QuantizeWrapper, QuantizeLayer). */
export interface QuantizerHost {
  /** Adds a variable to the host layer; non-trainable unless asked. */
  addQuantizerWeight(name: string, shape: number[], init: number, trainable?: boolean): LayerVariable;
}

/** Variables a quantizer created in `build`, by role. */
export type QuantizerVars = Record<string, LayerVariable>;

/**
 * Fake-quantizes a tensor. Mirrors tfmot.quantization.keras.quantizers.Quantizer.
 * Subclass it for a custom scheme and register the class with
 * `tf.serialization.registerClass` so wrapped models load.
 */
export abstract class Quantizer extends tf.serialization.Serializable {
  /** Creates the variables this quantizer needs for a tensor of `shape`. */
  abstract build(shape: number[], name: string, host: QuantizerHost): QuantizerVars;
  /** Returns the fake-quantized `x`, updating the range when `training`. */
  abstract call(x: tf.Tensor, training: boolean, vars: QuantizerVars): tf.Tensor;
  /**
   * Called once with the weight's value after a model's weights are copied
   * in (quantizeApply), for quantizers that derive state from it.
   */
  initialize(_x: tf.Tensor, _vars: QuantizerVars): void {}
  /** The constructor arguments, saved in the wrapper's config so loading rebuilds the quantizer. */
  abstract override getConfig(): tf.serialization.ConfigDict;
}

/**
 * Min and max of `x` (over `axes`) as JS arrays. Run inside a custom-gradient
 * op so that, during training, the gradient tape records one node that saves
 * nothing, instead of Min/Max kernels that each copy `x` for a backward pass
 * that never comes (their outputs do not reach the loss).
 */
function observeRange(x: tf.Tensor, axes?: number[]): [Float32Array, Float32Array] {
  const whole = axes == null ? wasmMinMax(x) : null;
  if (whole != null) {
    return [Float32Array.of(whole[0]), Float32Array.of(whole[1])];
  }
  let lo = new Float32Array(0);
  let hi = new Float32Array(0);
  const op = tf.customGrad((...args: Array<tf.Tensor|tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    lo = Float32Array.from(tf.min(input, axes).dataSync());
    hi = Float32Array.from(tf.max(input, axes).dataSync());
    return {value: tf.zeros([]), gradFunc: () => [tf.zerosLike(input)]};
  });
  tf.dispose(op(x));
  return [lo, hi];
}

/** Arguments shared by the range-tracking quantizers (TFMOT's signature). */
export interface RangeQuantizerArgs {
  /** Bits of the integer grid, 2..8 (8 for int8 export). */
  numBits: number;
  /** One range per slice of the last axis (per output channel of a kernel). */
  perAxis: boolean;
  /** Range symmetric around zero (weights); otherwise min/max tracked apart. */
  symmetric: boolean;
  /** Drop the lowest code: int8 [-127, 127], as TFLite wants for weights. */
  narrowRange: boolean;
}

const RANGE_QUANTIZER_KEYS = optionKeys<RangeQuantizerArgs>(
    {numBits: true, perAxis: true, symmetric: true, narrowRange: true});

/** Every quantizer's grid: 2 to 8 bits (8 for int8 export). */
function checkNumBits(numBits: unknown, className: string): void {
  if (!Number.isInteger(numBits) || (numBits as number) < 2 || (numBits as number) > 8) {
    throw new ValueError(`${className}: numBits must be an integer in [2, 8]; received ${formatValue(numBits)}.`);
  }
}

function checkRangeArgs(args: RangeQuantizerArgs, className: string): void {
  if (args == null || typeof args !== 'object') {
    throw new ValueError(`${className} expects {numBits, perAxis, symmetric, narrowRange}.`);
  }
  checkOptionKeys(args, className === 'MovingAverageQuantizer' ? [...RANGE_QUANTIZER_KEYS, 'emaDecay'] :
      RANGE_QUANTIZER_KEYS, className);
  checkNumBits(args.numBits, className);
  for (const key of ['perAxis', 'symmetric', 'narrowRange'] as const) {
    if (typeof args[key] !== 'boolean') {
      throw new ValueError(`${className}: ${key} must be a boolean; received ${args[key]}.`);
    }
  }
}

/**
 * Base of the quantizers whose range follows the data: the batch range is
 * computed like TFMOT's `quant_ops` (0 always inside, symmetric if asked) and
 * `updateRange` folds it into the stored range.
 */
abstract class RangeQuantizer extends Quantizer {
  /** Bits of the integer grid. */
  readonly numBits: number;
  /** One range per slice of the last axis. */
  readonly perAxis: boolean;
  /** Range symmetric around zero. */
  readonly symmetric: boolean;
  /** The lowest code is dropped (int8 [-127, 127]). */
  readonly narrowRange: boolean;

  /**
   * Takes TFMOT's four arguments, all required.
   *
   * @throws ValueError if `numBits` is not an integer in [2, 8] or a flag is
   *     not a boolean.
   */
  constructor(args: RangeQuantizerArgs) {
    super();
    checkRangeArgs(args, (new.target as unknown as {className: string}).className);
    this.numBits = args.numBits;
    this.perAxis = args.perAxis;
    this.symmetric = args.symmetric;
    this.narrowRange = args.narrowRange;
  }

  /** Initial value of the stored range before any training batch. */
  protected abstract readonly initialRange: [number, number];

  /**
   * The new stored bound given the stored one and this batch's (per channel;
   * `isMin` tells which end). Ranges are a few numbers, so this runs in JS,
   * sparing a dozen tiny backend ops per step.
   */
  protected abstract updateBound(stored: number, batch: number, isMin: boolean): number;

  /** Adds `min` and `max` variables (one per channel with `perAxis`) to the host layer. */
  build(shape: number[], name: string, host: QuantizerHost): QuantizerVars {
    const varShape = this.perAxis ? [shape[shape.length - 1]] : [];
    return {
      min: host.addQuantizerWeight(`${name}_min`, varShape, this.initialRange[0]),
      max: host.addQuantizerWeight(`${name}_max`, varShape, this.initialRange[1]),
    };
  }

  /**
   * In training, widens this batch's range to contain 0 (symmetric if
   * asked), folds it into the stored range, then fake-quantizes `x` onto the
   * stored range.
   */
  call(x: tf.Tensor, training: boolean, vars: QuantizerVars): tf.Tensor {
    return tf.tidy(() => {
      let mins = vars.min.read().dataSync();
      let maxs = vars.max.read().dataSync();
      if (training) {
        const [batchMin, batchMax] = this.batchRange(x);
        mins = mins.map((m, c) => this.updateBound(m, batchMin[c], true));
        maxs = maxs.map((m, c) => this.updateBound(m, batchMax[c], false));
        const shape = vars.min.shape as number[];
        vars.min.write(tf.tensor(mins, shape));
        vars.max.write(tf.tensor(maxs, shape));
      }
      return fakeQuantWithRanges(x, mins, maxs, this.numBits, this.narrowRange, this.perAxis);
    });
  }

  /** This batch's [min, max], widened to contain 0 (and symmetric if asked). */
  private batchRange(x: tf.Tensor): [Float32Array, Float32Array] {
    const axes = this.perAxis ? [...Array(x.rank - 1).keys()] : undefined;
    const [lo, hi] = observeRange(x, axes);
    // Two's complement has one more negative code unless the range is narrow.
    const ratio = this.narrowRange ? -1 : -((2 ** this.numBits) - 2) / (2 ** this.numBits);
    for (let c = 0; c < lo.length; c++) {
      const [bMin, bMax] = [lo[c], hi[c]];
      if (this.symmetric) {
        lo[c] = Math.min(bMin, bMax / ratio);
        hi[c] = Math.max(bMax, bMin * ratio);
      } else {
        lo[c] = Math.min(bMin, 0);
        hi[c] = Math.max(bMax, 0);
      }
    }
    return [lo, hi];
  }

  /** `numBits`, `perAxis`, `symmetric` and `narrowRange`. */
  getConfig(): tf.serialization.ConfigDict {
    return {
      numBits: this.numBits,
      perAxis: this.perAxis,
      symmetric: this.symmetric,
      narrowRange: this.narrowRange,
    };
  }
}

/**
 * Range = the last training batch's range, starting at [-6, 6]. Mirrors
 * tfmot.quantization.keras.quantizers.LastValueQuantizer, TFMOT's weight
 * quantizer (a weight's "batch" is the whole weight).
 */
export class LastValueQuantizer extends RangeQuantizer {
  /** Registered with tf.serialization (package 'Tfmot') so saved QAT models containing it load back. */
  static className = 'LastValueQuantizer';
  protected readonly initialRange: [number, number] = [-6, 6];

  protected updateBound(_stored: number, batch: number): number {
    return batch;
  }
}

/** The decay TFMOT's MovingAverageQuantizer always uses. */
const TFMOT_EMA_DECAY = 0.999;

/** Arguments of {@link MovingAverageQuantizer}. */
export interface MovingAverageQuantizerArgs extends RangeQuantizerArgs {
  /**
   * Weight of the stored range in the moving average; default 0.999, the
   * value TFMOT always uses (an extension: TFMOT takes no such argument).
   */
  emaDecay?: number;
}

/**
 * Range = exponential moving average of batch ranges, starting at [-6, 6].
 * Mirrors tfmot.quantization.keras.quantizers.MovingAverageQuantizer,
 * TFMOT's activation quantizer.
 */
export class MovingAverageQuantizer extends RangeQuantizer {
  /** Registered with tf.serialization (package 'Tfmot') so saved QAT models containing it load back. */
  static className = 'MovingAverageQuantizer';
  protected readonly initialRange: [number, number] = [-6, 6];
  /** Weight of the stored range in the moving average. */
  readonly emaDecay: number;

  /**
   * Takes TFMOT's four arguments plus `emaDecay` (default 0.999).
   *
   * @throws ValueError if an argument is out of range (`emaDecay` must be in [0, 1)).
   */
  constructor(args: MovingAverageQuantizerArgs) {
    super(args);
    const decay = args.emaDecay ?? TFMOT_EMA_DECAY;
    if (!(decay >= 0 && decay < 1)) {
      throw new ValueError(
          `MovingAverageQuantizer: emaDecay must be in [0, 1); received ${args.emaDecay}.`);
    }
    this.emaDecay = decay;
  }

  protected updateBound(stored: number, batch: number): number {
    // TF's assign_moving_average: var -= (var - value) * (1 - decay).
    return Math.fround(stored - Math.fround(Math.fround(stored - batch) * Math.fround(1 - this.emaDecay)));
  }

  /**
   * The four range arguments, plus `emaDecay` unless it is TFMOT's 0.999, so
   * that a quantizer built with TFMOT's arguments has TFMOT's config.
   */
  override getConfig(): tf.serialization.ConfigDict {
    const config = super.getConfig();
    return this.emaDecay === TFMOT_EMA_DECAY ? config : {...config, emaDecay: this.emaDecay};
  }
}

/**
 * Range = min/max over every training batch seen, starting at [0, 0].
 * Mirrors tfmot.quantization.keras.quantizers.AllValuesQuantizer; the
 * default 8-bit scheme uses it for model inputs.
 */
export class AllValuesQuantizer extends RangeQuantizer {
  /** Registered with tf.serialization (package 'Tfmot') so saved QAT models containing it load back. */
  static className = 'AllValuesQuantizer';
  protected readonly initialRange: [number, number] = [0, 0];

  protected updateBound(stored: number, batch: number, isMin: boolean): number {
    return isMin ? Math.min(stored, batch) : Math.max(stored, batch);
  }
}

/** Arguments of {@link FixedQuantizer}: TFMOT's four, all required as in TFMOT. */
export interface FixedQuantizerArgs {
  /** Bits of the integer grid, 2..8 (TFMOT records it but always quantizes on 8 bits). */
  numBits: number;
  /** Lower end of the range. */
  initMin: number;
  /** Upper end of the range, > initMin. */
  initMax: number;
  /** Drop the lowest code (int8 [-127, 127] instead of [-128, 127]). */
  narrowRange: boolean;
}

const FIXED_QUANTIZER_KEYS = optionKeys<FixedQuantizerArgs>(
    {numBits: true, initMin: true, initMax: true, narrowRange: true});

/**
 * A constant range [initMin, initMax]. Mirrors
 * tfmot.quantization.keras.quantizers.FixedQuantizer, with the arithmetic of
 * TF's `fake_quant_with_min_max_args`. Used after softmax/sigmoid/tanh, whose int8
 * TFLite outputs have fixed parameters, so QAT sees the same rounding the
 * export applies.
 *
 * As in TF, the range is nudged so that 0 is exactly on the grid: a range
 * that does not contain 0 is shifted to start (or end) at 0, keeping its
 * width ([0.5, 1] quantizes onto [0, 0.5]). Unlike TFMOT, which records
 * `numBits` but always quantizes on 8 bits, the grid has `2^numBits` codes.
 *
 * ```ts
 * new FixedQuantizer({numBits: 8, initMin: -1, initMax: 1, narrowRange: false});
 * ```
 */
export class FixedQuantizer extends Quantizer {
  /** Registered with tf.serialization (package 'Tfmot') so saved QAT models containing it load back. */
  static className = 'FixedQuantizer';
  /** Bits of the integer grid. */
  readonly numBits: number;
  /** Lower end of the range. */
  readonly initMin: number;
  /** Upper end of the range. */
  readonly initMax: number;
  /** The lowest code is dropped. */
  readonly narrowRange: boolean;

  /**
   * Takes TFMOT's four arguments, all required.
   *
   * @throws ValueError if an argument is missing, `numBits` is not an
   *     integer in [2, 8], `initMin`/`initMax` are not finite numbers with
   *     initMin < initMax (TF's own check), or `narrowRange` is not a boolean.
   */
  constructor(args: FixedQuantizerArgs) {
    super();
    if (args == null || typeof args !== 'object') {
      throw new ValueError(
          `FixedQuantizer expects {numBits, initMin, initMax, narrowRange}; received ${describeValue(args)}.`);
    }
    checkOptionKeys(args, FIXED_QUANTIZER_KEYS, 'FixedQuantizer');
    const {numBits, initMin, initMax, narrowRange} = args;
    checkNumBits(numBits, 'FixedQuantizer');
    for (const [key, value] of [['initMin', initMin], ['initMax', initMax]] as const) {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new ValueError(
            `FixedQuantizer: ${key} must be a finite number; received ${formatValue(value)}.`);
      }
    }
    if (!(initMin < initMax)) {
      throw new ValueError(
          `FixedQuantizer: initMin must be smaller than initMax; received [${initMin}, ${initMax}].`);
    }
    if (typeof narrowRange !== 'boolean') {
      throw new ValueError(
          `FixedQuantizer: narrowRange must be a boolean; received ${formatValue(narrowRange)}.`);
    }
    this.numBits = numBits;
    this.initMin = initMin;
    this.initMax = initMax;
    this.narrowRange = narrowRange;
  }

  /** Creates no variables: the range is constant. */
  build(): QuantizerVars {
    return {};
  }

  /** Fake-quantizes `x` onto the fixed range, training or not. */
  call(x: tf.Tensor, _training?: boolean, _vars?: QuantizerVars): tf.Tensor {
    return fakeQuantWithMinMaxArgs(x, this.initMin, this.initMax, this.numBits, this.narrowRange);
  }

  /** `numBits`, `initMin`, `initMax` and `narrowRange`, TFMOT's config in camelCase. */
  getConfig(): tf.serialization.ConfigDict {
    return {
      numBits: this.numBits,
      initMin: this.initMin,
      initMax: this.initMax,
      narrowRange: this.narrowRange,
    };
  }
}

for (const cls of [LastValueQuantizer, MovingAverageQuantizer, AllValuesQuantizer,
  FixedQuantizer]) {
  tf.serialization.registerClass(cls, 'Tfmot');
}

/** Rebuilds a quantizer (ours or a registered custom one) from its config. */
export function deserializeQuantizer(spec: tf.serialization.ConfigDict): Quantizer {
  return deserializeRegistered<Quantizer>(spec, 'quantizer');
}

/**
 * The trained range of a quantizer; none for [0, 0], the start of a
 * running-min/max quantizer that has seen no data (fake quant then outputs
 * zeros, which no int8 file should copy).
 */
export function trainedRange(vars: QuantizerVars|undefined): [number, number]|undefined {
  if (vars?.min == null || vars.max == null) {
    return undefined;
  }
  const range: [number, number] = [vars.min.read().dataSync()[0], vars.max.read().dataSync()[0]];
  return range[0] === 0 && range[1] === 0 ? undefined : range;
}

/** Per-channel scales of a symmetric 8-bit weight quantizer, exactly as fake quant nudged them. */
export function nudgedScales(vars: QuantizerVars): number[] {
  const mins = vars.min.read().dataSync();
  const maxs = vars.max.read().dataSync();
  return Array.from(mins, (lo, c) => {
    const r = nudge(lo, maxs[c], 8, true);
    return r.degenerate ? 1 : r.scale;
  });
}
