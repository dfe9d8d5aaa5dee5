/**
 * QAT must not leak tensors: the count is flat from epoch to epoch of `fit`
 * (after Adam's moments appear in epoch 1), and repeated predict/evaluate
 * calls leave it unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {convBnReluModel, randomTensor} from './helpers.js';

let mnist: tfmot.data.MnistData;
let ys: tf.Tensor2D;

beforeAll(async () => {
  await tfmot.backend.init();
  mnist = tfmot.data.loadMnist({numTrain: 256, numTest: 64, seed: 3});
  ys = tfmot.data.oneHotLabels(mnist.train.ys);
});

afterAll(() => {
  tf.dispose([mnist.train.xs, mnist.train.ys, mnist.test.xs, mnist.test.ys, ys]);
});

/** tf.memory().numTensors at the end of each epoch of `fit`. */
async function tensorsPerEpoch(
    model: tfl.LayersModel, xs: tf.Tensor, targets: tf.Tensor, epochs: number): Promise<number[]> {
  const counts: number[] = [];
  await model.fit(xs, targets, {
    epochs,
    batchSize: 32,
    verbose: 0,
    callbacks: {onEpochEnd: async () => {
      counts.push(tf.memory().numTensors);
    }},
  });
  return counts;
}

describe('QAT memory', () => {
  it('fit keeps numTensors constant after the first epoch (tutorial model)', async () => {
    const qat = tfmot.quantization.quantizeModel(tfmot.data.mnistTutorialModel({seed: 6}));
    qat.compile({optimizer: 'adam', loss: tfmot.data.categoricalCrossentropyFromLogits,
      metrics: ['accuracy']});
    const counts = await tensorsPerEpoch(qat, mnist.train.xs, ys, 3);
    expect(counts).toHaveLength(3);
    expect(counts[1]).toBe(counts[0]);
    expect(counts[2]).toBe(counts[0]);
  });

  it('fit keeps numTensors constant with a folded BatchNorm', async () => {
    const qat = tfmot.quantization.quantizeModel(convBnReluModel('softmax'));
    qat.compile({optimizer: 'adam', loss: 'categoricalCrossentropy'});
    const xs = randomTensor([96, 8, 8, 3], 30);
    const targets = tf.oneHot(tf.tensor1d(Array.from({length: 96}, (_, i) => i % 5), 'int32'), 5);
    const counts = await tensorsPerEpoch(qat, xs, targets, 3);
    expect(counts[2]).toBe(counts[0]);
    tf.dispose([xs, targets]);
  });

  it('quantizeModel, a fit and dispose leave no tensors behind', async () => {
    const model = tfmot.data.mnistTutorialModel({seed: 8});
    const before = tf.memory().numTensors;
    const qat = tfmot.quantization.quantizeModel(model);
    qat.compile({optimizer: 'adam', loss: tfmot.data.categoricalCrossentropyFromLogits});
    await qat.fit(mnist.train.xs, ys, {epochs: 1, batchSize: 64, verbose: 0});
    qat.dispose();  // also disposes its 'adam' optimizer, which it owns
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('predict and evaluate in a loop do not grow numTensors', async () => {
    const qat = tfmot.quantization.quantizeModel(tfmot.data.mnistTutorialModel({seed: 7}));
    qat.compile({optimizer: 'adam', loss: tfmot.data.categoricalCrossentropyFromLogits,
      metrics: ['accuracy']});
    const testYs = tfmot.data.oneHotLabels(mnist.test.ys);
    // One warm-up call of each, then the count must stay put.
    tf.dispose(qat.predict(mnist.test.xs) as tf.Tensor);
    tf.dispose(qat.evaluate(mnist.test.xs, testYs) as tf.Scalar[]);
    const start = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      tf.dispose(qat.predict(mnist.test.xs, {batchSize: 16}) as tf.Tensor);
      tf.dispose(qat.evaluate(mnist.test.xs, testYs, {batchSize: 16}) as tf.Scalar[]);
      tf.dispose(qat.predictOnBatch(mnist.test.xs) as tf.Tensor);
      expect(tf.memory().numTensors).toBe(start);
    }
    testYs.dispose();
  });

  it('training-mode calls (range updates) do not leak', () => {
    const qat = tfmot.quantization.quantizeModel(tfmot.data.mnistTutorialModel({seed: 8}));
    const xs = mnist.test.xs;
    tf.tidy(() => {
      qat.apply(xs, {training: true});
    });
    const start = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      tf.dispose(qat.apply(xs, {training: true}) as tf.Tensor);
    }
    expect(tf.memory().numTensors).toBe(start);
  });
});
