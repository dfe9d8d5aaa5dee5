/**
 * Memory ownership of the composed wasm kernels: no leaked tensors or wasm
 * buffers, inputs never released by the kernel, outputs owned exactly once.
 */
import * as tf from '@tensorflow/tfjs-core';
import {beforeAll, describe, expect, it} from 'vitest';

import {init} from '../../src/backend/index.js';
import {randomTensor} from './helpers.js';

interface KernelCase {
  name: string;
  inputs: () => tf.NamedTensorMap;
  attrs: tf.NamedAttrMap;
}

const KERNELS: KernelCase[] = [
  {
    name: tf.Conv2DBackpropFilter,
    inputs: () => ({x: randomTensor([2, 7, 9, 3], 1), dy: randomTensor([2, 4, 5, 4], 2)}),
    attrs: {strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4]},
  },
  {
    name: tf.DepthwiseConv2dNativeBackpropFilter,
    inputs: () => ({x: randomTensor([2, 7, 9, 3], 1), dy: randomTensor([2, 4, 5, 6], 2)}),
    attrs: {strides: 2, dilations: 1, pad: 'same', filterShape: [3, 3, 3, 2]},
  },
  {
    name: tf.DepthwiseConv2dNativeBackpropInput,
    inputs: () => ({dy: randomTensor([2, 4, 5, 6], 1), filter: randomTensor([3, 3, 3, 2], 2)}),
    attrs: {strides: 2, dilations: 1, pad: 'same', inputShape: [2, 7, 9, 3]},
  },
  {
    name: tf.UnsortedSegmentSum,
    inputs: () => ({x: randomTensor([5, 3], 1), segmentIds: tf.tensor1d([0, 2, 0, -1, 1], 'int32')}),
    attrs: {numSegments: 3},
  },
];

/** Engine-level tensors and wasm-level buffers: both must return to baseline. */
function counts(): [number, number] {
  return [tf.memory().numTensors, tf.backend().numDataIds()];
}

beforeAll(async () => {
  expect(await init()).toBe('wasm');
});

describe('wasm training kernels own memory correctly', () => {
  it.each(KERNELS)('$name: one new buffer with refcount 1, inputs untouched', ({name, inputs, attrs}) => {
    const backend = tf.backend();
    const named = inputs();
    const before = counts();
    const inputValues = Object.values(named).map((t) => t.dataSync().slice());
    const out = tf.engine().runKernel(name, named, attrs) as tf.Tensor;
    expect(counts()).toEqual([before[0] + 1, before[1] + 1]);
    expect(backend.refCount(out.dataId)).toBe(1);
    for (const [i, t] of Object.values(named).entries()) {
      expect(backend.refCount(t.dataId)).toBe(1);
      expect(t.dataSync()).toEqual(inputValues[i]);
    }
    out.dispose();
    expect(counts()).toEqual(before);
    tf.dispose(Object.values(named));
  });

  it('repeated gradient calls through all four kernels keep memory constant', () => {
    const x = randomTensor<tf.Rank.R4>([2, 9, 7, 3], 1);
    const convFilter = randomTensor<tf.Rank.R4>([3, 3, 3, 4], 2);
    const depthFilter = randomTensor<tf.Rank.R4>([3, 3, 3, 2], 3);
    const table = randomTensor<tf.Rank.R2>([11, 4], 4);
    const ids = tf.tensor2d([[1, 3, 3], [0, 10, 1]], [2, 3], 'int32');
    const loss = (xIn: tf.Tensor, cf: tf.Tensor, df: tf.Tensor, emb: tf.Tensor) => tf.addN([
      tf.sum(tf.square(tf.conv2d(xIn as tf.Tensor4D, cf as tf.Tensor4D, 2, 'same'))),
      tf.sum(tf.square(tf.depthwiseConv2d(xIn as tf.Tensor4D, df as tf.Tensor4D, 2, 'valid'))),
      tf.sum(tf.square(tf.gather(emb, ids))),
    ]);
    const step = () => tf.dispose(tf.grads(loss)([x, convFilter, depthFilter, table]));
    const baseline = counts();
    for (let i = 0; i < 5; i++) {
      step();
      expect(counts()).toEqual(baseline);
    }
    tf.dispose([x, convFilter, depthFilter, table, ids]);
  });
});
