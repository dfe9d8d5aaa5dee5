/**
 * 1-D layers beyond what LAYER_MODELS runs in every mode: a Conv1D +
 * BatchNormalization + ReLU becomes one CONV_2D (float and QAT), causal
 * Conv1D (refused), dilated Conv1D (tfjs cannot train it, so not through
 * QAT), and pruned or clustered Conv1D kernels through strip and export.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {runLiteRt, sameGraph} from '../helpers/tflite_eval.js';
import {converterFor, Mode, TOLERANCE, worstError} from './export_modes.js';
import {LAYER_MODELS_1D} from './layer_models_1d.js';
import {randomizeBatchNorms} from './models.js';

type ST = tfl.SymbolicTensor;
const apply = (layer: tfl.layers.Layer, x: ST) => layer.apply(x) as ST;
const init = (seed: number) => tfl.initializers.glorotUniform({seed});

const POST_TRAINING: Mode[] = ['float32', 'float16', 'dynamic', 'int8', 'int16x8'];

let digits: tf.Tensor;
let probe: tf.Tensor;

beforeAll(async () => {
  await tfmot.backend.init();
  const data = tfmot.data.loadMnist({numTrain: 48, numTest: 16, seed: 21});
  probe = data.test.xs;
  digits = tf.concat([data.train.xs, probe]);
  data.train.xs.dispose();
  tf.dispose([data.train.ys, data.test.ys]);
});

afterAll(() => tf.dispose([digits, probe]));

/** Largest LiteRT-vs-reference error beyond the file's rounding slack, relative to the reference. */
async function liteError(bytes: Uint8Array, ref: Float32Array): Promise<number> {
  return worstError(bytes, await runLiteRt(bytes, probe), ref);
}

const predicted = (model: tfl.LayersModel, xs: tf.Tensor) =>
  tf.tidy(() => Float32Array.from((model.predict(xs) as tf.Tensor).dataSync()));

const opNames = (bytes: Uint8Array) => tfmot.tflite.inspect(bytes).operators.map((op) => op.opName);

/** A QAT copy whose ranges saw the digits (learning rate 0: the weights stay), fit to `targets`. */
async function settledQat(model: tfl.LayersModel, targets: tf.Tensor): Promise<tfl.LayersModel> {
  const qat = tfmot.quantization.quantizeModel(model);
  qat.compile({optimizer: tf.train.sgd(0), loss: 'meanSquaredError'});
  await qat.fit(digits, targets, {epochs: 20, batchSize: 32, shuffle: false, verbose: 0});
  return qat;
}

describe('Conv1D + BatchNormalization + ReLU', () => {
  const build = LAYER_MODELS_1D['Conv1D+BatchNormalization+ReLU, AveragePooling1D (same)'];

  it('is one CONV_2D with the BatchNorm folded and the ReLU fused, in float32', async () => {
    const bytes = await tfmot.tflite.TFLiteConverter.fromLayersModel(build()).convert();
    const ops = tfmot.tflite.inspect(bytes).operators;
    expect(ops.map((op) => op.opName)).not.toContain('DEPTHWISE_CONV_2D');
    expect(ops.map((op) => op.opName)).not.toContain('RELU');
    expect(ops.find((op) => op.opName === 'CONV_2D')!.options['fusedActivationFunction']).toBe('RELU');
    // Between the two convs and the pool the RESHAPE pairs cancel: in, out, and before the Dense.
    expect(ops.filter((op) => op.opName === 'RESHAPE').length).toBeLessThanOrEqual(3);
  });

  it('QAT folds the BatchNorm into the Conv1D; its int8 file has the same ops and agrees with it', async () => {
    const model = build();
    const targets = model.predict(digits) as tf.Tensor;
    const qat = await settledQat(model, targets);
    targets.dispose();
    const classes = qat.layers.map((l) => l.getClassName());
    expect(classes).not.toContain('BatchNormalization');
    const wrapper = qat.layers.find((l) => l instanceof tfmot.quantization.QuantizeWrapper &&
        l.layer.getClassName() === 'Conv1D') as tfmot.quantization.QuantizeWrapper;
    expect(wrapper.foldedBatchNorm?.getClassName()).toBe('BatchNormalization');
    const bytes = await converterFor(qat, 'qat', digits).convert();
    const ops = opNames(bytes);
    expect(ops).not.toContain('DEPTHWISE_CONV_2D');
    expect(ops).not.toContain('RELU');
    const error = await liteError(bytes, predicted(qat, probe));
    console.log(`Conv1D+BN+ReLU folded, QAT int8: ${error.toExponential(2)}`);
    expect(error).toBeLessThanOrEqual(TOLERANCE.qat);
  });
});

it('a causal Conv1D fails early in QAT and in the converter, naming the layer', async () => {
  // tfjs-layers cannot run it and builds the layers after it for the length of 'valid'.
  const input = tfl.input({shape: [28, 28, 1]});
  let x = apply(tfl.layers.reshape({targetShape: [28, 28]}), input);
  x = apply(tfl.layers.conv1d({filters: 4, kernelSize: 3, padding: 'causal', name: 'causal_conv'}), x);
  const model = tfl.model({inputs: input, outputs: apply(tfl.layers.globalMaxPooling1d({}), x)});
  const message = /Layer 'causal_conv' \(Conv1D\) uses padding 'causal' .*supported: 'same', 'valid'/;
  expect(() => tfmot.quantization.quantizeModel(model)).toThrow(message);
  await expect(tfmot.tflite.TFLiteConverter.fromLayersModel(model).convert()).rejects.toThrow(message);
});

it('dilated Conv1D (tfjs runs it but has no gradient for it) converts in the post-training modes', async () => {
  const input = tfl.input({shape: [28, 28, 1]});
  let x = apply(tfl.layers.reshape({targetShape: [28, 28]}), input);
  x = apply(tfl.layers.conv1d({filters: 6, kernelSize: 3, dilationRate: 3, kernelInitializer: init(41)}), x);
  x = apply(tfl.layers.conv1d({filters: 4, kernelSize: 2, dilationRate: 2, padding: 'same', activation: 'relu',
    kernelInitializer: init(42)}), x);
  x = apply(tfl.layers.globalMaxPooling1d({}), x);
  const model = tfl.model({inputs: input, outputs: apply(tfl.layers.dense({units: 10, kernelInitializer: init(43)}), x)});
  const expected = predicted(model, probe);
  const report: string[] = [];
  for (const mode of POST_TRAINING) {
    const bytes = await converterFor(model, mode, digits).convert();
    const error = await liteError(bytes, expected);
    report.push(`${mode} ${error.toExponential(2)}`);
    expect(error, mode).toBeLessThanOrEqual(TOLERANCE[mode]);
  }
  console.log(`dilated Conv1D: ${report.join(', ')}`);
});

describe('pruned and clustered Conv1D kernels', () => {
  /** [28, 28] -> Conv1D 16 (k 3, relu) -> MaxPooling1D 2 -> Conv1D 8 (k 3) -> GlobalAveragePooling1D -> Dense 10. */
  function sensorNet(): tfl.LayersModel {
    const input = tfl.input({shape: [28, 28, 1]});
    let x = apply(tfl.layers.reshape({targetShape: [28, 28]}), input);
    x = apply(tfl.layers.conv1d({filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: init(51),
      name: 'conv_a'}), x);
    x = apply(tfl.layers.maxPooling1d({poolSize: 2}), x);
    x = apply(tfl.layers.conv1d({filters: 8, kernelSize: 3, kernelInitializer: init(52), name: 'conv_b'}), x);
    x = apply(tfl.layers.globalAveragePooling1d({}), x);
    return tfl.model({inputs: input, outputs: apply(tfl.layers.dense({units: 10, kernelInitializer: init(53)}), x)});
  }

  /** The wrapped model converts to what its stripped form converts to, and both agree with tfjs. */
  async function exportsAsStripped(what: string, wrapped: tfl.LayersModel, stripped: tfl.LayersModel):
      Promise<void> {
    const fromWrapped = await tfmot.tflite.TFLiteConverter.fromLayersModel(wrapped).convert();
    const fromStripped = await tfmot.tflite.TFLiteConverter.fromLayersModel(stripped).convert();
    expect(sameGraph(fromWrapped, fromStripped)).toBe(true);
    const expected = predicted(stripped, probe);
    const int8 = await converterFor(stripped, 'int8', digits).convert();
    const errors = [await liteError(fromStripped, expected), await liteError(int8, expected)];
    console.log(`${what}: float32 ${errors[0].toExponential(2)}, int8 ${errors[1].toExponential(2)}`);
    expect(errors[0]).toBeLessThanOrEqual(TOLERANCE.float32);
    expect(errors[1]).toBeLessThanOrEqual(TOLERANCE.int8);
  }

  it('pruning zeroes half of each Conv1D kernel; strip and export keep the zeros', async () => {
    const {sparsity} = tfmot;
    const pruned = sparsity.pruneLowMagnitude(sensorNet(),
        {pruningSchedule: new sparsity.ConstantSparsity({targetSparsity: 0.5, beginStep: 0, frequency: 1})});
    pruned.compile({optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError'});
    const targets = tf.randomNormal([digits.shape[0], 10], 0, 1, 'float32', 54);
    await pruned.fit(digits, targets, {epochs: 1, batchSize: 32, shuffle: false, verbose: 0,
      callbacks: [new sparsity.UpdatePruningStep()] as unknown as tfl.Callback[]});
    targets.dispose();
    const stripped = sparsity.stripPruning(pruned);
    for (const name of ['conv_a', 'conv_b']) {
      const kernel = stripped.getLayer(name).getWeights()[0].dataSync();
      const zeros = kernel.filter((v) => v === 0).length;
      expect(zeros / kernel.length, name).toBeCloseTo(0.5, 1);
    }
    await exportsAsStripped('pruned Conv1D', pruned, stripped);
  });

  it("structure 'filters' removes half the Conv1D filters (through BatchNorm, pooling, Flatten); export agrees",
      async () => {
        const {sparsity} = tfmot;
        const input = tfl.input({shape: [28, 28, 1]});
        let x = apply(tfl.layers.reshape({targetShape: [28, 28]}), input);
        const prune = (layer: tfl.layers.Layer) => sparsity.pruneLowMagnitude(layer, {structure: 'filters',
          pruningSchedule: new sparsity.ConstantSparsity({targetSparsity: 0.5, beginStep: 0, frequency: 1})});
        x = apply(prune(tfl.layers.conv1d({filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: init(61),
          name: 'conv_a'})), x);
        x = apply(tfl.layers.batchNormalization({name: 'bn'}), x);
        x = apply(tfl.layers.maxPooling1d({poolSize: 2}), x);
        x = apply(prune(tfl.layers.conv1d({filters: 8, kernelSize: 3, kernelInitializer: init(62), name: 'conv_b'})), x);
        x = apply(tfl.layers.averagePooling1d({poolSize: 2}), x);
        x = apply(tfl.layers.flatten(), x);
        const pruned = tfl.model({inputs: input, outputs: apply(tfl.layers.dense({units: 10,
          kernelInitializer: init(63), name: 'head'}), x)});
        randomizeBatchNorms(pruned, 64);
        pruned.compile({optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError'});
        const targets = tf.randomNormal([digits.shape[0], 10], 0, 1, 'float32', 65);
        await pruned.fit(digits, targets, {epochs: 1, batchSize: 32, shuffle: false, verbose: 0,
          callbacks: [new sparsity.UpdatePruningStep()] as unknown as tfl.Callback[]});
        targets.dispose();
        const stripped = sparsity.stripPruning(pruned);
        expect(stripped.getLayer('conv_a').getWeights()[0].shape).toEqual([3, 28, 4]);
        expect(stripped.getLayer('bn').getWeights()[0].shape).toEqual([4]);
        expect(stripped.getLayer('conv_b').getWeights()[0].shape).toEqual([3, 4, 4]);
        expect(stripped.getLayer('head').getWeights()[0].shape).toEqual([5 * 4, 10]);
        const expected = predicted(pruned, probe);
        const own = predicted(stripped, probe);
        expect(Math.max(...own.map((v, i) => Math.abs(v - expected[i])))).toBeLessThanOrEqual(1e-4);
        const float32 = await tfmot.tflite.TFLiteConverter.fromLayersModel(stripped).convert();
        const int8 = await converterFor(stripped, 'int8', digits).convert();
        const errors = [await liteError(float32, own), await liteError(int8, own)];
        console.log(`filter-pruned Conv1D: float32 ${errors[0].toExponential(2)}, int8 ${errors[1].toExponential(2)}`);
        expect(errors[0]).toBeLessThanOrEqual(TOLERANCE.float32);
        expect(errors[1]).toBeLessThanOrEqual(TOLERANCE.int8);
      });

  it('clustering (per channel) leaves <= 4 values per Conv1D output channel; strip and export keep them', async () => {
    const {clusterWeights, stripClustering} = tfmot.clustering;
    const clustered = clusterWeights(sensorNet(), {numberOfClusters: 4, clusterPerChannel: true});
    clustered.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
    const targets = tf.randomNormal([digits.shape[0], 10], 0, 1, 'float32', 55);
    await clustered.fit(digits, targets, {epochs: 1, batchSize: 32, shuffle: false, verbose: 0});
    targets.dispose();
    const stripped = stripClustering(clustered);
    for (const name of ['conv_a', 'conv_b']) {
      const [kernel] = stripped.getLayer(name).getWeights();
      const filters = kernel.shape[2]!;
      const values = kernel.dataSync();
      for (let c = 0; c < filters; c++) {
        const channel = values.filter((_, i) => i % filters === c);
        expect(new Set(channel).size, `${name} channel ${c}`).toBeLessThanOrEqual(4);
      }
      // Per channel, not per tensor: the kernel as a whole keeps more than 4 values.
      expect(new Set(values).size, name).toBeGreaterThan(4);
    }
    await exportsAsStripped('clustered Conv1D', clustered, stripped);
  });
});
