/**
 * Seeded values, data and initializers for small test models, and model
 * outputs as plain numbers (shared by the pruning and clustering tests).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Deterministic values in [-1, 1) (an LCG), so every test is reproducible. */
export function lcg(n: number, seed: number): Float32Array {
  const values = new Float32Array(n);
  let state = seed >>> 0;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state / 2 ** 31 - 1;
  }
  return values;
}

/** A seeded Glorot initializer. */
export const seeded = (seed: number) => tfl.initializers.glorotUniform({seed});

/** Inputs [n, ...shape] and one-hot targets over `classes`, both seeded. */
export function dataset(n: number, shape: number[], classes: number, seed: number): {xs: tf.Tensor, ys: tf.Tensor} {
  const size = shape.reduce((a, b) => a * b, 1);
  const xs = tf.tensor(lcg(n * size, seed), [n, ...shape]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({length: n}, (_, i) => (i * 7 + seed) % classes),
      'int32'), classes));
  return {xs, ys};
}

/** model.predict as plain numbers. */
export function predictValues(model: tfl.LayersModel, xs: tf.Tensor): Float32Array {
  return tf.tidy(() => Float32Array.from((model.predict(xs) as tf.Tensor).dataSync()));
}
