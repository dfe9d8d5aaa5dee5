/**
 * A clustering training step reads nothing back: weights snap to centroids
 * and centroid gradients are summed with tensor ops (scatterND, not the
 * wasm unsortedSegmentSum kernel, which reads its ids back). Centroids are
 * initialized once, when the model is clustered, before training.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterEach, beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {AfterEachBatch, countReads, perBatch, ReadCounter} from '../helpers/read_counter.js';
import {seeded} from '../helpers/models.js';

const BATCHES = 5;

/** Conv2D 4 (3x3) -> Flatten -> Dense 10 on [8, 8, 1]. */
function convNet(): tfl.LayersModel {
  return tfl.sequential({layers: [
    tfl.layers.conv2d({inputShape: [8, 8, 1], filters: 4, kernelSize: 3, kernelInitializer: seeded(3), name: 'conv'}),
    tfl.layers.flatten(),
    tfl.layers.dense({units: 10, kernelInitializer: seeded(4), name: 'dense'}),
  ]});
}

let counter: ReadCounter|null = null;
afterEach(() => {
  counter?.restore();
  counter = null;
});

/** Tensor reads in each batch of one fit() epoch, after the first batch. */
async function engineReadsPerBatch(model: tfl.LayersModel): Promise<number[]> {
  const xs = tf.randomUniform([BATCHES * 4, 8, 8, 1], 0, 1, 'float32', 2);
  const ys = tf.oneHot(tf.tensor1d(Array.from({length: BATCHES * 4}, (_, i) => i % 10), 'int32'), 10);
  model.compile({optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy'});
  const snapshots: number[] = [];
  counter = countReads();
  const c = counter;
  await model.fit(xs, ys, {epochs: 1, batchSize: 4, shuffle: false, verbose: 0,
    callbacks: [new AfterEachBatch(() => snapshots.push(c.engine))]});
  c.restore();
  tf.dispose([xs, ys]);
  return perBatch(snapshots);
}

beforeAll(async () => {
  await tfmot.backend.init();
});

describe('a clustering training step', () => {
  const cases: Array<[string, Omit<tfmot.clustering.ClusterParams, 'numberOfClusters'>]> = [
    ['per tensor, SUM', {}],
    ['per channel, AVG gradients', {clusterPerChannel: true, clusterGradientAggregation: 'AVG'}],
    ['preserveSparsity', {preserveSparsity: true}],
  ];
  for (const [name, params] of cases) {
    it(`${name}: no tensor read after the first batch, and the centroids train`, async () => {
      const model = tfmot.clustering.clusterWeights(convNet(), {numberOfClusters: 4, ...params});
      const centroids = () => model.trainableWeights.filter((w) => w.name.includes('cluster_centroids'))
          .map((w) => Array.from(w.read().dataSync()));
      const before = centroids();
      expect(await engineReadsPerBatch(model)).toEqual(new Array(BATCHES - 1).fill(0));
      expect(centroids()).not.toEqual(before);
      model.dispose();
    });
  }
});
