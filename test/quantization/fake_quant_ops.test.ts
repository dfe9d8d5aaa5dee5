import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-layers registers the gradients of core ops, as in every real use.
import '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import {fakeQuantWithMinMaxVars, nudge} from '../../src/quantization/fake_quant_ops.js';

// Expected values below are worked out by hand from TF's Nudge() rules:
// scale = (max - min) / (qmax - qmin), zero point rounded half-up and clamped
// to [qmin, qmax], values clamped to the nudged range and rounded half-up.
function fq(xs: number[], min: number, max: number, numBits = 8, narrow = false): number[] {
  return tf.tidy(() => Array.from(fakeQuantWithMinMaxVars(
      tf.tensor1d(xs), tf.scalar(min), tf.scalar(max), numBits, narrow).dataSync()));
}

describe('fakeQuantWithMinMaxVars', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('needs no nudging when the zero point is already an integer', () => {
    // Range [-10, 53.75], scale 1/4, zero point 40.
    expect(fq([-10.1, -10.0, -9.9, -9.75, 53.75, 53.8], -10, 53.75))
        .toEqual([-10, -10, -10, -9.75, 53.75, 53.75]);
  });

  it('nudges the zero point down onto the grid', () => {
    // Range [-0.1, 63.65], scale 1/4, zero point 0.4 -> 0, nudged to [0, 63.75].
    expect(fq([-0.1, 0.0, 0.1, 0.25, 63.75, 63.8], -0.1, 63.65))
        .toEqual([0, 0, 0, 0.25, 63.75, 63.75]);
  });

  it('nudges the zero point up onto the grid', () => {
    // Range [-0.126, 63.624], scale 1/4, zero point 0.504 -> 1, nudged [-0.25, 63.5].
    expect(fq([-0.26, -0.25, -0.24, 0.0, 63.5, 63.6], -0.126, 63.624))
        .toEqual([-0.25, -0.25, -0.25, 0.0, 63.5, 63.5]);
  });

  it('shifts a range with min > 0 to start at zero', () => {
    // Range [2, 65.75] has scale 1/4; zero point -8 clamps to 0: [0, 63.75].
    expect(fq([-1, 0, 1.1, 63.75, 70], 2, 65.75)).toEqual([0, 0, 1, 63.75, 63.75]);
  });

  it('shifts a range with max < 0 to end at zero', () => {
    // Range [-65.75, -2]: zero point clamps to 255, nudged [-63.75, 0].
    expect(fq([-70, -63.75, -1.1, 0, 5], -65.75, -2)).toEqual([-63.75, -63.75, -1, 0, 0]);
  });

  it('returns zeros when min == max == 0', () => {
    expect(fq([-3, 0, 2.5], 0, 0)).toEqual([0, 0, 0]);
  });

  it('uses [1, 255] with narrow range: symmetric int8 [-127, 127]', () => {
    // Range [-1.27, 1.27] over 254 steps: scale 0.01, zero point 128.
    const out = fq([-2, -1.27, -0.004, 0.006, 1.27, 3], -1.27, 1.27, 8, true);
    const expected = [-1.27, -1.27, 0, 0.01, 1.27, 1.27];
    out.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
  });

  it('supports fewer bits', () => {
    // 4 bits: range [0, 15] scale 1, zero point 0.
    expect(fq([-1, 0.49, 0.5, 7.2, 15, 99], 0, 15, 4)).toEqual([0, 0, 1, 7, 15, 15]);
  });

  it('is exactly an integer multiple of the scale (what int8 dequantizes to)', () => {
    const scale = 0.7 / 255;
    const out = fq([0.123, 0.456, 0.6999, -0.05], -0.2, 0.5);
    for (const v of out) {
      const steps = v / scale;
      expect(Math.abs(steps - Math.round(steps))).toBeLessThan(1e-3);
    }
  });

  it('quantizes per axis along the last dimension', () => {
    const x = tf.tensor2d([[-1, 0.3], [0.52, -0.3], [2, 9]]);
    // Channel 0: [-1, 1] narrow: scale 2/254. Channel 1: [0, 2.55] wide: scale 0.01.
    const y = tf.tidy(() => fakeQuantWithMinMaxVars(
        x, tf.tensor1d([-1, 0]), tf.tensor1d([1, 2.55]), 8, true).arraySync()) as number[][];
    const s0 = 2 / 254;
    expect(y[0][0]).toBeCloseTo(-1, 6);
    expect(y[1][0]).toBeCloseTo(Math.round(0.52 / s0) * s0, 6);
    expect(y[2][0]).toBeCloseTo(1, 6);
    // Narrow range on [0, 2.55]: 254 steps of 0.01004, zero point 1 (int code 1).
    const s1 = 2.55 / 254;
    expect(y[0][1]).toBeCloseTo(Math.round(0.3 / s1) * s1, 6);
    expect(y[1][1]).toBeCloseTo(0, 6);
    expect(y[2][1]).toBeCloseTo(254 * s1, 5);
    x.dispose();
  });

  it('rejects per-axis ranges that do not match the last axis', () => {
    const x = tf.zeros([2, 3]);
    expect(() => fakeQuantWithMinMaxVars(x, tf.zeros([2]), tf.ones([2])))
        .toThrow(/shape \[3\]/);
    x.dispose();
  });

  it('has a straight-through gradient inside the nudged range, zero outside', () => {
    const g = tf.grad(
        (x: tf.Tensor) => fakeQuantWithMinMaxVars(x, tf.scalar(-0.1), tf.scalar(63.65)));
    // Nudged range [0, 63.75] (see above): the bounds themselves pass.
    const grads = g(tf.tensor1d([-0.1, 0, 30, 63.75, 63.8])).dataSync();
    expect(Array.from(grads)).toEqual([0, 1, 1, 1, 0]);
  });

  it('passes the whole gradient when min == max == 0', () => {
    const g = tf.grad((x: tf.Tensor) => fakeQuantWithMinMaxVars(x, tf.scalar(0), tf.scalar(0)));
    expect(Array.from(g(tf.tensor1d([-2, 0, 3])).dataSync())).toEqual([1, 1, 1]);
  });

  it('computes TF nudged ranges', () => {
    const r = nudge(-0.1, 63.65, 8, false);
    expect(r).toMatchObject({nudgedMin: 0, nudgedMax: 63.75, scale: 0.25, zeroPoint: 0});
    // In float32, 1 / (2/255) is 127.49999: TF nudges [-1, 1] to zero point 127.
    expect(nudge(-1, 1, 8, false).zeroPoint).toBe(127);
    // Symmetric narrow range lands on int8 zero point 0 (unsigned 128).
    expect(nudge(-0.5, 0.5, 8, true).zeroPoint).toBe(128);
  });

  it('gives bit-identical results and gradients on large tensors (backend ops) and small ones (JS)', () => {
    // The whole tensor takes the backend-op path; chunks of 2048 elements
    // take the JS path (see JS_MAX_SIZE).
    const x = tf.mul(tf.randomNormal([512, 256], 0, 1, 'float32', 3), 2);
    const halves = tf.split(x, 64, 0);
    const cases: Array<[tf.Tensor, tf.Tensor, boolean]> = [
      [tf.scalar(-1.7), tf.scalar(2.3), false],
      [tf.scalar(0), tf.scalar(0), false],
      [tf.linspace(-3, -0.5, 256), tf.linspace(0.5, 4, 256), true],
      [tf.zeros([256]), tf.zeros([256]), true],
    ];
    for (const [min, max, narrow] of cases) {
      const f = (t: tf.Tensor) => fakeQuantWithMinMaxVars(t, min, max, 8, narrow);
      // A non-uniform upstream gradient shows the mask, not just its sum.
      const g = (t: tf.Tensor) => tf.grad((u: tf.Tensor) => tf.mul(f(u), u))(t);
      const whole = f(x).dataSync();
      const parts = halves.flatMap((h) => Array.from(f(h).dataSync()));
      expect(Array.from(whole)).toEqual(parts);
      const wholeGrad = g(x).dataSync();
      const partGrads = halves.flatMap((h) => Array.from(g(h).dataSync()));
      expect(Array.from(wholeGrad)).toEqual(partGrads);
    }
    tf.dispose([x, ...halves, ...cases.flat().filter((t) => t instanceof tf.Tensor)]);
  });

  it('does not leak tensors', () => {
    const x = tf.randomNormal([64]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        fakeQuantWithMinMaxVars(x, tf.scalar(-1), tf.scalar(1));
      });
      tf.dispose(tf.grad((t: tf.Tensor) => fakeQuantWithMinMaxVars(t, tf.scalar(-1), tf.scalar(1)))(x));
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
