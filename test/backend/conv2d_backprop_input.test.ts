/**
 * The fast Conv2DBackpropInput that replaces tfjs-backend-wasm's own: same
 * numbers as the cpu backend's kernel, reached through tf.grads and
 * conv2dTranspose, registered once, reversible, and leak-free.
 */
import * as tf from '@tensorflow/tfjs-core';
import {afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest';

import {init, registerWasmTrainingKernels} from '../../src/backend/index.js';
import {ValueError} from '../../src/errors.js';
import {convOutShape, expectResultsClose, expectWasmMatchesCpu, randomTensor, runOn} from './helpers.js';

const STRIDES = [1, 2, 3];
const PADS = ['same', 'valid'] as const;
const FILTERS: Array<[number, number]> = [[1, 1], [2, 2], [3, 3], [3, 2], [5, 4]];
// Odd sizes make 'same' padding asymmetric (one more row at the bottom).
const SIZES: Array<[number, number]> = [[7, 9], [8, 8], [9, 7]];

/** The marker our registration puts on its kernelFunc (see register.ts). */
const REPLACED_CONFIG = Symbol.for('tfjs-model-optimization.replacedConv2DBackpropInput');

function currentKernelFunc(): tf.KernelFunc {
  return tf.getKernel(tf.Conv2DBackpropInput, 'wasm')!.kernelFunc;
}

function isFast(): boolean {
  return (currentKernelFunc() as unknown as Record<symbol, unknown>)[REPLACED_CONFIG] != null;
}

interface Case {
  stride: number;
  pad: 'same' | 'valid';
  inShape: number[];
  filterShape: number[];
}

/**
 * Every stride x padding x filter x input size; batch 1-3 and in/out
 * channels 1-5 vary with the case index (coprime periods, so all mix).
 */
function kernelCases(): Case[] {
  const list: Case[] = [];
  let i = 0;
  for (const stride of STRIDES) {
    for (const pad of PADS) {
      for (const [fh, fw] of FILTERS) {
        for (const [h, w] of SIZES) {
          const batch = 1 + (i % 3);
          const inChannels = 1 + (i % 5);
          const outChannels = 1 + ((i * 2 + 1) % 5);
          i++;
          list.push({stride, pad, inShape: [batch, h, w, inChannels], filterShape: [fh, fw, inChannels, outChannels]});
        }
      }
    }
  }
  return list;
}

function runBackpropInput(
    dyShape: number[], filterShape: number[], attrs: tf.NamedAttrMap, seed = 1): tf.Tensor {
  return tf.engine().runKernel(
      tf.Conv2DBackpropInput,
      {dy: randomTensor(dyShape, seed), filter: randomTensor(filterShape, seed + 1)}, attrs) as tf.Tensor;
}

function dyShapeFor(
    inShape: number[], filterShape: number[], strides: number | [number, number],
    pad: tf.backend_util.ExplicitPadding | 'same' | 'valid' | number,
    dimRoundingMode?: 'floor' | 'round' | 'ceil'): number[] {
  return tf.backend_util
      .computeConv2DInfo(
          inShape as [number, number, number, number],
          filterShape as [number, number, number, number], strides, 1, pad, dimRoundingMode)
      .outShape;
}

beforeAll(async () => {
  expect(await init()).toBe('wasm');
  expect(isFast()).toBe(true);
});

// The wasm-vs-cpu comparisons leave the cpu backend active.
beforeEach(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
});

describe('fast Conv2DBackpropInput kernel on wasm', () => {
  it.each(kernelCases())(
      'matches cpu: stride $stride, pad $pad, x $inShape, filter $filterShape',
      async ({stride, pad, inShape, filterShape}) => {
        const dyShape = convOutShape(inShape, filterShape, stride, pad);
        await expectWasmMatchesCpu(() => runBackpropInput(
            dyShape, filterShape, {strides: [stride, stride], pad, dataFormat: 'NHWC', inputShape: inShape}));
      });

  const explicitCases: Array<{pad: tf.backend_util.ExplicitPadding; strides: [number, number]; filter: [number, number]}> = [
    {pad: [[0, 0], [2, 0], [1, 3], [0, 0]], strides: [2, 3], filter: [3, 2]},
    {pad: [[0, 0], [0, 0], [0, 0], [0, 0]], strides: [1, 2], filter: [2, 2]},
    // Padding wider than filter - 1: the kernel crops dy's spread instead of padding it.
    {pad: [[0, 0], [4, 1], [0, 5], [0, 0]], strides: [1, 1], filter: [3, 3]},
    {pad: [[0, 0], [3, 3], [4, 2], [0, 0]], strides: [3, 2], filter: [2, 3]},
  ];
  it.each(explicitCases)('matches cpu with explicit padding $pad, strides $strides, filter $filter', async (c) => {
    const inShape = [2, 7, 9, 3];
    const filterShape = [...c.filter, 3, 4];
    const dyShape = dyShapeFor(inShape, filterShape, c.strides, c.pad);
    await expectWasmMatchesCpu(() => runBackpropInput(dyShape, filterShape, {
      strides: c.strides, pad: c.pad as unknown as number[][], dataFormat: 'NHWC', inputShape: inShape,
    }));
  });

  it.each(['floor', 'round', 'ceil'] as const)(
      'matches cpu with a numeric pad and dimRoundingMode %s', async (dimRoundingMode) => {
        for (const [pad, stride] of [[1, 2], [2, 3], [0, 2]]) {
          const inShape = [2, 8, 7, 2];
          const filterShape = [3, 3, 2, 3];
          const dyShape = dyShapeFor(inShape, filterShape, stride, pad, dimRoundingMode);
          await expectWasmMatchesCpu(() => runBackpropInput(dyShape, filterShape, {
            strides: stride, pad, dataFormat: 'NHWC', dimRoundingMode, inputShape: inShape,
          }));
        }
      });

  it.each([1, 2])('matches cpu for NCHW data, stride %i', async (stride) => {
    const filterShape = [3, 2, 3, 4];
    const dyShape = convOutShape([2, 7, 9, 3], filterShape, stride, 'same');
    await expectWasmMatchesCpu(() => runBackpropInput(
        [dyShape[0], dyShape[3], dyShape[1], dyShape[2]], filterShape,
        {strides: stride, pad: 'same', dataFormat: 'NCHW', inputShape: [2, 3, 7, 9]}));
  });

  it('falls back to wasm\'s own kernel for a dy larger than the forward output', async () => {
    // conv2dTranspose accepts an outputShape whose forward conv yields 4x4,
    // not dy's 5x5; both reference kernels use only dy's first 4 rows/columns.
    const attrs = {strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [1, 8, 8, 2]};
    const fast = await runOn('wasm', () => runBackpropInput([1, 5, 5, 3], [3, 3, 2, 3], attrs));
    const cpu = await runOn('cpu', () => runBackpropInput([1, 5, 5, 3], [3, 3, 2, 3], attrs));
    expectResultsClose(fast, cpu);
  });

  it('falls back to wasm\'s own kernel for a dilations attr the op never passes', async () => {
    const attrs = {strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [1, 7, 7, 2], dilations: 2};
    const fast = await runOn('wasm', () => runBackpropInput([1, 7, 7, 3], [3, 3, 2, 3], attrs));
    expect(registerWasmTrainingKernels({fastConvInputGradient: false})).toEqual([tf.Conv2DBackpropInput]);
    try {
      const original = await runOn('wasm', () => runBackpropInput([1, 7, 7, 3], [3, 3, 2, 3], attrs));
      expect(fast).toEqual(original);
    } finally {
      registerWasmTrainingKernels();
    }
  });
});

describe('public ops on wasm use it and match cpu', () => {
  const publicCases = STRIDES.flatMap((stride) => PADS.map((pad) => ({stride, pad})));

  it.each(publicCases)('tf.grads of conv2d (dx): stride $stride, pad $pad', async ({stride, pad}) => {
    for (const [inShape, filterShape] of [[[2, 9, 7, 3], [3, 3, 3, 5]], [[3, 8, 8, 4], [5, 4, 4, 2]]]) {
      const outShape = convOutShape(inShape, filterShape, stride, pad);
      await expectWasmMatchesCpu(() => {
        const weights = randomTensor(outShape, 3);
        const filter = randomTensor<tf.Rank.R4>(filterShape, 2);
        const dx = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, filter, stride, pad), weights)));
        return dx(randomTensor(inShape, 1));
      });
    }
  });

  it.each(publicCases)('tf.conv2dTranspose forward: stride $stride, pad $pad', async ({stride, pad}) => {
    const [n, h, w, cIn, cOut, k] = [2, 5, 4, 3, 2, 3];
    // Output sizes as tfjs-layers' Conv2DTranspose computes them.
    const length = (size: number) => pad === 'same' ? size * stride : size * stride + Math.max(k - stride, 0);
    const outShape: [number, number, number, number] = [n, length(h), length(w), cOut];
    await expectWasmMatchesCpu(() => [
      tf.conv2dTranspose(randomTensor<tf.Rank.R4>([n, h, w, cIn], 4), randomTensor<tf.Rank.R4>([k, k, cOut, cIn], 5),
          outShape, stride, pad),
      // Rank 3 input: the op reshapes to batch 1.
      tf.conv2dTranspose(randomTensor<tf.Rank.R3>([h, w, cIn], 6), randomTensor<tf.Rank.R4>([k, k, cOut, cIn], 7),
          outShape.slice(1) as [number, number, number], stride, pad),
    ]);
  });

  it('the public path runs the fast kernel (and wasm\'s own with the option off)', async () => {
    const calls: string[] = [];
    const spy = (label: string) => {
      const config = tf.getKernel(tf.Conv2DBackpropInput, 'wasm')!;
      tf.unregisterKernel(tf.Conv2DBackpropInput, 'wasm');
      tf.registerKernel({...config, kernelFunc: (args) => {
        calls.push(label);
        return config.kernelFunc(args);
      }});
      return config;
    };
    const restore = (config: tf.KernelConfig) => {
      tf.unregisterKernel(tf.Conv2DBackpropInput, 'wasm');
      tf.registerKernel(config);
    };
    const run = () => tf.dispose(tf.grad((x: tf.Tensor) => tf.sum(tf.conv2d(x as tf.Tensor4D, tf.ones([3, 3, 2, 2]), 1, 'same')))(
        tf.ones([1, 5, 5, 2])));
    expect(isFast()).toBe(true);
    const fast = spy('fast');
    run();
    restore(fast);
    registerWasmTrainingKernels({fastConvInputGradient: false});
    const original = spy('original');
    run();
    restore(original);
    registerWasmTrainingKernels();
    expect(calls).toEqual(['fast', 'original']);
    expect(isFast()).toBe(true);
  });
});

describe('registration', () => {
  afterEach(async () => {
    await init();
  });

  it('replaces wasm\'s kernel once: repeated init/register calls do not wrap it again', async () => {
    const fast = currentKernelFunc();
    await init();
    await init({fastConvInputGradient: true});
    expect(registerWasmTrainingKernels()).toEqual([]);
    expect(registerWasmTrainingKernels({fastConvInputGradient: true})).toEqual([]);
    expect(currentKernelFunc()).toBe(fast);
  });

  it('fastConvInputGradient false puts wasm\'s own kernel back, true replaces it again', async () => {
    const fast = currentKernelFunc();
    const original = (fast as unknown as Record<symbol, tf.KernelConfig>)[REPLACED_CONFIG];
    expect(original.kernelFunc).not.toBe(fast);

    expect(registerWasmTrainingKernels({fastConvInputGradient: false})).toEqual([tf.Conv2DBackpropInput]);
    expect(tf.getKernel(tf.Conv2DBackpropInput, 'wasm')).toEqual(original);
    expect(registerWasmTrainingKernels({fastConvInputGradient: false})).toEqual([]);

    expect(registerWasmTrainingKernels()).toEqual([tf.Conv2DBackpropInput]);
    expect(isFast()).toBe(true);
    // A new wrapper, but around the same original.
    expect((currentKernelFunc() as unknown as Record<symbol, tf.KernelConfig>)[REPLACED_CONFIG]).toBe(original);

    expect(await init({fastConvInputGradient: false})).toBe('wasm');
    expect(isFast()).toBe(false);
    expect(tf.getKernel(tf.Conv2DBackpropInput, 'wasm')).toEqual(original);
    expect(await init()).toBe('wasm');
    expect(isFast()).toBe(true);
  });

  it('the replacement keeps wasm\'s setupFunc and disposeFunc', () => {
    const config = tf.getKernel(tf.Conv2DBackpropInput, 'wasm')!;
    const original = (config.kernelFunc as unknown as Record<symbol, tf.KernelConfig>)[REPLACED_CONFIG];
    expect(original.setupFunc).toBeTypeOf('function');
    expect(config.setupFunc).toBe(original.setupFunc);
    expect(config.disposeFunc).toBe(original.disposeFunc);
  });

  it('rejects a non-boolean fastConvInputGradient', async () => {
    const bad = {fastConvInputGradient: 'no' as unknown as boolean};
    expect(() => registerWasmTrainingKernels(bad)).toThrow(ValueError);
    await expect(init(bad)).rejects.toThrow(
        `options.fastConvInputGradient must be a boolean; received string "no".`);
    expect(isFast()).toBe(true);
  });
});

describe('memory ownership', () => {
  function counts(): [number, number] {
    return [tf.memory().numTensors, tf.backend().numDataIds()];
  }

  const ownershipCases: Array<{label: string; dyShape: number[]; filterShape: number[]; attrs: tf.NamedAttrMap}> = [
    {label: 'stride 1', dyShape: [2, 7, 9, 4], filterShape: [3, 3, 3, 4],
      attrs: {strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [2, 7, 9, 3]}},
    {label: 'stride 2 (spread)', dyShape: [2, 4, 5, 4], filterShape: [3, 3, 3, 4],
      attrs: {strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [2, 7, 9, 3]}},
    {label: 'cropped spread', dyShape: [2, 10, 11, 4], filterShape: [3, 3, 3, 4],
      attrs: {strides: 1, pad: [[0, 0], [4, 1], [0, 5], [0, 0]], dataFormat: 'NHWC', inputShape: [2, 7, 9, 3]}},
    {label: 'NCHW', dyShape: [2, 4, 4, 5], filterShape: [3, 3, 3, 4],
      attrs: {strides: 2, pad: 'same', dataFormat: 'NCHW', inputShape: [2, 3, 7, 9]}},
    {label: 'fallback', dyShape: [1, 5, 5, 3], filterShape: [3, 3, 2, 3],
      attrs: {strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [1, 8, 8, 2]}},
  ];

  it.each(ownershipCases)('$label: one new buffer with refcount 1, inputs untouched', ({dyShape, filterShape, attrs}) => {
    const backend = tf.backend();
    const dy = randomTensor(dyShape, 1);
    const filter = randomTensor(filterShape, 2);
    const before = counts();
    const dyValues = dy.dataSync().slice();
    const filterValues = filter.dataSync().slice();
    const out = tf.engine().runKernel(tf.Conv2DBackpropInput, {dy, filter}, attrs) as tf.Tensor;
    expect(counts()).toEqual([before[0] + 1, before[1] + 1]);
    expect(backend.refCount(out.dataId)).toBe(1);
    expect(backend.refCount(dy.dataId)).toBe(1);
    expect(backend.refCount(filter.dataId)).toBe(1);
    expect(dy.dataSync()).toEqual(dyValues);
    expect(filter.dataSync()).toEqual(filterValues);
    out.dispose();
    expect(counts()).toEqual(before);
    tf.dispose([dy, filter]);
  });

  it('repeated gradient steps of a conv stack and conv2dTranspose keep memory constant', () => {
    const x = randomTensor<tf.Rank.R4>([2, 9, 7, 3], 1);
    const f1 = randomTensor<tf.Rank.R4>([3, 3, 3, 4], 2);
    const f2 = randomTensor<tf.Rank.R4>([3, 2, 4, 5], 3);
    const ft = randomTensor<tf.Rank.R4>([2, 2, 3, 5], 4);
    const loss = (xIn: tf.Tensor, a: tf.Tensor, b: tf.Tensor, t: tf.Tensor) => {
      const h = tf.relu(tf.conv2d(xIn as tf.Tensor4D, a as tf.Tensor4D, 1, 'same'));
      const y = tf.conv2d(h, b as tf.Tensor4D, 2, 'valid');
      const up = tf.conv2dTranspose(y, t as tf.Tensor4D, [2, 8, 6, 3], 2, 'same');
      return tf.sum(tf.square(up));
    };
    const step = () => tf.dispose(tf.grads(loss)([x, f1, f2, ft]));
    step();
    const baseline = counts();
    for (let i = 0; i < 5; i++) {
      step();
      expect(counts()).toEqual(baseline);
    }
    tf.dispose([x, f1, f2, ft]);
  });
});
