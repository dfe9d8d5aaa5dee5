/**
 * Fake quantization with TensorFlow's exact numerics
 * (`tf.quantization.fake_quant_with_min_max_vars[_per_channel]`).
 *
 * The range [min, max] is first "nudged" so that real 0.0 lands exactly on an
 * integer of the grid [qmin, qmax]; values are then clamped to the nudged range
 * and rounded half-up onto the grid. The output is `(q - zeroPoint) * scale`
 * exactly, the value an int8 TFLite kernel will dequantize to. The gradient is
 * straight-through inside the nudged range and zero outside it.
 */
import * as tf from '@tensorflow/tfjs-core';

import {ValueError} from '../errors.js';

/** Integer grid of a `numBits` quantizer in TF's unsigned convention. */
export function quantRange(numBits: number, narrowRange: boolean): [number, number] {
  if (!Number.isInteger(numBits) || numBits < 2 || numBits > 16) {
    throw new ValueError(`numBits must be an integer in [2, 16]; received ${numBits}.`);
  }
  return [narrowRange ? 1 : 0, 2 ** numBits - 1];
}

/** Nudged range of one quantizer, as tensors shaped like its min/max. */
export interface NudgedRange {
  nudgedMin: tf.Tensor;
  nudgedMax: tf.Tensor;
  scale: tf.Tensor;
  /** `(qmax - qmin) / (max - min)`, computed apart from `1 / scale` as TF does. */
  invScale: tf.Tensor;
  /** `zeroPoint - qmin`: the grid offset of real 0.0 (an integer). */
  quantZero: tf.Tensor;
  /** 1 where min == max == 0 (TF outputs zeros there), else 0. */
  degenerate: tf.Tensor;
}

/**
 * TF's `Nudge()`: the scale and the nudged min/max for `[min, max]`.
 * Works element-wise, so min/max may be scalars or per-channel vectors.
 */
export function nudge(
    min: tf.Tensor, max: tf.Tensor, numBits: number, narrowRange: boolean): NudgedRange {
  const [qmin, qmax] = quantRange(numBits, narrowRange);
  return tf.tidy(() => {
    const degenerate = tf.cast(tf.logicalAnd(tf.equal(min, 0), tf.equal(max, 0)), 'float32');
    // A zero-width range would divide by zero; TF returns zeros there, so any
    // finite stand-in scale works as long as `degenerate` masks the result.
    const width = tf.where(tf.equal(max, min), tf.onesLike(max), tf.sub(max, min));
    const scale = tf.div(width, qmax - qmin);
    const invScale = tf.div(qmax - qmin, width);
    const zeroPointFromMin = tf.sub(qmin, tf.div(min, scale));
    // Round half away from zero (std::round); the value is >= qmin >= 0 here.
    const zeroPoint = tf.clipByValue(tf.floor(tf.add(zeroPointFromMin, 0.5)), qmin, qmax);
    const nudgedMin = tf.mul(tf.sub(qmin, zeroPoint), scale);
    const nudgedMax = tf.mul(tf.sub(qmax, zeroPoint), scale);
    const quantZero = tf.sub(zeroPoint, qmin);
    return {nudgedMin, nudgedMax, scale, invScale, quantZero, degenerate};
  });
}

/**
 * Fake-quantizes `x` onto the grid of `[min, max]`.
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
  const op = tf.customGrad((...args: Array<tf.Tensor|tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const {nudgedMin, nudgedMax, scale, invScale, quantZero, degenerate} =
        nudge(min, max, numBits, narrowRange);
    const clamped = tf.minimum(tf.maximum(input, nudgedMin), nudgedMax);
    const shifted = tf.sub(clamped, nudgedMin);
    // TF divides by the scale per-tensor but multiplies by the separately
    // computed inverse per-channel; mirror both so results agree bit for bit.
    const steps = perAxis ? tf.mul(shifted, invScale) : tf.div(shifted, scale);
    const q = tf.floor(tf.add(tf.sub(steps, quantZero), 0.5));
    const value = tf.mul(tf.mul(q, scale), tf.sub(1, degenerate));
    // Saved tensors outlive the caller's tidy until backprop has run.
    save([input, nudgedMin, nudgedMax, degenerate]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, lo, hi, zeroRange] = saved;
        const inside = tf.logicalAnd(tf.greaterEqual(xs, lo), tf.lessEqual(xs, hi));
        // Where the range is degenerate TF passes the whole gradient through.
        const pass = tf.maximum(tf.cast(inside, 'float32'), zeroRange);
        return [tf.mul(dy, pass)];
      },
    };
  });
  return tf.tidy(() => op(x));
}
