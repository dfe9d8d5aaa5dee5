/** Shared MNIST helpers for tests: data, training the tutorial model, accuracy of a logits model on a split. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterAll, beforeAll} from 'vitest';

import * as tfmot from '../../src/index.js';

/** Fraction of `ys` (int labels) that `model`'s argmax gets right. */
export function accuracy(model: tfl.LayersModel, xs: tf.Tensor, ys: tf.Tensor): number {
  return tf.tidy(() => {
    const logits = model.predict(xs, {batchSize: 256}) as tf.Tensor;
    return tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), ys), 'float32')).dataSync()[0];
  });
}

/** Compiles `model` for logits + one-hot labels, as the TFMOT tutorials do. */
export function compileForLogits(model: tfl.LayersModel, learningRate = 1e-3): void {
  model.compile({
    optimizer: tf.train.adam(learningRate),
    loss: tfmot.data.categoricalCrossentropyFromLogits,
    metrics: ['accuracy'],
  });
}

/**
 * The tutorial model (seeded) trained in float as the TFMOT tutorials do:
 * Adam at 1e-3, batches of 32, on `labels` (one-hot); no shuffling, so runs repeat.
 */
export async function trainTutorialModel(
    seed: number, epochs: number, xs: tf.Tensor, labels: tf.Tensor): Promise<tfl.LayersModel> {
  const model = tfmot.data.mnistTutorialModel({seed});
  compileForLogits(model);
  await model.fit(xs, labels, {epochs, batchSize: 32, shuffle: false, verbose: 0});
  return model;
}

/** Real digits for one test file: loaded before its tests, freed after. */
export interface MnistFixture {
  data: tfmot.data.MnistData;
  /** One-hot float32 labels of the training split. */
  trainLabels: tf.Tensor;
}

/**
 * Registers beforeAll/afterAll that init the backend and load a seeded
 * MNIST split; the returned object is filled in before the tests run.
 */
export function useMnist(args: tfmot.data.LoadMnistArgs): MnistFixture {
  const fixture = {} as MnistFixture;
  beforeAll(async () => {
    await tfmot.backend.init();
    fixture.data = tfmot.data.loadMnist(args);
    fixture.trainLabels = tfmot.data.oneHotLabels(fixture.data.train.ys);
  });
  afterAll(() => {
    const {train, test} = fixture.data;
    tf.dispose([train.xs, train.ys, test.xs, test.ys, fixture.trainLabels]);
  });
  return fixture;
}
