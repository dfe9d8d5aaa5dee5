import * as tf from '@tensorflow/tfjs-core';
import {beforeAll, describe, expect, it} from 'vitest';

import {init} from '../../src/backend/index.js';
import {convOutShape, expectResultsClose, expectWasmMatchesCpu, randomTensor, randomValues, runOn} from './helpers.js';

const PADS = ['same', 'valid'] as const;
// [N, H, W, C] with odd sizes and batch > 1.
const INPUTS = [[2, 7, 9, 3], [1, 8, 8, 2], [3, 9, 7, 1]];
// DepthwiseConv2D and SeparableConv2D layers take any depthMultiplier.
const MULTIPLIERS = [1, 2, 3];
const FILTERS: Array<[number, number]> = [[3, 3], [2, 2], [5, 3]];

interface Case {
  stride: number;
  dilation: number;
  pad: 'same' | 'valid';
  inShape: number[];
  filterShape: number[];
}

/** Strides 1-3 without dilation, and dilation 2 with stride 1 (tfjs allows only one of them > 1). */
function cases(): Case[] {
  const list: Case[] = [];
  let i = 0;
  for (const [stride, dilation] of [[1, 1], [2, 1], [3, 1], [1, 2]]) {
    for (const pad of PADS) {
      for (const multiplier of MULTIPLIERS) {
        const inShape = INPUTS[i % INPUTS.length];
        const [fh, fw] = FILTERS[i % FILTERS.length];
        i++;
        list.push({stride, dilation, pad, inShape, filterShape: [fh, fw, inShape[3], multiplier]});
      }
    }
  }
  return list;
}

function attrs(c: Case): tf.NamedAttrMap {
  return {strides: [c.stride, c.stride], dilations: [c.dilation, c.dilation], pad: c.pad};
}

/**
 * A dilated filter equals an undilated one with (dilation - 1) zeros between
 * taps. tfjs-backend-cpu's depthwise backprop kernels ignore `dilations`
 * (tfjs-core only calls them with 1), so the dilated reference runs them on
 * the expanded filter instead.
 */
function expandFilter(filter: tf.Tensor4D, dilation: number): tf.Tensor4D {
  const [fh, fw, c, m] = filter.shape;
  const grid = tf.pad(
      tf.reshape(filter, [fh, 1, fw, 1, c, m]),
      [[0, 0], [0, dilation - 1], [0, 0], [0, dilation - 1], [0, 0], [0, 0]]);
  return tf.slice(
      tf.reshape(grid, [fh * dilation, fw * dilation, c, m]), 0,
      [(fh - 1) * dilation + 1, (fw - 1) * dilation + 1]) as tf.Tensor4D;
}

beforeAll(async () => {
  expect(await init()).toBe('wasm');
});

describe('DepthwiseConv2dNativeBackpropFilter kernel on wasm', () => {
  it.each(cases())(
      'matches cpu: stride $stride, dilation $dilation, pad $pad, x $inShape, filter $filterShape',
      async (c) => {
        const dyShape = convOutShape(c.inShape, c.filterShape, c.stride, c.pad, c.dilation, true);
        const wasm = await runOn('wasm', () => tf.engine().runKernel(
            tf.DepthwiseConv2dNativeBackpropFilter,
            {x: randomTensor(c.inShape, 1), dy: randomTensor(dyShape, 2)},
            {...attrs(c), filterShape: c.filterShape}) as tf.Tensor);
        const d = c.dilation;
        const [fh, fw, ch, m] = c.filterShape;
        const expandedShape = [(fh - 1) * d + 1, (fw - 1) * d + 1, ch, m];
        const cpu = await runOn('cpu', () => {
          const expanded = tf.engine().runKernel(
              tf.DepthwiseConv2dNativeBackpropFilter,
              {x: randomTensor(c.inShape, 1), dy: randomTensor(dyShape, 2)},
              {...attrs(c), dilations: [1, 1], filterShape: expandedShape}) as tf.Tensor4D;
          // Keep only the taps a dilated filter has.
          return tf.stridedSlice(expanded, [0, 0, 0, 0], expanded.shape, [d, d, 1, 1]);
        });
        expectResultsClose(wasm, cpu);
      });

  it('matches cpu with explicit padding', async () => {
    const pad: tf.backend_util.ExplicitPadding = [[0, 0], [1, 2], [0, 3], [0, 0]];
    const inShape = [2, 7, 9, 3];
    const filterShape = [3, 3, 3, 2];
    const dyShape = tf.backend_util
        .computeConv2DInfo(inShape as [number, number, number, number],
            filterShape as [number, number, number, number], 2, 1, pad, undefined, true)
        .outShape;
    await expectWasmMatchesCpu(() => tf.engine().runKernel(
        tf.DepthwiseConv2dNativeBackpropFilter,
        {x: randomTensor(inShape, 3), dy: randomTensor(dyShape, 4)},
        {strides: 2, dilations: 1, pad: pad as unknown as number[][], filterShape}) as tf.Tensor);
  });
});

describe('DepthwiseConv2dNativeBackpropInput kernel on wasm', () => {
  it.each(cases())(
      'matches cpu: stride $stride, dilation $dilation, pad $pad, x $inShape, filter $filterShape',
      async (c) => {
        const dyShape = convOutShape(c.inShape, c.filterShape, c.stride, c.pad, c.dilation, true);
        const filterValues = randomValues(tf.util.sizeFromShape(c.filterShape), 6);
        const wasm = await runOn('wasm', () => tf.engine().runKernel(
            tf.DepthwiseConv2dNativeBackpropInput,
            {dy: randomTensor(dyShape, 5), filter: tf.tensor4d(filterValues, c.filterShape as [number, number, number, number])},
            {...attrs(c), inputShape: c.inShape}) as tf.Tensor);
        const cpu = await runOn('cpu', () => tf.engine().runKernel(
            tf.DepthwiseConv2dNativeBackpropInput,
            {
              dy: randomTensor(dyShape, 5),
              filter: expandFilter(tf.tensor4d(filterValues, c.filterShape as [number, number, number, number]), c.dilation),
            },
            {...attrs(c), dilations: [1, 1], inputShape: c.inShape}) as tf.Tensor);
        expectResultsClose(wasm, cpu);
      });

  it('matches cpu with explicit padding larger than the filter', async () => {
    // A bottom pad of 4 > filter size - 1 means the gradient window is cropped.
    const pad: tf.backend_util.ExplicitPadding = [[0, 0], [3, 4], [0, 1], [0, 0]];
    const inShape = [2, 7, 8, 2];
    const filterShape = [2, 3, 2, 2];
    const dyShape = tf.backend_util
        .computeConv2DInfo(inShape as [number, number, number, number],
            filterShape as [number, number, number, number], [2, 1], 1, pad, undefined, true)
        .outShape;
    await expectWasmMatchesCpu(() => tf.engine().runKernel(
        tf.DepthwiseConv2dNativeBackpropInput,
        {dy: randomTensor(dyShape, 7), filter: randomTensor(filterShape, 8)},
        {strides: [2, 1], dilations: 1, pad: pad as unknown as number[][], inputShape: inShape}) as tf.Tensor);
  });
});

describe('depthwiseConv2d gradients on wasm (public tf.grads path)', () => {
  // tfjs-core 4.22 refuses depthwise gradients with dilation > 1 on every backend.
  const undilated = cases().filter((c) => c.dilation === 1);

  it.each(undilated)(
      'dx and dW match cpu: stride $stride, pad $pad, x $inShape, filter $filterShape',
      async (c) => {
        const outShape = convOutShape(c.inShape, c.filterShape, c.stride, c.pad, 1, true);
        await expectWasmMatchesCpu(() => {
          const weights = randomTensor(outShape, 11);
          const loss = (x: tf.Tensor, f: tf.Tensor) => tf.sum(tf.mul(
              tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.stride, c.pad), weights));
          return tf.grads(loss)([randomTensor(c.inShape, 9), randomTensor(c.filterShape, 10)]);
        });
      });

  it.each(MULTIPLIERS)(
      'separableConv2d (depthwise multiplier %i, then pointwise) matches cpu', async (multiplier) => {
        const inShape = [2, 9, 7, 3];
        const depthShape = [3, 3, 3, multiplier];
        const pointShape = [1, 1, 3 * multiplier, 4];
        await expectWasmMatchesCpu(() => {
          const weights = randomTensor([2, 5, 4, 4], 15);
          const loss = (x: tf.Tensor, d: tf.Tensor, p: tf.Tensor) => tf.sum(tf.mul(
              tf.separableConv2d(x as tf.Tensor4D, d as tf.Tensor4D, p as tf.Tensor4D, 2, 'same'),
              weights));
          return tf.grads(loss)([
            randomTensor(inShape, 12), randomTensor(depthShape, 13), randomTensor(pointShape, 14),
          ]);
        });
      });
});
