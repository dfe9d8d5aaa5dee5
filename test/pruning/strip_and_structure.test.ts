/**
 * stripPruning: plain layers holding the masked weights and the same
 * predictions; with structure 'filters', pruned filters removed for real
 * (through BatchNorm, ReLU, pooling, Flatten or global pooling), the same
 * predictions, and TFLite files (float32, int8) that LiteRT runs and that
 * agree with tfjs.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {sameGraph} from '../helpers/tflite_eval.js';
import {runLiteRt} from '../helpers/tflite_eval.js';
import {expectClose, maxAbsDiff} from '../helpers/compare.js';
import {dataset, predictValues, seeded} from '../helpers/models.js';
import {compileAdam, filterPrunedConvNet, fitPruned, kernelAndMask, wrappersOf} from './helpers.js';

const {sparsity} = tfmot;

const constant = (targetSparsity: number) => new sparsity.ConstantSparsity({targetSparsity, beginStep: 0, frequency: 1});

let images: {xs: tf.Tensor, ys: tf.Tensor};

beforeAll(async () => {
  await tfmot.backend.init();
  images = dataset(48, [8, 8, 3], 10, 3);
});

afterAll(() => tf.dispose([images.xs, images.ys]));

const classes = (model: tfl.LayersModel) => model.layers.map((l) => l.getClassName());
const layer = (model: tfl.LayersModel, name: string) => model.getLayer(name);
const kernelShape = (l: tfl.layers.Layer) => l.getWeights()[0].shape;

describe('stripPruning (unstructured)', () => {
  it('returns plain layers holding the masked weights, with identical predictions', async () => {
    const pruned = sparsity.pruneLowMagnitude(tfl.sequential({layers: [
      tfl.layers.conv2d({inputShape: [8, 8, 3], filters: 6, kernelSize: 3, activation: 'relu',
        kernelInitializer: seeded(1), name: 'conv'}),
      tfl.layers.flatten({name: 'flat'}),
      tfl.layers.dense({units: 10, activation: 'softmax', kernelInitializer: seeded(2), name: 'out'}),
    ]}), {pruningSchedule: constant(0.6), blockSize: [1, 2]});
    compileAdam(pruned);
    await fitPruned(pruned, images.xs, images.ys, {epochs: 2, batchSize: 16});
    const masked = wrappersOf(pruned).map((w) => {
      const {kernel, mask} = kernelAndMask(w);
      return kernel.map((v, i) => v * mask[i]);
    });
    const stripped = sparsity.stripPruning(pruned);
    expect(classes(stripped)).toEqual(['InputLayer', 'Conv2D', 'Flatten', 'Dense']);
    expect(stripped.layers.map((l) => l.name)).toEqual(['input1', 'conv', 'flat', 'out'].map(
        (n, i) => i === 0 ? stripped.layers[0].name : n));
    expect(Array.from(layer(stripped, 'conv').getWeights()[0].dataSync())).toEqual(Array.from(masked[0]));
    expect(Array.from(layer(stripped, 'out').getWeights()[0].dataSync())).toEqual(Array.from(masked[1]));
    expect(predictValues(stripped, images.xs)).toEqual(predictValues(pruned, images.xs));
    // The converter takes the wrapped model too, and writes what stripping keeps
    // (only the output's signature name, the wrapper's layer name, differs).
    const fromWrapped = await tfmot.tflite.TFLiteConverter.fromLayersModel(pruned).convert();
    const fromStripped = await tfmot.tflite.TFLiteConverter.fromLayersModel(stripped).convert();
    expect(sameGraph(fromWrapped, fromStripped)).toBe(true);
    expect(sparsity.getSparsity(stripped).layers.map((l) => l.sparsity)).toEqual(
        sparsity.getSparsity(pruned).layers.map((l) => l.sparsity));
    // The stripped model owns its weights: training it leaves the pruned model alone.
    const before = predictValues(pruned, images.xs);
    compileAdam(stripped);
    await stripped.fit(images.xs, images.ys, {epochs: 1, batchSize: 16, verbose: 0});
    expect(predictValues(pruned, images.xs)).toEqual(before);
  });

  it('keeps plain layers and non-pruned models as they are', () => {
    const plain = tfl.sequential({layers: [tfl.layers.dense({inputShape: [4], units: 2, kernelInitializer: seeded(3)})]});
    const stripped = sparsity.stripPruning(plain);
    expect(classes(stripped)).toEqual(['InputLayer', 'Dense']);
    const x = tf.ones([1, 4]);
    expect(predictValues(stripped, x)).toEqual(predictValues(plain, x));
    x.dispose();
  });
});

/**
 * The quantization step of the int8 logits: the output's own, or (float
 * I/O) that of the tensor its DEQUANTIZE reads.
 */
function logitsScale(bytes: Uint8Array): number {
  const summary = tfmot.tflite.inspect(bytes);
  const output = summary.tensors[summary.outputs[0]];
  if (output.quantization != null) {
    return output.quantization.scale[0];
  }
  const dequantize = summary.operators.find((op) => op.outputs.includes(output.index))!;
  expect(dequantize.opName).toBe('DEQUANTIZE');
  const int8Logits = summary.tensors[dequantize.inputs[0]];
  expect(int8Logits.type).toBe('INT8');
  return int8Logits.quantization!.scale[0];
}

for (const head of ['flatten', 'gap'] as const) {
  describe(`structure 'filters', 50%: Conv 8 -> BN -> ReLU -> MaxPool -> Conv 16 -> ReLU -> ${head} -> Dense 10`, () => {
    let pruned: tfl.LayersModel;
    let stripped: tfl.LayersModel;

    beforeAll(async () => {
      pruned = filterPrunedConvNet(head, {structure: 'filters', pruningSchedule: constant(0.5)});
      compileAdam(pruned);
      await fitPruned(pruned, images.xs, images.ys, {epochs: 2, batchSize: 16});
      stripped = sparsity.stripPruning(pruned);
    });

    it('halves the filters of both pruned convs; BN and the classifier follow', () => {
      expect(classes(stripped)).toEqual(['InputLayer', 'Conv2D', 'BatchNormalization', 'ReLU', 'MaxPooling2D',
        'Conv2D', head === 'flatten' ? 'Flatten' : 'GlobalAveragePooling2D', 'Dense']);
      expect(layer(stripped, 'conv_a').getConfig()['filters']).toBe(4);
      expect(layer(stripped, 'conv_b').getConfig()['filters']).toBe(8);
      expect(kernelShape(layer(stripped, 'conv_a'))).toEqual([3, 3, 3, 4]);
      expect(layer(stripped, 'bn').getWeights().map((w) => w.shape)).toEqual([[4], [4], [4], [4]]);
      expect(kernelShape(layer(stripped, 'conv_b'))).toEqual([2, 2, 4, 8]);
      expect(kernelShape(layer(stripped, 'logits'))).toEqual([head === 'flatten' ? 2 * 2 * 8 : 8, 10]);
      expect(stripped.countParams()).toBeLessThan(pruned.countParams() / 2);
    });

    it('keeps exactly the filters whose mask is 1', () => {
      const wrapper = wrappersOf(pruned).find((w) => w.layer.name === 'conv_a')!;
      const {kernel, mask} = kernelAndMask(wrapper);
      const kept = [...Array(8).keys()].filter((c) => mask[c] === 1);
      expect(kept).toHaveLength(4);
      const expected = kernel.filter((_, i) => kept.includes(i % 8));
      expect(Array.from(layer(stripped, 'conv_a').getWeights()[0].dataSync())).toEqual(Array.from(expected));
    });

    it('predicts as the pruned model (within 1e-4)', () => {
      const a = predictValues(stripped, images.xs);
      const b = predictValues(pruned, images.xs);
      expectClose(a, b, 1e-4, 'stripped vs pruned');
      expect(maxAbsDiff(b, new Float32Array(b.length))).toBeGreaterThan(0.01);  // not trivially zero
    });

    it('exports to TFLite float32 and int8; LiteRT agrees with tfjs', async () => {
      const xs = tf.slice(images.xs, 0, 16);
      const reference = predictValues(stripped, xs);
      const scale = Math.max(...Array.from(reference).map(Math.abs));

      const f32 = await tfmot.tflite.TFLiteConverter.fromLayersModel(stripped).convert();
      expectClose(await runLiteRt(f32, xs), reference, 1e-4 * scale, 'float32');

      const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(stripped);
      converter.optimizations = ['DEFAULT'];
      const calibration = tf.split(images.xs, 48);
      converter.representativeDataset = () => calibration;
      const i8 = await converter.convert();
      tf.dispose(calibration);
      expectClose(await runLiteRt(i8, xs), reference, 4 * logitsScale(i8), 'int8');
      xs.dispose();
    });
  });
}

describe("structure 'filters': other shapes of models", () => {
  async function trainAndStrip(model: tfl.LayersModel, data: {xs: tf.Tensor, ys: tf.Tensor}) {
    compileAdam(model);
    await fitPruned(model, data.xs, data.ys, {epochs: 1, batchSize: 16});
    const stripped = sparsity.stripPruning(model);
    expectClose(predictValues(stripped, data.xs), predictValues(model, data.xs), 1e-4, 'stripped vs pruned');
    return stripped;
  }

  it('Dense units: Dense 24 (relu) -> Dropout -> Dense 4 loses half the hidden units', async () => {
    const data = dataset(32, [12], 4, 9);
    const model = tfl.sequential({layers: [
      sparsity.pruneLowMagnitude(tfl.layers.dense({inputShape: [12], units: 24, activation: 'relu', name: 'hidden',
        kernelInitializer: seeded(4), biasInitializer: 'ones'}), {structure: 'filters', pruningSchedule: constant(0.5)}),
      tfl.layers.dropout({rate: 0.2}),
      tfl.layers.dense({units: 4, activation: 'softmax', kernelInitializer: seeded(5), name: 'out'}),
    ]});
    const stripped = await trainAndStrip(model, data);
    expect(layer(stripped, 'hidden').getConfig()['units']).toBe(12);
    expect(kernelShape(layer(stripped, 'out'))).toEqual([12, 4]);
    tf.dispose([data.xs, data.ys]);
  });

  it("a 'same'-padded consumer fed non-zero constants keeps the zeroed filters (exact outputs over smaller)", async () => {
    // conv_a -> BN (non-zero shift) -> ReLU: a removed channel would carry a
    // non-zero constant into conv_b's zero padding, so conv_a keeps 8 filters.
    const input = tfl.input({shape: [8, 8, 3]});
    const prune = (l: tfl.layers.Layer) => sparsity.pruneLowMagnitude(l, {structure: 'filters', pruningSchedule: constant(0.5)});
    let x = prune(tfl.layers.conv2d({filters: 8, kernelSize: 3, kernelInitializer: seeded(6), name: 'conv_a'}))
        .apply(input) as tfl.SymbolicTensor;
    x = tfl.layers.batchNormalization({betaInitializer: 'ones'}).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.reLU({}).apply(x) as tfl.SymbolicTensor;
    x = prune(tfl.layers.conv2d({filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: seeded(7),
      name: 'conv_b'})).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({units: 10, kernelInitializer: seeded(8)}).apply(x) as tfl.SymbolicTensor;
    const stripped = await trainAndStrip(tfl.model({inputs: input, outputs: out}), images);
    expect(layer(stripped, 'conv_a').getConfig()['filters']).toBe(8);
    expect(layer(stripped, 'conv_b').getConfig()['filters']).toBe(3);
  });

  it('a producer read by two layers (residual Add) keeps its zeroed filters', async () => {
    const input = tfl.input({shape: [8, 8, 3]});
    const a = sparsity.pruneLowMagnitude(tfl.layers.conv2d({filters: 4, kernelSize: 3, padding: 'same', name: 'conv_a',
      kernelInitializer: seeded(9)}), {structure: 'filters', pruningSchedule: constant(0.5)}).apply(input) as tfl.SymbolicTensor;
    const b = tfl.layers.conv2d({filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: seeded(10)}).apply(a) as
        tfl.SymbolicTensor;
    const sum = tfl.layers.add({}).apply([a, b]) as tfl.SymbolicTensor;
    const pooled = tfl.layers.globalAveragePooling2d({}).apply(sum) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({units: 10, kernelInitializer: seeded(11)}).apply(pooled) as tfl.SymbolicTensor;
    const stripped = await trainAndStrip(tfl.model({inputs: input, outputs: out}), images);
    expect(layer(stripped, 'conv_a').getConfig()['filters']).toBe(4);
    expect(sparsity.getSparsity(stripped).layers[0].sparsity).toBe(0.5);
  });
});

describe('filter pruning of a whole model', () => {
  it('leaves the layer producing the model output unwrapped', async () => {
    await tfmot.backend.init();
    const model = tfmot.data.mnistTutorialModel({seed: 9});
    const pruned = tfmot.sparsity.pruneLowMagnitude(model, {structure: 'filters'});
    expect(pruned.layers.map((l) => l.getClassName())).toEqual(
        ['InputLayer', 'PruneLowMagnitude', 'MaxPooling2D', 'Flatten', 'Dense']);
  });
});
