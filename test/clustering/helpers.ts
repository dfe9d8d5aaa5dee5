/**
 * Shared helpers for the clustering tests: reading a wrapper's centroids and
 * clustered weights back as plain numbers. Seeded values and data are in
 * ../helpers/models.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import * as tfmot from '../../src/index.js';

type ClusterWeights = tfmot.clustering.ClusterWeights;

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
