import * as tf from '@tensorflow/tfjs-core';
import {beforeAll, describe, expect, it} from 'vitest';

import {init} from '../../src/backend/index.js';
import {expectResultsClose, expectWasmMatchesCpu, randomTensor, runOn} from './helpers.js';

beforeAll(async () => {
  expect(await init()).toBe('wasm');
});

describe('UnsortedSegmentSum kernel on wasm', () => {
  it('sums duplicate ids and leaves unused segments at zero', async () => {
    const [result] = await runOn('wasm', () => tf.unsortedSegmentSum(
        tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]), tf.tensor1d([0, 2, 0, 2], 'int32'), 4));
    expect(result.shape).toEqual([4, 2]);
    expect(Array.from(result.values)).toEqual([6, 8, 0, 0, 10, 12, 0, 0]);
  });

  it.each([
    {name: 'rank 1 x', xShape: [9], ids: [3, 0, 1, 1, 3, 0, 2, 4, 4], numSegments: 5},
    {name: 'rank 2 x', xShape: [6, 4], ids: [0, 2, 0, 1, 2, 2], numSegments: 3},
    {name: 'rank 3 x', xShape: [5, 3, 2], ids: [1, 1, 0, 6, 3], numSegments: 7},
    {name: 'ids out of range (dropped)', xShape: [6, 3], ids: [-1, 0, 3, 1, 5, 0], numSegments: 3},
  ])('matches cpu for $name', async ({xShape, ids, numSegments}) => {
    await expectWasmMatchesCpu(() => tf.unsortedSegmentSum(
        randomTensor(xShape, 1), tf.tensor1d(ids, 'int32'), numSegments));
  });

  it('matches cpu for int32 x', async () => {
    await expectWasmMatchesCpu(() => tf.unsortedSegmentSum(
        tf.tensor2d([[1, -2], [3, 4], [5, 6]], [3, 2], 'int32'), tf.tensor1d([1, 1, 0], 'int32'), 2));
  });

  it('handles rank-2 segment ids (a prefix of x\'s shape) like their flattened form', async () => {
    // tfjs-backend-cpu mis-broadcasts ids of rank > 1, so the reference is
    // the same sum with ids and x flattened to rank 1.
    const ids = [[0, 3, 3], [1, 0, 2]];
    const wasm = await runOn('wasm', () => tf.engine().runKernel(
        tf.UnsortedSegmentSum,
        {x: randomTensor([2, 3, 4], 2), segmentIds: tf.tensor2d(ids, [2, 3], 'int32')},
        {numSegments: 4}) as tf.Tensor);
    const cpu = await runOn('cpu', () => tf.unsortedSegmentSum(
        tf.reshape(randomTensor([2, 3, 4], 2), [6, 4]), tf.tensor1d(ids.flat(), 'int32'), 4));
    expectResultsClose(wasm, cpu);
  });

  it('returns zeros for empty segment ids', async () => {
    const [result] = await runOn('wasm', () => tf.unsortedSegmentSum(
        tf.zeros([0, 3]), tf.tensor1d([], 'int32'), 2));
    expect(result.shape).toEqual([2, 3]);
    expect(Array.from(result.values)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('gather gradients on wasm (public tf.grads path)', () => {
  it.each([
    {name: 'Embedding lookup: 2-D ids, axis 0', xShape: [11, 4], indicesShape: [3, 5], axis: 0, batchDims: 0},
    {name: 'axis 1', xShape: [3, 7, 2], indicesShape: [6], axis: 1, batchDims: 0},
    // batchDims 1 is left out: its gradient calls the chained x.split(),
    // which tfjs-core alone does not install (fails on every backend).
  ])('dx matches cpu: $name', async ({xShape, indicesShape, axis, batchDims}) => {
    const size = indicesShape.reduce((a, b) => a * b, 1);
    // Repeated ids exercise the summation of duplicates.
    const ids = Array.from({length: size}, (_, i) => (i * 5 + 2) % xShape[axis]);
    await expectWasmMatchesCpu(() => {
      const indices = tf.tensor(ids, indicesShape, 'int32');
      const outShape = tf.gather(tf.zeros(xShape), indices, axis, batchDims).shape;
      const weights = randomTensor(outShape, 3);
      return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.gather(x, indices, axis, batchDims), weights)))(
          randomTensor(xShape, 4));
    });
  });
});
