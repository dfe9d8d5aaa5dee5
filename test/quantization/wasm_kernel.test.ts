/**
 * The SIMD fake-quant kernel on the wasm backend computes exactly what the
 * tfjs-op path computes on the cpu backend (TF's float32 arithmetic).
 */
import * as tf from '@tensorflow/tfjs-core';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {wasmFakeQuant, wasmMinMax} from '../../src/quantization/wasm/fake_quant_kernel.js';

const {fakeQuantWithMinMaxVars} = tfmot.quantization;

/** Runs `f` on the given backend with a copy of `x`, returning plain arrays. */
async function on<T>(backend: string, x: Float32Array, shape: number[],
    f: (t: tf.Tensor) => T): Promise<T> {
  await tf.setBackend(backend);
  const t = tf.tensor(x, shape);
  try {
    return f(t);
  } finally {
    t.dispose();
  }
}

describe('wasm fake-quant kernel', () => {
  // 2^17 + 3 elements: large enough for the kernel, and a tail past the SIMD lanes.
  const shape = [131075];
  let x: Float32Array;

  beforeAll(async () => {
    await tfmot.backend.init();
    x = tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 5), 3).dataSync() as Float32Array);
    // Put values exactly on range bounds and grid ties too.
    x.set([-1.7, 2.3, 0, 0.5, -0.25], 0);
  });

  it('is used on wasm and absent elsewhere', async () => {
    expect(await on('wasm', x, shape, (t) => wasmMinMax(t) != null)).toBe(true);
    expect(await on('cpu', x, shape, (t) => wasmMinMax(t))).toBeNull();
    await tf.setBackend('wasm');
  });

  for (const [min, max] of [[-1.7, 2.3], [-0.1, 63.65], [2, 65.75], [-65.75, -2], [-6, 6]]) {
    it(`matches the cpu op path bit for bit on [${min}, ${max}], values and gradient`, async () => {
      const run = (t: tf.Tensor) => tf.tidy(() => {
        const f = (u: tf.Tensor) => fakeQuantWithMinMaxVars(u, tf.scalar(min), tf.scalar(max));
        // A non-uniform upstream gradient shows the mask element by element.
        const grad = tf.grad((u: tf.Tensor) => tf.mul(f(u), u))(t);
        return [Array.from(f(t).dataSync()), Array.from(grad.dataSync())];
      });
      const [wasmValues, wasmGrad] = await on('wasm', x, shape, run);
      const [cpuValues, cpuGrad] = await on('cpu', x, shape, run);
      expect(wasmValues).toEqual(cpuValues);
      expect(wasmGrad).toEqual(cpuGrad);
      await tf.setBackend('wasm');
    });
  }

  it('finds min and max in one pass', async () => {
    const [lo, hi] = (await on('wasm', x, shape, (t) => wasmMinMax(t)))!;
    expect(lo).toBe(x.reduce((a, v) => Math.min(a, v)));
    expect(hi).toBe(x.reduce((a, v) => Math.max(a, v)));
  });

  it('does not leak tensors or wasm buffers', async () => {
    await tf.setBackend('wasm');
    const t = tf.tensor(x, shape);
    const before = tf.memory().numTensors;
    const params = {nudgedMin: -1, nudgedMax: 1, scale: 2 / 255, quantZero: 127};
    for (let i = 0; i < 3; i++) {
      tf.dispose(wasmFakeQuant(t, params)!);
      wasmMinMax(t);
      tf.tidy(() => {
        tf.grad((u: tf.Tensor) => fakeQuantWithMinMaxVars(u, tf.scalar(-1), tf.scalar(1)))(t);
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    t.dispose();
  });
});
