import * as tf from '@tensorflow/tfjs-core';
import {beforeAll, describe, expect, it} from 'vitest';

import {init} from '../../src/backend/index.js';
import {convOutShape, expectWasmMatchesCpu, randomTensor} from './helpers.js';

const STRIDES = [1, 2, 3];
const PADS = ['same', 'valid'] as const;
// Odd, even and non-square filters; 1x1 is the pointwise half of SeparableConv2D.
const FILTERS: Array<[number, number]> = [[1, 1], [2, 2], [3, 3], [3, 2], [5, 4]];
// [N, H, W, Cin] with odd sizes and batch > 1.
const INPUTS = [[2, 7, 9, 3], [1, 8, 8, 2], [3, 9, 7, 1]];
const OUT_CHANNELS = 4;

function filterGradCases() {
  const cases: Array<{stride: number; pad: 'same' | 'valid'; inShape: number[]; filterShape: number[]}> = [];
  let i = 0;
  for (const stride of STRIDES) {
    for (const pad of PADS) {
      for (const [fh, fw] of FILTERS) {
        const inShape = INPUTS[i++ % INPUTS.length];
        cases.push({stride, pad, inShape, filterShape: [fh, fw, inShape[3], OUT_CHANNELS]});
      }
    }
  }
  return cases;
}

beforeAll(async () => {
  expect(await init()).toBe('wasm');
});

describe('Conv2DBackpropFilter kernel on wasm', () => {
  it.each(filterGradCases())(
      'matches cpu: stride $stride, pad $pad, x $inShape, filter $filterShape',
      async ({stride, pad, inShape, filterShape}) => {
        const dyShape = convOutShape(inShape, filterShape, stride, pad);
        await expectWasmMatchesCpu(() => tf.engine().runKernel(
            tf.Conv2DBackpropFilter,
            {x: randomTensor(inShape, 1), dy: randomTensor(dyShape, 2)},
            {strides: [stride, stride], pad, dataFormat: 'NHWC', filterShape}) as tf.Tensor);
      });

  it('matches cpu with explicit padding and mixed strides', async () => {
    const pad: tf.backend_util.ExplicitPadding = [[0, 0], [2, 0], [1, 3], [0, 0]];
    const inShape = [2, 7, 9, 3];
    const filterShape = [3, 2, 3, 4];
    const dyShape = tf.backend_util
        .computeConv2DInfo(inShape as [number, number, number, number],
            filterShape as [number, number, number, number], [2, 3], 1, pad)
        .outShape;
    await expectWasmMatchesCpu(() => tf.engine().runKernel(
        tf.Conv2DBackpropFilter,
        {x: randomTensor(inShape, 3), dy: randomTensor(dyShape, 4)},
        {strides: [2, 3], pad: pad as unknown as number[][], dataFormat: 'NHWC', filterShape}) as tf.Tensor);
  });

  it('matches cpu with a numeric pad rounded up (dimRoundingMode ceil)', async () => {
    const inShape = [2, 8, 7, 2];
    const filterShape = [3, 3, 2, 3];
    const info = tf.backend_util.computeConv2DInfo(
        inShape as [number, number, number, number],
        filterShape as [number, number, number, number], 2, 1, 1, 'ceil');
    await expectWasmMatchesCpu(() => tf.engine().runKernel(
        tf.Conv2DBackpropFilter,
        {x: randomTensor(inShape, 5), dy: randomTensor(info.outShape, 6)},
        {strides: 2, pad: 1, dataFormat: 'NHWC', dimRoundingMode: 'ceil', filterShape}) as tf.Tensor);
  });

  it('matches cpu for NCHW data', async () => {
    const filterShape = [3, 3, 3, 4];
    await expectWasmMatchesCpu(() => tf.engine().runKernel(
        tf.Conv2DBackpropFilter,
        {x: randomTensor([2, 3, 7, 9], 7), dy: randomTensor([2, 4, 4, 5], 8)},
        {strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape}) as tf.Tensor);
  });
});

describe('conv2d gradients on wasm (public tf.grads path)', () => {
  const cases = filterGradCases().filter((c) => c.filterShape[0] !== 2);

  it.each(cases)(
      'conv2d dx and dW match cpu: stride $stride, pad $pad, x $inShape, filter $filterShape',
      async ({stride, pad, inShape, filterShape}) => {
        const outShape = convOutShape(inShape, filterShape, stride, pad);
        await expectWasmMatchesCpu(() => {
          const weights = randomTensor(outShape, 11);
          const loss = (x: tf.Tensor, f: tf.Tensor) => tf.sum(tf.mul(
              tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, stride, pad), weights));
          return tf.grads(loss)([randomTensor(inShape, 9), randomTensor(filterShape, 10)]);
        });
      });

  it.each(STRIDES.flatMap((stride) => PADS.map((pad) => ({stride, pad}))))(
      'fused conv2d with bias and relu (what Conv2D layers run): stride $stride, pad $pad',
      async ({stride, pad}) => {
        const inShape = [2, 9, 7, 3];
        const filterShape = [3, 3, 3, 5];
        const outShape = convOutShape(inShape, filterShape, stride, pad);
        await expectWasmMatchesCpu(() => {
          const weights = randomTensor(outShape, 15);
          const loss = (x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(
              tf.fused.conv2d({
                x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: stride, pad,
                bias: b, activation: 'relu',
              }),
              weights));
          return tf.grads(loss)([
            randomTensor(inShape, 12), randomTensor(filterShape, 13), randomTensor([5], 14),
          ]);
        });
      });

  // Conv2DTranspose's filter gradient is Conv2DBackpropFilter with the roles
  // of x and dy exchanged (the large tensor is the "x").
  it.each(STRIDES.flatMap((stride) => PADS.map((pad) => ({stride, pad}))))(
      'conv2dTranspose dx and dW match cpu: stride $stride, pad $pad',
      async ({stride, pad}) => {
        const [n, h, w, cIn, cOut, k] = [2, 5, 4, 3, 2, 3];
        // Output sizes as tfjs-layers' Conv2DTranspose computes them.
        const length = (size: number) => pad === 'same' ? size * stride : size * stride + Math.max(k - stride, 0);
        const outShape: [number, number, number, number] = [n, length(h), length(w), cOut];
        await expectWasmMatchesCpu(() => {
          const weights = randomTensor(outShape, 18);
          const loss = (x: tf.Tensor, f: tf.Tensor) => tf.sum(tf.mul(
              tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, outShape, stride, pad),
              weights));
          return tf.grads(loss)([randomTensor([n, h, w, cIn], 16), randomTensor([k, k, cOut, cIn], 17)]);
        });
      });
});
