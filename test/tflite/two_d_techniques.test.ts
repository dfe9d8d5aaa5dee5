/**
 * Conv2DTranspose through pruning, clustering and QAT: the stripped models
 * keep the technique's structure (zeros, few values, per-output-channel
 * scales) and their TFLite files run in LiteRT and agree with tfjs. Also
 * the 2-D layers' lowering errors.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {dataset, predictValues, seeded} from '../helpers/models.js';
import {runLiteRt, sameGraph} from '../helpers/tflite_eval.js';
import {fitPruned} from '../pruning/helpers.js';
import {converterFor, integerSlack} from './export_modes.js';

const {sparsity, clustering} = tfmot;

/** [8, 8, 2] -> Conv2D 4 -> Conv2DTranspose 6 (stride 2, relu) -> Cropping2D -> 1x1 Conv2D 3. */
function decoder(): tfl.LayersModel {
  return tfl.sequential({layers: [
    tfl.layers.conv2d({inputShape: [8, 8, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu',
      kernelInitializer: seeded(1), name: 'conv'}),
    tfl.layers.conv2dTranspose({filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu',
      kernelInitializer: seeded(2), biasInitializer: tfl.initializers.randomUniform({minval: -0.1, maxval: 0.1,
        seed: 3}), name: 'tconv'}),
    tfl.layers.cropping2D({cropping: [[1, 2], [0, 3]], name: 'crop'}),
    tfl.layers.conv2d({filters: 3, kernelSize: 1, kernelInitializer: seeded(4), name: 'head'}),
  ]});
}

let data: {xs: tf.Tensor, ys: tf.Tensor};

beforeAll(async () => {
  await tfmot.backend.init();
  const {xs} = dataset(24, [8, 8, 2], 3, 5);
  // Regression targets of the output's shape, from a differently seeded decoder.
  const teacher = decoder();
  teacher.layers.forEach((l, i) => l.setWeights(l.getWeights().map((w) => tf.mul(w, i % 2 === 0 ? 0.8 : 1.2))));
  data = {xs, ys: teacher.predict(xs) as tf.Tensor};
});

afterAll(() => tf.dispose([data.xs, data.ys]));

const kernelOf = (model: tfl.LayersModel, name: string) => model.getLayer(name).getWeights()[0].dataSync();

/**
 * Largest |LiteRT - tfjs| beyond one integer output step, over the largest
 * |tfjs| output, for the file `bytes` of `model` (as layers_export.test.ts measures).
 */
async function liteRtError(bytes: Uint8Array, model: tfl.LayersModel): Promise<number> {
  const lite = await runLiteRt(bytes, data.xs);
  const ref = predictValues(model, data.xs);
  const step = integerSlack(bytes);
  const worst = lite.reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i]) - step), 0);
  return worst / ref.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
}

describe('Conv2DTranspose', () => {
  it('pruned: the stripped kernel holds the zeros, and its files (float32, int8) agree with tfjs in LiteRT', async () => {
    const pruned = sparsity.pruneLowMagnitude(decoder(), {pruningSchedule:
        new sparsity.ConstantSparsity({targetSparsity: 0.5, beginStep: 0, frequency: 1})});
    expect(pruned.layers.map((l) => l.name)).toContain('prune_low_magnitude_tconv');
    pruned.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
    await fitPruned(pruned, data.xs, data.ys, {epochs: 2, batchSize: 8});
    const stripped = sparsity.stripPruning(pruned);
    expect(stripped.getLayer('tconv').getClassName()).toBe('Conv2DTranspose');
    const kernel = kernelOf(stripped, 'tconv');
    expect(kernel.filter((v) => v === 0).length / kernel.length).toBeGreaterThanOrEqual(0.5);
    expect(predictValues(stripped, data.xs)).toEqual(predictValues(pruned, data.xs));
    const fromWrapped = await tfmot.tflite.TFLiteConverter.fromLayersModel(pruned).convert();
    const fromStripped = await tfmot.tflite.TFLiteConverter.fromLayersModel(stripped).convert();
    expect(sameGraph(fromWrapped, fromStripped)).toBe(true);
    expect(await liteRtError(fromStripped, stripped)).toBeLessThanOrEqual(1e-5);
    const int8 = await converterFor(stripped, 'int8', data.xs).convert();
    expect(await liteRtError(int8, stripped)).toBeLessThanOrEqual(0.06);
  });

  it('clustered (per tensor, also under clusterPerChannel): <= n values, and its files agree with tfjs', async () => {
    const clustered = clustering.clusterWeights(decoder(), {numberOfClusters: 4, clusterPerChannel: true});
    expect(clustered.layers.map((l) => l.name)).toContain('cluster_tconv');
    clustered.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
    await clustered.fit(data.xs, data.ys, {epochs: 2, batchSize: 8, verbose: 0});
    const stripped = clustering.stripClustering(clustered);
    expect(stripped.getLayer('tconv').getClassName()).toBe('Conv2DTranspose');
    // clusterPerChannel clusters along the last axis, the input channels of a
    // Conv2DTranspose kernel: it is clustered per tensor instead.
    expect(new Set(kernelOf(stripped, 'tconv')).size).toBeLessThanOrEqual(4);
    expect(predictValues(stripped, data.xs)).toEqual(predictValues(clustered, data.xs));
    const fromWrapped = await tfmot.tflite.TFLiteConverter.fromLayersModel(clustered).convert();
    const fromStripped = await tfmot.tflite.TFLiteConverter.fromLayersModel(stripped).convert();
    expect(sameGraph(fromWrapped, fromStripped)).toBe(true);
    expect(await liteRtError(fromStripped, stripped)).toBeLessThanOrEqual(1e-5);
    const int8 = await converterFor(stripped, 'int8', data.xs).convert();
    expect(await liteRtError(int8, stripped)).toBeLessThanOrEqual(0.06);
  });

  it('QAT: int8 weights per output channel (TRANSPOSE_CONV axis 0), relu as its own op, agreeing with tfjs', async () => {
    const qat = tfmot.quantization.quantizeModel(decoder());
    qat.compile({optimizer: tf.train.sgd(0), loss: 'meanSquaredError'});
    // Settles the activation ranges (the weights do not move).
    await qat.fit(data.xs, data.ys, {epochs: 20, batchSize: 8, verbose: 0});
    const bytes = await converterFor(qat, 'qat', data.xs).convert();
    const {operators, tensors} = tfmot.tflite.inspect(bytes);
    const index = operators.findIndex((op) => op.opName === 'TRANSPOSE_CONV');
    const tconv = operators[index];
    // TFLite's order: output_shape, weights, input, bias.
    expect(tensors[tconv.inputs[0]].type).toBe('INT32');
    const weights = tensors[tconv.inputs[1]];
    expect(weights.shape).toEqual([6, 3, 3, 4]);
    expect(weights.quantization?.scale).toHaveLength(6);
    expect(weights.quantization?.quantizedDimension).toBe(0);
    expect(tensors[tconv.inputs[3]].type).toBe('INT32');
    // A fused activation would need version 4, which the TFLite of 2023 lacks.
    expect(tconv.version).toBe(3);
    expect(operators[index + 1].opName).toBe('RELU');
    expect(await liteRtError(bytes, qat)).toBeLessThanOrEqual(0.03);
  });
});

describe('2-D layer lowering errors name the layer', () => {
  const convert = (layer: tfl.layers.Layer, inputShape: number[]) => tfmot.tflite.TFLiteConverter.fromLayersModel(
      tfl.sequential({layers: [tfl.layers.inputLayer({inputShape}), layer]})).convert();

  it('channelsFirst UpSampling2D, Cropping2D and Conv2DTranspose', async () => {
    await expect(convert(tfl.layers.upSampling2d({dataFormat: 'channelsFirst', name: 'up'}), [2, 4, 4]))
        .rejects.toThrow(/'up' uses dataFormat 'channelsFirst'/);
    await expect(convert(tfl.layers.cropping2D({cropping: 1, dataFormat: 'channelsFirst', name: 'crop'}), [2, 4, 4]))
        .rejects.toThrow(/'crop' uses dataFormat 'channelsFirst'/);
    await expect(convert(tfl.layers.conv2dTranspose({filters: 2, kernelSize: 2, dataFormat: 'channelsFirst',
      name: 'tconv'}), [2, 4, 4])).rejects.toThrow(/'tconv' uses dataFormat 'channelsFirst'/);
  });
});
