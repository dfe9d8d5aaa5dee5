/**
 * tfmot.report / formatReport on the tutorial model, pruned and clustered
 * models (wrapped and stripped), a QAT model, and float32 / float16 / int8
 * TFLite files. No real training: the numbers checked come from the
 * optimizations themselves, so the file runs in a few seconds.
 */
import {gunzipSync, gzipSync as zlibGzipSync} from 'node:zlib';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {gzipSync} from 'fflate';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';

const kernels = (r: tfmot.ModelReport) => r.layers.flatMap((l) => l.weights).filter((w) => w.shape.length >= 2);

async function tflite(model: tfl.LayersModel, mode: 'float32'|'float16'|'int8', samples: tf.Tensor[] = []) {
  const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(model);
  if (mode !== 'float32') {
    converter.optimizations = ['DEFAULT'];
  }
  if (mode === 'float16') {
    converter.targetSpec.supportedTypes = ['float16'];
  }
  if (mode === 'int8') {
    converter.representativeDataset = () => samples;
  }
  return converter.convert();
}

describe('report', () => {
  let model: tfl.LayersModel;
  let xs: tf.Tensor;
  let ys: tf.Tensor;

  beforeAll(async () => {
    await tfmot.backend.init();
    model = tfmot.data.mnistTutorialModel({seed: 3});
    xs = tf.randomUniform([64, 28, 28, 1], 0, 1, 'float32', 3);
    ys = tf.oneHot(tf.randomUniform([64], 0, 10, 'int32', 4), 10);
  });

  afterAll(() => {
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('reports every weight of the tutorial model, with float32 sizes', () => {
    const before = tf.memory().numTensors;
    const r = tfmot.report(model);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.source).toBe('LayersModel');
    expect(r.layers.map((l) => [l.name, l.kind, l.params])).toEqual([
      ['conv2d_Conv2D1', 'Conv2D', 120], ['dense_Dense1', 'Dense', 20290]]);
    expect(r.totalParams).toBe(model.countParams());
    expect(r.rawBytes).toBe(4 * model.countParams());
    expect(r.weightBytes).toBe(r.rawBytes);
    const floats = model.getWeights().map((w) => new Uint8Array((w.dataSync() as Float32Array).slice().buffer));
    expect(r.gzippedBytes).toBe(gzipSync(Buffer.concat(floats), {level: 6}).length);

    const [kernel, bias] = r.layers[1].weights;
    const values = model.layers[3].getWeights()[0].dataSync();
    expect(kernel).toMatchObject({name: 'dense_Dense1/kernel', shape: [2028, 10], type: 'float32', bits: 32,
      params: 20280, bytes: 81120, channelAxis: 1, distinctValues: new Set(values).size});
    expect(kernel.maxDistinctPerChannel).toBeLessThanOrEqual(2028);
    // Biases start at zero.
    expect(bias).toMatchObject({zeros: 10, sparsity: 1, distinctValues: 1, channelAxis: null,
      maxDistinctPerChannel: null});
    expect(r.zeros).toBe(22 + kernel.zeros + r.layers[0].weights[0].zeros);

    const text = tfmot.formatReport(r);
    expect(text).toContain(`${model.countParams()} parameters in 4 weight tensors`);
    expect(text).toMatch(/dense_Dense1 \(Dense\)\s+kernel\s+\[2028,10\]\s+float32\s+32\s+20280/);
    expect(text).toContain(`${r.rawBytes} bytes raw, ${r.gzippedBytes} bytes gzipped`);
  });

  it('counts distinct values per output channel (last axis in tfjs, axis 0 in TFLite)', async () => {
    const dense = tfl.sequential({layers: [tfl.layers.dense({inputShape: [3], units: 2})]});
    dense.layers[0].setWeights([tf.tensor2d([[1, 5], [2, 5], [3, 0]]), tf.tensor1d([0, 7])]);
    const fromModel = tfmot.report(dense).layers[0].weights;
    expect(fromModel[0]).toMatchObject({distinctValues: 5, maxDistinctPerChannel: 3, zeros: 1, channelAxis: 1});
    expect(fromModel[1]).toMatchObject({distinctValues: 2, zeros: 1});
    const fromFile = tfmot.report(await tflite(dense, 'float32')).layers[0];
    expect(fromFile.kind).toBe('FULLY_CONNECTED');
    expect(fromFile.weights[0]).toMatchObject({shape: [2, 3], distinctValues: 5, maxDistinctPerChannel: 3,
      zeros: 1, channelAxis: 0});
    dense.dispose();
  });

  it('unwraps pruning wrappers; a stripped 50% pruned model has ~50% zeros per kernel', async () => {
    const pruned = tfmot.sparsity.pruneLowMagnitude(model, {pruningSchedule:
        new tfmot.sparsity.ConstantSparsity({targetSparsity: 0.5, beginStep: 0, frequency: 1})});
    pruned.compile({optimizer: tf.train.sgd(1e-3), loss: tfmot.data.categoricalCrossentropyFromLogits});
    await pruned.fit(xs, ys, {epochs: 1, batchSize: 32, verbose: 0,
      callbacks: [new tfmot.sparsity.UpdatePruningStep()]});
    const stripped = tfmot.sparsity.stripPruning(pruned);
    const wrapped = tfmot.report(pruned);
    const plain = tfmot.report(stripped);
    // Only the inner layers' weights: no masks, thresholds or steps.
    expect(wrapped.totalParams).toBe(model.countParams());
    expect(plain.totalParams).toBe(model.countParams());
    const sparsity = tfmot.sparsity.getSparsity(stripped).layers.map((l) => l.sparsity);
    expect(kernels(plain).map((k) => k.sparsity)).toEqual(sparsity);
    expect(kernels(wrapped).map((k) => k.sparsity)).toEqual(sparsity);
    for (const k of kernels(plain)) {
      expect(Math.abs(k.sparsity - 0.5), k.name).toBeLessThanOrEqual(0.01);
    }
    // int8 keeps the zeros (symmetric weights, zero point 0).
    const int8 = tfmot.report(await tflite(stripped, 'int8', tf.split(tf.slice(xs, 0, 8), 8)));
    for (const k of kernels(int8)) {
      expect(k.type).toBe('INT8');
      expect(k.sparsity, k.name).toBeGreaterThanOrEqual(0.49);
    }
    pruned.dispose();
    stripped.dispose();
  });

  it('a clustered model has at most n distinct values, wrapped or stripped, in tfjs and in the file', async () => {
    const before = tf.memory().numTensors;
    const clustered = tfmot.clustering.clusterWeights(model, {numberOfClusters: 8});
    const wrapped = tfmot.report(clustered);
    expect(wrapped.totalParams).toBe(model.countParams());
    for (const k of kernels(wrapped)) {
      expect(k.distinctValues, k.name).toBeLessThanOrEqual(8);
    }
    const stripped = tfmot.clustering.stripClustering(clustered);
    const plain = tfmot.report(stripped);
    // Names as created, not tfjs's de-duplicated ones (`kernel_1`).
    expect(kernels(plain).map((k) => k.name)).toEqual(['conv2d_Conv2D1/kernel', 'dense_Dense1/kernel']);
    expect(kernels(plain).map((k) => k.distinctValues)).toEqual(kernels(wrapped).map((k) => k.distinctValues));
    const file = tfmot.report(await tflite(stripped, 'float32'));
    expect(kernels(file).map((k) => k.distinctValues)).toEqual(kernels(plain).map((k) => k.distinctValues));
    // Clustered float32 weights compress.
    expect(plain.gzippedBytes).toBeLessThan(tfmot.report(model).gzippedBytes / 3);

    const perChannel = tfmot.clustering.clusterWeights(model, {numberOfClusters: 4, clusterPerChannel: true});
    const conv = tfmot.report(perChannel).layers[0].weights[0];
    expect(conv.maxDistinctPerChannel).toBeLessThanOrEqual(4);
    expect(conv.distinctValues).toBeGreaterThan(4);
    clustered.dispose();
    stripped.dispose();
    perChannel.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports the float weights of a QAT model, without quantizer variables', () => {
    const qat = tfmot.quantization.quantizeModel(model);
    const r = tfmot.report(qat);
    expect(r.layers.map((l) => [l.name, l.kind])).toEqual(
        [['quant_conv2d_Conv2D1', 'Conv2D'], ['quant_dense_Dense1', 'Dense']]);
    expect(r.totalParams).toBe(model.countParams());
    qat.dispose();
  });

  it('int8 and float16 files: stored types and bits, sizes are the file\'s', async () => {
    const samples = tf.split(tf.slice(xs, 0, 8), 8);
    for (const [mode, kernelType, bits, biasType] of [
      ['int8', 'INT8', 8, 'INT32'], ['float16', 'FLOAT16', 16, 'FLOAT16'], ['float32', 'FLOAT32', 32, 'FLOAT32'],
    ] as const) {
      const bytes = await tflite(model, mode, samples);
      const r = tfmot.report(bytes);
      expect(r.source).toBe('TFLite');
      expect(r.rawBytes, mode).toBe(bytes.length);
      expect(r.gzippedBytes, mode).toBe(gzipSync(bytes, {level: 6}).length);
      // fflate (same numbers in a browser) writes real gzip, within 3% of node:zlib's default level.
      expect(gunzipSync(gzipSync(bytes, {level: 6})).equals(bytes), mode).toBe(true);
      expect(Math.abs(r.gzippedBytes / zlibGzipSync(bytes).length - 1), mode).toBeLessThan(0.03);
      expect(r.totalParams, mode).toBe(model.countParams());
      expect(r.layers.map((l) => l.kind), mode).toEqual(['CONV_2D', 'FULLY_CONNECTED']);
      for (const layer of r.layers) {
        const [kernel, bias] = layer.weights;
        expect([kernel.type, kernel.bits, kernel.bytes], `${mode} ${kernel.name}`)
            .toEqual([kernelType, bits, kernel.params * bits / 8]);
        expect(bias.type, `${mode} ${bias.name}`).toBe(biasType);
        expect(kernel.channelAxis).toBe(0);
      }
      const inspected = tfmot.tflite.inspect(bytes);
      expect(r.weightBytes).toBe(inspected.totalBufferBytes);
      expect(tfmot.formatReport(r)).toContain(`${bytes.length} bytes raw`);
      if (mode === 'int8') {
        // Per-channel int8 conv weights: at most 255 levels per channel, 9 values each.
        expect(r.layers[0].weights[0].maxDistinctPerChannel).toBeLessThanOrEqual(9);
        expect(r.layers[1].weights[0].distinctValues).toBeLessThanOrEqual(255);
      }
    }
    tf.dispose(samples);
  });

  it('rejects what is neither a model nor TFLite bytes', () => {
    expect(() => tfmot.report(42 as never)).toThrow(tfmot.ValueError);
    expect(() => tfmot.report(new Uint8Array(32))).toThrow(/not a .tflite file/);
  });
});
