/**
 * Models converted from Keras by the tensorflowjs converter load, save back,
 * train through QAT, pruning and clustering, and export in every mode with
 * LiteRT agreeing with tfjs, as they are: BatchNormalization's `axis: [3]`,
 * `L1`/`L2` regularizers, the `Functional` class name, Keras activation
 * names. Config forms the library cannot use fail when the model is wrapped.
 */
import {mkdtemp, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {runLiteRt} from '../helpers/tflite_eval.js';
import {filesInEveryMode, TOLERANCE, worstError} from '../tflite/export_modes.js';
import * as k from './keras_models.js';


/** Conv2D+BN+ReLU, a residual Conv2D+BN, Add, Concatenate, global pooling, Dense (Keras 2 forms). */
const RESIDUAL = k.functional('residual', [
  k.inputLayer('input_1', [28, 28, 1]),
  k.conv2d('conv2d', 4, k.l2(1e-4), {}, ['input_1']),
  k.batchNorm('batch_normalization', [3], ['conv2d']),
  k.relu('re_lu', null, ['batch_normalization']),
  k.conv2d('conv2d_1', 4, k.l1(1e-5), {}, ['re_lu']),
  k.batchNorm('batch_normalization_1', 3, ['conv2d_1']),
  k.add('add', ['re_lu', 'batch_normalization_1']),
  k.activation('activation', 'relu', ['add']),
  k.concatenate('concatenate', 3, ['activation', 're_lu']),
  k.gap2d('global_average_pooling2d', ['concatenate']),
  k.dense('dense', 10, 'softmax', k.l2(1e-4), ['global_average_pooling2d']),
], 'input_1', 'dense');
const RESIDUAL_CHANNELS = {conv2d: 1, batch_normalization: 4, conv2d_1: 4, batch_normalization_1: 4, dense: 8};

/** Strided Conv2D+BN+ReLU(6), pooling, Dense+BN over `axis: [1]`, relu6, Dropout, softmax. */
const SEQUENTIAL = k.sequential('sequential', [
  k.inputLayer('input_2', [28, 28, 1]),
  k.conv2d('conv2d_2', 6, k.l1(1e-5), {strides: [2, 2]}),
  k.batchNorm('batch_normalization_2', [3]),
  k.relu('re_lu_1', 6.0),
  k.maxPool2d('max_pooling2d'),
  k.flatten('flatten'),
  k.dense('dense_1', 16, 'linear', k.l2(1e-4)),
  k.batchNorm('batch_normalization_3', [1]),
  k.activation('activation_1', 'relu6'),
  k.dropout('dropout', 0.2),
  k.dense('dense_2', 10, 'softmax', null),
]);
const SEQUENTIAL_CHANNELS = {conv2d_2: 1, batch_normalization_2: 6, dense_1: 294, batch_normalization_3: 16, dense_2: 16};

let root: string;
let digits: tf.Tensor;
let probe: tf.Tensor;
let train: tf.Tensor;
let labels: tf.Tensor;

beforeAll(async () => {
  await tfmot.backend.init();
  root = await mkdtemp(join(tmpdir(), 'tfmot-keras-'));
  await k.writeConvertedModel(join(root, 'residual'), RESIDUAL, RESIDUAL_CHANNELS, 1);
  await k.writeConvertedModel(join(root, 'sequential'), SEQUENTIAL, SEQUENTIAL_CHANNELS, 2);
  const data = tfmot.data.loadMnist({numTrain: 64, numTest: 16, seed: 13});
  probe = data.test.xs;
  // Calibration and QAT settling see 16 training digits and the probe: enough for these small models, and fast.
  digits = tf.tidy(() => tf.concat([tf.slice(data.train.xs, 0, 16), probe]));
  train = data.train.xs;
  labels = tf.tidy(() => tf.oneHot(tf.cast(tf.reshape(data.train.ys, [-1]), 'int32'), 10));
  data.train.ys.dispose();
  data.test.ys.dispose();
});

afterAll(async () => {
  tf.dispose([digits, probe, train, labels]);
  await rm(root, {recursive: true, force: true});
});

const load = (name: string) => tfl.loadLayersModel(tfmot.io.fileSystem(join(root, name)));

function predict(model: tfl.LayersModel, x: tf.Tensor): Float32Array {
  return tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync() as Float32Array);
}

/**
 * Every mode's file run by LiteRT on the probe digits, within that mode's
 * tolerance of tfjs; `withQat` false stops before the QAT mode (its settling
 * fit is the slow part, and the QAT test below covers it).
 */
async function expectEveryModeAgrees(name: string, model: tfl.LayersModel, withQat = true): Promise<void> {
  const report: string[] = [];
  for await (const {mode, source, bytes} of filesInEveryMode(model, digits)) {
    if (mode === 'qat' && !withQat) {
      break;
    }
    const lite = await runLiteRt(bytes, probe);
    const ref = predict(source, probe);
    const worst = worstError(bytes, lite, ref);
    report.push(`${mode} ${worst.toExponential(2)}`);
    expect(worst, `${name}: ${mode}`).toBeLessThanOrEqual(TOLERANCE[mode]);
  }
  console.log(`${name}: ${report.join(', ')}`);
}

/** A few epochs of Adam on the digits (the regularizers' losses included). */
async function fitFew(model: tfl.LayersModel, callbacks: tfl.Callback[] = []): Promise<void> {
  model.compile({optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy'});
  await model.fit(train, labels, {epochs: 3, batchSize: 16, shuffle: false, verbose: 0, callbacks});
}

describe('Keras-converted models', () => {
  it('load as the converter writes them and save back in the Keras forms', async () => {
    const model = await load('residual');
    expect(model.getClassName()).toBe('Functional');
    expect(model.getLayer('batch_normalization').getConfig()['axis']).toEqual([3]);
    const regularizer = model.getLayer('conv2d').getConfig()['kernelRegularizer'];
    expect(regularizer).toEqual({className: 'L2', config: {l2: 1e-4}});
    expect(model.getLayer('conv2d_1').getConfig()['kernelRegularizer']).toEqual({className: 'L1', config: {l1: 1e-5}});
    const before = predict(model, probe);
    expect(before.every(Number.isFinite)).toBe(true);

    await model.save(tfmot.io.fileSystem(join(root, 'saved')));
    const json = JSON.parse(await readFile(join(root, 'saved', 'model.json'), 'utf8'));
    const layers = json.modelTopology.config.layers as Array<{name: string, config: Record<string, unknown>}>;
    const conv = layers.find((l) => l.name === 'conv2d')!.config;
    expect(conv['kernel_regularizer']).toEqual({class_name: 'L2', config: {l2: 1e-4}});
    const reloaded = await load('saved');
    expect(predict(reloaded, probe)).toEqual(before);
    tf.dispose([model, reloaded].flatMap((m) => m.weights.map((w) => w.read())));
  });

  it('the Sequential form loads, with Keras activation names', async () => {
    const model = await load('sequential');
    expect(model.getClassName()).toBe('Sequential');
    expect(model.getLayer('activation_1').getConfig()['activation']).toBe('relu6');
    expect(model.getLayer('batch_normalization_3').getConfig()['axis']).toEqual([1]);
  });

  for (const name of ['residual', 'sequential']) {
    it(`${name}: every export mode agrees with tfjs in LiteRT`, async () => {
      await expectEveryModeAgrees(name, await load(name));
    });
  }

  it('the wrappers keep the regularizers\' penalties in training, on the variables they train', async () => {
    const model = await load('residual');
    const penalties = (m: tfl.LayersModel) => tf.tidy(() =>
      (m as unknown as {calculateLosses(): tf.Scalar[]}).calculateLosses().map((t) => t.dataSync()[0]));
    // L2(1e-4) on conv2d and dense, L1(1e-5) on conv2d_1: three penalties.
    const expected = penalties(model);
    expect(expected.length).toBe(3);
    const wrapped = {
      qat: tfmot.quantization.quantizeModel(model),
      pruned: tfmot.sparsity.pruneLowMagnitude(model),
      clustered: tfmot.clustering.clusterWeights(model, {numberOfClusters: 4, clusterCentroidsInit: 'LINEAR'}),
    };
    for (const [name, m] of Object.entries(wrapped)) {
      const got = penalties(m);
      expect(got.length, name).toBe(3);
      got.forEach((v, i) => expect(v, name).toBeCloseTo(expected[i], 6));
      // The penalized kernels are the ones training moves: the wrapped model trains them.
      for (const layerName of ['conv2d', 'conv2d_1', 'dense']) {
        const inner = m.layers.map((l) => (l as {layer?: tfl.layers.Layer}).layer)
            .find((l) => l?.name === layerName);
        const kernelVariable = (inner as unknown as {kernel: tfl.LayerVariable}).kernel;
        expect(m.trainableWeights.includes(kernelVariable), `${name} ${layerName}`).toBe(true);
      }
    }
  });

  it('residual: QAT trains (BatchNorms folded) and its int8 file agrees with it', async () => {
    const qat = tfmot.quantization.quantizeModel(await load('residual'));
    // axis [3] and 3 both fold: no BatchNormalization is left outside a conv wrapper.
    expect(qat.layers.map((l) => l.name).filter((n) => n.includes('batch_normalization'))).toEqual([]);
    await fitFew(qat);
    // The wrappers save their inner layers' L1/L2 regularizers and load back.
    await qat.save(tfmot.io.fileSystem(join(root, 'qat')));
    expect(predict(await load('qat'), probe)).toEqual(predict(qat, probe));
    const c = tfmot.tflite.TFLiteConverter.fromLayersModel(qat);
    c.optimizations = ['DEFAULT'];
    const bytes = await c.convert();
    const lite = await runLiteRt(bytes, probe);
    const ref = predict(qat, probe);
    const worst = worstError(bytes, lite, ref);
    console.log(`residual QAT after training: int8 ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(TOLERANCE.qat);
  });

  it('residual: pruned (+strip) and clustered (+strip) export in every post-training mode', async () => {
    const pruned = tfmot.sparsity.pruneLowMagnitude(await load('residual'), {
      pruningSchedule: new tfmot.sparsity.ConstantSparsity({targetSparsity: 0.5, beginStep: 0, frequency: 1}),
    });
    await fitFew(pruned, [new tfmot.sparsity.UpdatePruningStep()]);
    const stripped = tfmot.sparsity.stripPruning(pruned);
    const kernel = stripped.getLayer('conv2d_1').getWeights()[0].dataSync();
    expect(kernel.filter((v) => v === 0).length).toBeGreaterThanOrEqual(kernel.length / 2);
    await expectEveryModeAgrees('residual pruned', stripped, false);

    const clustered = tfmot.clustering.clusterWeights(await load('residual'),
        {numberOfClusters: 4, clusterCentroidsInit: 'LINEAR'});
    await fitFew(clustered);
    const plain = tfmot.clustering.stripClustering(clustered);
    expect(new Set(plain.getLayer('conv2d_1').getWeights()[0].dataSync()).size).toBeLessThanOrEqual(4);
    await expectEveryModeAgrees('residual clustered', plain, false);
  });
});

describe('config forms the library cannot use fail when the model is wrapped', () => {
  /** A Keras-form model with `bad` after a Conv2D on 8x8x2 inputs. */
  async function modelWith(name: string, bad: Record<string, unknown>, channels: Record<string, number>) {
    const topology = k.functional(name, [
      k.inputLayer('in', [8, 8, 2]),
      k.conv2d('conv', 2, null, {}, ['in']),
      {...bad, inbound_nodes: [[['conv', 0, 0, {}]]]},
    ], 'in', bad['name'] as string);
    await k.writeConvertedModel(join(root, name), topology, {conv: 2, ...channels}, 3);
    return load(name);
  }

  const wrappers: Array<[string, (m: tfl.LayersModel) => unknown]> = [
    ['quantizeModel', (m) => tfmot.quantization.quantizeModel(m)],
    ['pruneLowMagnitude', (m) => tfmot.sparsity.pruneLowMagnitude(m)],
    ['clusterWeights', (m) => tfmot.clustering.clusterWeights(m, {numberOfClusters: 2, clusterCentroidsInit: 'LINEAR'})],
  ];

  it('BatchNormalization over a spatial axis ([1]), in every wrapper and the converter', async () => {
    const model = await modelWith('bn_rows', k.batchNorm('bn_rows', [1]), {bn_rows: 8});
    for (const [fn, wrap] of wrappers) {
      expect(() => wrap(model), fn).toThrow(new RegExp(
          `^${fn}: Layer 'bn_rows' \\(BatchNormalization\\) works over axis \\[1\\] of a rank-4 input; ` +
          `.*last axis only: -1, 3 or \\[3\\]`));
    }
    await expect(tfmot.tflite.TFLiteConverter.fromLayersModel(model).convert()).rejects.toThrow(/'bn_rows'.*axis \[1\]/);
  });

  it('Softmax over a non-last axis', async () => {
    const model = await modelWith('softmax_rows', k.softmax('softmax_rows', 1), {});
    for (const [fn, wrap] of wrappers) {
      expect(() => wrap(model), fn).toThrow(new RegExp(`^${fn}: Layer 'softmax_rows' \\(Softmax\\) works over axis 1`));
    }
  });

  it('Concatenate over a negative axis other than -1 (tfjs-layers computes it over the last)', async () => {
    const topology = k.functional('concat_rows', [
      k.inputLayer('in', [8, 8, 2]),
      k.conv2d('conv', 2, null, {}, ['in']),
      k.concatenate('concat_rows', -3, ['conv', 'in']),
    ], 'in', 'concat_rows');
    await k.writeConvertedModel(join(root, 'concat_rows'), topology, {conv: 2}, 4);
    const model = await load('concat_rows');
    for (const [fn, wrap] of wrappers) {
      expect(() => wrap(model), fn).toThrow(new RegExp(`^${fn}: Layer 'concat_rows': Concatenate axis -3 .*give it as 1`));
    }
  });

  it('an activation QAT cannot quantize (Keras log_softmax) fails in quantizeModel, naming the layer', async () => {
    const model = await modelWith('log_softmax', k.activation('log_softmax_act', 'log_softmax'), {});
    expect(() => tfmot.quantization.quantizeModel(model)).toThrow(/Layer 'log_softmax_act'.*activation 'logSoftmax'/);
  });
});
