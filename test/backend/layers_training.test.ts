/**
 * End to end: the tfjs-layers layers that need the new kernels produce the
 * same weight gradients on wasm as on cpu, and training on wasm does not leak.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import {init} from '../../src/backend/index.js';
import {expectResultsClose, randomTensor, runOn} from './helpers.js';
import type {Result} from './helpers.js';

function convModel(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({inputShape: [9, 7, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu'}),
      tfl.layers.depthwiseConv2d({kernelSize: 3, depthMultiplier: 2, padding: 'valid'}),
      tfl.layers.separableConv2d({filters: 5, kernelSize: 2, depthMultiplier: 3, padding: 'same'}),
      tfl.layers.conv2dTranspose({filters: 3, kernelSize: 3, strides: 3, padding: 'valid'}),
      tfl.layers.flatten(),
      tfl.layers.dense({units: 2}),
    ],
  });
}

function embeddingModel(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.embedding({inputDim: 13, outputDim: 4, inputLength: 5}),
      tfl.layers.flatten(),
      tfl.layers.dense({units: 1}),
    ],
  });
}

/**
 * Gradients of a squared-error loss with respect to every trainable weight,
 * for a model built on `backend` with the given initial weights.
 */
async function weightGradients(
    backend: 'wasm' | 'cpu', build: () => tfl.Sequential, weights: Result[],
    input: () => tf.Tensor): Promise<Result[]> {
  await tf.setBackend(backend);
  const model = build();
  model.setWeights(weights.map((w) => tf.tensor(w.values, w.shape)));
  const results = await runOn(backend, () => {
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const {grads} = tf.variableGrads(
        () => tf.sum(tf.square(model.apply(input()) as tf.Tensor)) as tf.Scalar, variables);
    return variables.map((v) => grads[v.name]);
  });
  model.dispose();
  return results;
}

async function initialWeights(build: () => tfl.Sequential): Promise<Result[]> {
  await tf.setBackend('wasm');
  const model = build();
  const weights = model.getWeights().map(
      (w) => ({shape: w.shape.slice(), values: (w.dataSync() as Float32Array).slice()}));
  model.dispose();
  return weights;
}

beforeAll(async () => {
  expect(await init()).toBe('wasm');
});

describe('tfjs-layers gradients on wasm match cpu', () => {
  it('Conv2D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose', async () => {
    const weights = await initialWeights(convModel);
    const input = () => randomTensor([3, 9, 7, 3], 1);
    expectResultsClose(
        await weightGradients('wasm', convModel, weights, input),
        await weightGradients('cpu', convModel, weights, input), 1e-5);
  });

  it('Embedding', async () => {
    const weights = await initialWeights(embeddingModel);
    // Repeated ids: their gradients must add up.
    const input = () => tf.tensor2d([[1, 4, 4, 12, 0], [4, 7, 1, 1, 2], [0, 0, 9, 3, 4]]);
    expectResultsClose(
        await weightGradients('wasm', embeddingModel, weights, input),
        await weightGradients('cpu', embeddingModel, weights, input), 1e-5);
  });
});

describe('training on wasm', () => {
  it('fits the conv model with a stable tensor count after the first step', async () => {
    await tf.setBackend('wasm');
    const model = convModel();
    model.compile({optimizer: 'adam', loss: 'meanSquaredError'});
    const x = randomTensor([8, 9, 7, 3], 2);
    const y = randomTensor([8, 2], 3);
    const losses: number[] = [];
    const tensorCounts: number[] = [];
    for (let step = 0; step < 4; step++) {
      losses.push(await model.trainOnBatch(x, y) as number);
      tensorCounts.push(tf.memory().numTensors);
    }
    // Adam creates its moment tensors on the first step only.
    expect(new Set(tensorCounts.slice(1)).size).toBe(1);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[3]).toBeLessThan(losses[0]);
    model.dispose();
    tf.dispose([x, y]);
  });
});
