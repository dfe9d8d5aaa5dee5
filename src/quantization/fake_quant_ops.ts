/**
 * Fake quantization with TensorFlow's exact numerics
 * (`tf.quantization.fake_quant_with_min_max_vars[_per_channel]`).
 *
 * The range [min, max] is first "nudged" so that real 0.0 lands exactly on an
 * integer of the grid [qmin, qmax]; values are then clamped to the nudged range
 * and rounded half-up onto the grid. The output is `(q - zeroPoint) * scale`
 * exactly, the value an int8 TFLite kernel dequantizes to. The gradient is
 * straight-through inside the nudged range and zero outside it.
 *
 * The nudge works on a handful of numbers, so it runs in plain JS (float32
 * rounding after each step, as TF's C++ does); the per-element work is a few
 * backend ops, which keeps QAT's step close to the float model's.
 */
import * as tf from '@tensorflow/tfjs-core';

import {ValueError} from '../errors.js';
import {wasmFakeQuant} from './wasm/fake_quant_kernel.js';

const f32 = Math.fround;

/** Integer grid of a `numBits` quantizer in TF's unsigned convention. */
export function quantRange(numBits: number, narrowRange: boolean): [number, number] {
  if (!Number.isInteger(numBits) || numBits < 2 || numBits > 16) {
    throw new ValueError(`numBits must be an integer in [2, 16]; received ${numBits}.`);
  }
  return [narrowRange ? 1 : 0, 2 ** numBits - 1];
}

/** TF's nudged quantization parameters for one range. */
export interface NudgedRange {
  /** The real value of the lowest code: min moved so that 0 is exactly representable. */
  nudgedMin: number;
  /** The real value of the highest code. */
  nudgedMax: number;
  /** Real value of one step of the grid. */
  scale: number;
  /** `(qmax - qmin) / (max - min)`, computed apart from `1 / scale` as TF does. */
  invScale: number;
  /** Zero point on the unsigned grid [qmin, qmax] (int8 stores it minus 128). */
  zeroPoint: number;
  /** `zeroPoint - qmin`: where real 0 sits counting from the lowest code. */
  quantZero: number;
  /** min == max == 0: TF outputs zeros and passes the whole gradient. */
  degenerate: boolean;
}

/**
 * TF's `Nudge()` in float32: scale, zero point and nudged range of [min, max].
 * Exposed to compute the (scale, zero point) a range exports with.
 *
 * ```ts
 * nudge(-0.1, 63.65, 8, false);  // {scale: 0.25, zeroPoint: 0, nudgedMin: 0, nudgedMax: 63.75, ...}
 * ```
 */
export function nudge(min: number, max: number, numBits: number, narrowRange: boolean): NudgedRange {
  const [qmin, qmax] = quantRange(numBits, narrowRange);
  const degenerate = min === 0 && max === 0;
  // A zero-width range would divide by zero; TF returns zeros for [0, 0], so
  // a unit width keeps the arithmetic finite and `degenerate` says the rest.
  const width = min === max ? 1 : f32(max - min);
  const scale = f32(width / (qmax - qmin));
  const zeroPointFromMin = f32(qmin - f32(min / scale));
  // std::round: half away from zero; the value is >= qmin >= 0 when used.
  const zeroPoint = zeroPointFromMin < qmin ? qmin :
      zeroPointFromMin > qmax ? qmax : Math.floor(f32(zeroPointFromMin + 0.5));
  return {
    nudgedMin: f32((qmin - zeroPoint) * scale),
    nudgedMax: f32((qmax - zeroPoint) * scale),
    scale,
    invScale: f32((qmax - qmin) / width),
    zeroPoint,
    quantZero: zeroPoint - qmin,
    degenerate,
  };
}

/**
 * Fake-quantizes `x` onto the grid of `[min, max]`. Mirrors
 * tf.quantization.fake_quant_with_min_max_vars (and its _per_channel form),
 * with TF's nudging and rounding, and the straight-through gradient.
 *
 * `min`/`max` are scalars (per-tensor) or vectors of length `x.shape[-1]`
 * (per-axis along the last axis). `numBits` in [2, 16]; `narrowRange` drops
 * the lowest code (int8 [-127, 127] instead of [-128, 127]).
 *
 * ```ts
 * const y = fakeQuantWithMinMaxVars(tf.tensor([-1, 0.3, 7]), tf.scalar(-1), tf.scalar(1));
 * ```
 */
export function fakeQuantWithMinMaxVars(
    x: tf.Tensor, min: tf.Tensor, max: tf.Tensor, numBits = 8,
    narrowRange = false): tf.Tensor {
  const perAxis = min.rank > 0;
  if (perAxis && (min.rank !== 1 || x.shape[x.rank - 1] !== min.shape[0])) {
    throw new ValueError(
        `Per-axis fake quantization needs min/max of shape [${x.shape[x.rank - 1]}] ` +
        `(the last axis of the input ${JSON.stringify(x.shape)}); received ` +
        `${JSON.stringify(min.shape)}.`);
  }
  return fakeQuantWithRanges(x, min.dataSync(), max.dataSync(), numBits, narrowRange, perAxis);
}

/**
 * Fake-quantizes `x` onto the fixed range [min, max]. Mirrors
 * tf.quantization.fake_quant_with_min_max_args (TFMOT's FixedQuantize): the
 * nudge of fakeQuantWithMinMaxVars, but TF's kernel multiplies by the float32
 * inverse of the scale instead of dividing by it, which can round a value
 * lying half way between two codes the other way.
 *
 * @throws ValueError unless min < max (TF's own check).
 */
export function fakeQuantWithMinMaxArgs(
    x: tf.Tensor, min: number, max: number, numBits: number, narrowRange: boolean): tf.Tensor {
  if (!(min < max)) {
    throw new ValueError(`fakeQuantWithMinMaxArgs: min must be smaller than max; received [${min}, ${max}].`);
  }
  const r = nudge(min, max, numBits, narrowRange);
  const invScale = f32(1 / r.scale);
  const quantZero = Math.floor(f32(f32(-r.nudgedMin * invScale) + 0.5));
  // The per-axis paths multiply by invScale; one range broadcasts over every element.
  const ranges = [{...r, invScale, quantZero}];
  return x.size <= JS_MAX_SIZE ? fakeQuantInJs(x, ranges, true) : fakeQuantPerAxis(x, ranges);
}

/**
 * Fake quantization for ranges already on the JS side (quantizers keep them
 * there between steps): one range, or one per slice of the last axis.
 */
export function fakeQuantWithRanges(
    x: tf.Tensor, mins: ArrayLike<number>, maxs: ArrayLike<number>, numBits: number,
    narrowRange: boolean, perAxis: boolean): tf.Tensor {
  const ranges = Array.from(mins, (lo, c) => nudge(lo, maxs[c], numBits, narrowRange));
  if (x.size <= JS_MAX_SIZE) {
    return fakeQuantInJs(x, ranges, perAxis);
  }
  return perAxis ? fakeQuantPerAxis(x, ranges) : fakeQuantPerTensor(x, ranges[0]);
}

/**
 * Below this size (weights, small activations) a JS loop beats a dozen
 * backend ops, whose fixed per-op cost dominates on small tensors.
 */
const JS_MAX_SIZE = 4096;

/**
 * Fake-quantizes elements `start, start + stride, ...` of `xs` (one channel)
 * into `out`, and writes the straight-through mask into `pass`. TF divides
 * by the scale per-tensor and multiplies by the separately computed inverse
 * per-channel; both are mirrored so results agree bit for bit.
 */
function quantizeChannel(xs: Float32Array, out: Float32Array, pass: Float32Array, start: number,
    stride: number, r: NudgedRange, perAxis: boolean): void {
  if (r.degenerate) {
    for (let i = start; i < xs.length; i += stride) {
      out[i] = 0;
      pass[i] = 1;
    }
    return;
  }
  const {nudgedMin: lo, nudgedMax: hi, scale, invScale, quantZero} = r;
  for (let i = start; i < xs.length; i += stride) {
    const v = xs[i];
    const inside = v >= lo && v <= hi;
    const shifted = f32((inside ? v : v < lo ? lo : hi) - lo);
    const steps = perAxis ? f32(shifted * invScale) : f32(shifted / scale);
    out[i] = Math.floor(f32(f32(steps - quantZero) + 0.5)) * scale;
    pass[i] = inside ? 1 : 0;
  }
}

function fakeQuantInJs(x: tf.Tensor, ranges: NudgedRange[], perAxis: boolean): tf.Tensor {
  const op = tf.customGrad((...args: Array<tf.Tensor|tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const xs = input.dataSync() as Float32Array;
    const out = new Float32Array(xs.length);
    const pass = new Float32Array(xs.length);
    ranges.forEach((r, c) => quantizeChannel(xs, out, pass, c, ranges.length, r, perAxis));
    const mask = tf.tensor(pass, input.shape);
    save([mask]);
    mask.dispose();
    return {
      value: tf.tensor(out, input.shape),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, saved[0])],
    };
  });
  return op(x);
}

/** Gradient of the straight-through estimator: dy where lo <= x <= hi. */
function passInside(dy: tf.Tensor, x: tf.Tensor, lo: number|tf.Tensor, hi: number|tf.Tensor) {
  // step(v) is 1 for v > 0 only, so the bounds themselves pass, as in TF;
  // step() runs much faster than boolean comparisons on wasm.
  const outside = tf.add(tf.step(tf.sub(x, hi)), tf.step(tf.sub(lo, x)));
  return tf.mul(dy, tf.sub(1, outside));
}

function fakeQuantPerTensor(x: tf.Tensor, r: NudgedRange): tf.Tensor {
  const op = tf.customGrad((...args: Array<tf.Tensor|tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const fused = r.degenerate ? null : wasmFakeQuant(input, r);
    if (fused != null) {
      const [value, mask] = fused;
      save([mask]);
      mask.dispose();
      return {value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, saved[0])]};
    }
    save([input]);
    const value = r.degenerate ? tf.zerosLike(input) : tf.tidy(() => {
      const shifted = tf.sub(tf.clipByValue(input, r.nudgedMin, r.nudgedMax), r.nudgedMin);
      const steps = tf.div(shifted, r.scale);
      const q = tf.floor(tf.add(tf.sub(steps, r.quantZero), 0.5));
      return tf.mul(q, r.scale);
    });
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          [r.degenerate ? dy : passInside(dy, saved[0], r.nudgedMin, r.nudgedMax)],
    };
  });
  return op(x);
}

function fakeQuantPerAxis(x: tf.Tensor, ranges: NudgedRange[]): tf.Tensor {
  // Degenerate channels get the range [0, 0] (all zeros) in the forward pass
  // and an unbounded one in the backward pass, as TF does.
  const pick = (f: (r: NudgedRange) => number, ifDegenerate: number) =>
      tf.tensor1d(ranges.map((r) => r.degenerate ? ifDegenerate : f(r)));
  const op = tf.customGrad((...args: Array<tf.Tensor|tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const value = tf.tidy(() => {
      const lo = pick((r) => r.nudgedMin, 0);
      const clamped = tf.minimum(tf.maximum(input, lo), pick((r) => r.nudgedMax, 0));
      const steps = tf.mul(tf.sub(clamped, lo), pick((r) => r.invScale, 1));
      const q = tf.floor(tf.add(tf.sub(steps, pick((r) => r.quantZero, 0)), 0.5));
      return tf.mul(q, pick((r) => r.scale, 1));
    });
    const lo = pick((r) => r.nudgedMin, -Infinity);
    const hi = pick((r) => r.nudgedMax, Infinity);
    save([input, lo, hi]);
    tf.dispose([lo, hi]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [passInside(dy, saved[0], saved[1], saved[2])],
    };
  });
  return op(x);
}
