/**
 * Shared helpers for the clustering tests: seeded values and data, reading
 * a wrapper's centroids and clustered weights back as plain numbers.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import * as tfmot from '../../src/index.js';

type ClusterWeights = tfmot.clustering.ClusterWeights;

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

/** The clustering wrappers of a model. */
export function wrappersOf(model: tfl.LayersModel): ClusterWeights[] {
  return model.layers.filter((l): l is ClusterWeights => l instanceof tfmot.clustering.ClusterWeights);
}

/** A wrapper's weight variable by its name suffix (`kernel`, `kernel_cluster_centroids`...). */
export function variable(wrapper: tfl.layers.Layer, suffix: string): tfl.LayerVariable {
  // Names of weights made after others of the same name get a '_<k>' suffix.
  const found = wrapper.weights.find((v) => new RegExp(`/${suffix}(_\\d+)?$`).test(v.name));
  if (found == null) {
    throw new Error(`no weight '${suffix}' in ${wrapper.weights.map((v) => v.name).join(', ')}`);
  }
  return found;
}

/** A variable's values as plain numbers. */
export function values(v: tfl.LayerVariable): number[] {
  return Array.from(v.read().dataSync());
}

/** The centroids of a wrapper's first clustered weight, one row per channel. */
export function centroidRows(wrapper: ClusterWeights): number[][] {
  return variable(wrapper, '\\w+_cluster_centroids').read().arraySync() as number[][];
}

/** The clustered value of a wrapper's first clustered weight. */
export function clusteredValue(wrapper: ClusterWeights): {values: Float32Array, shape: number[]} {
  return tf.tidy(() => {
    const [{value}] = wrapper.clusteredValues();
    return {values: Float32Array.from(value.dataSync()), shape: value.shape};
  });
}

/** Values of a [..., channels] array grouped by its last axis. */
export function byChannel(flat: ArrayLike<number>, channels: number): number[][] {
  const rows: number[][] = Array.from({length: channels}, () => []);
  for (let i = 0; i < flat.length; i++) {
    rows[i % channels].push(flat[i]);
  }
  return rows;
}

/** Index of the nearest centroid (first on ties, as argMin). */
export function nearest(w: number, centroids: number[]): number {
  let best = 0;
  for (let j = 1; j < centroids.length; j++) {
    if (Math.abs(w - centroids[j]) < Math.abs(w - centroids[best])) {
      best = j;
    }
  }
  return best;
}

/** model.predict as plain numbers. */
export function predictValues(model: tfl.LayersModel, xs: tf.Tensor): Float32Array {
  return tf.tidy(() => Float32Array.from((model.predict(xs) as tf.Tensor).dataSync()));
}

/** Largest |a - b| over two arrays of equal length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  return worst;
}
