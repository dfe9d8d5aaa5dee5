/**
 * Clustered and collaboratively optimized models over time and on disk:
 * fit does not grow the tensor count; clustered and CQAT models save and
 * load (memory and tfmot.io.fileSystem) and predict the same; CQAT keeps its
 * number of distinct values while training on; PQAT keeps the pruned zeros
 * through QAT and into the int8 TFLite file, which LiteRT runs.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {TensorType} from '../../src/tflite/schema.js';
import {useRoundtrips} from '../helpers/save_load.js';
import {runLiteRt} from '../helpers/tflite_eval.js';
import {maxAbsDiff} from '../helpers/compare.js';
import {dataset, predictValues, seeded} from '../helpers/models.js';
import {byChannel, centroidRows, values, variable, wrappersOf} from './helpers.js';

const {clustering, quantization} = tfmot;
type QuantizeWrapper = tfmot.quantization.QuantizeWrapper;

const roundtrips = useRoundtrips('tfmot-cluster-');
let images: {xs: tf.Tensor, ys: tf.Tensor};

beforeAll(async () => {
  await tfmot.backend.init();
  images = dataset(32, [8, 8, 2], 5, 3);
});

afterAll(() => {
  tf.dispose([images.xs, images.ys]);
});

/** Input [8, 8, 2] -> Conv2D(4, relu) -> MaxPool -> Flatten -> Dense(5). */
function convNet(): tfl.LayersModel {
  const input = tfl.input({shape: [8, 8, 2], name: 'image'});
  let x = tfl.layers.conv2d({filters: 4, kernelSize: 3, activation: 'relu', name: 'conv',
    kernelInitializer: seeded(21)}).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.maxPooling2d({poolSize: 2, name: 'pool'}).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.flatten({name: 'flat'}).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({units: 5, name: 'fc', kernelInitializer: seeded(22)}).apply(x) as tfl.SymbolicTensor;
  return tfl.model({inputs: input, outputs: x, name: 'conv_net'});
}

function compile(model: tfl.LayersModel, learningRate = 0.01): void {
  model.compile({optimizer: tf.train.adam(learningRate), loss: tfmot.data.categoricalCrossentropyFromLogits});
}

const fit = (model: tfl.LayersModel, epochs: number, callbacks?: tfl.CustomCallbackArgs|tfl.Callback[]) =>
  model.fit(images.xs, images.ys, {epochs, batchSize: 8, shuffle: false, verbose: 0, callbacks});

async function clusteredNet(params: tfmot.clustering.ClusterParams): Promise<tfl.LayersModel> {
  const model = clustering.clusterWeights(convNet(), params);
  compile(model);
  await fit(model, 1);
  return model;
}

/** Every weight of a model, in order, as numbers. */
function weightValues(model: tfl.LayersModel): number[][] {
  return model.weights.map((v) => Array.from(v.read().dataSync()));
}

/** The fake-quantized kernel each QuantizeWrapper computes with, by layer name. */
function quantizedKernels(model: tfl.LayersModel): Record<string, Float32Array> {
  return tf.tidy(() => Object.fromEntries(model.layers
      .filter((l): l is QuantizeWrapper => l instanceof quantization.QuantizeWrapper && l.layer.weights.length > 0)
      .map((l) => [l.layer.name, Float32Array.from(l.effectiveWeights(null)[0].value.dataSync())])));
}

describe('memory', () => {
  it('a clustered model (per channel, sparsity kept) trains 3 epochs without growing numTensors', async () => {
    const model = clustering.clusterWeights(convNet(), {numberOfClusters: 4, clusterPerChannel: true,
      preserveSparsity: true, clusterCentroidsInit: 'KMEANS_PLUS_PLUS'});
    compile(model);
    const counts: number[] = [];
    await fit(model, 3, {onEpochEnd: async () => {
      counts.push(tf.memory().numTensors);
    }});
    expect(counts[1]).toBe(counts[0]);
    expect(counts[2]).toBe(counts[0]);
  });

  it('stripClustering leaves no tensors besides the new model\'s weights', async () => {
    const model = await clusteredNet({numberOfClusters: 4});
    clustering.stripClustering(model).dispose();  // warm-up
    const before = tf.memory().numTensors;
    const stripped = clustering.stripClustering(model);
    expect(tf.memory().numTensors).toBe(before + stripped.weights.length);
    stripped.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

for (const [how, roundtrip] of roundtrips) {
  describe(`save and load (${how})`, () => {
    it('a clustered model comes back with its centroids, masks, options and predictions', async () => {
      const model = await clusteredNet({numberOfClusters: 5, clusterPerChannel: true, preserveSparsity: true,
        clusterCentroidsInit: 'DENSITY_BASED', clusterGradientAggregation: 'AVG', seed: 3});
      const loaded = await roundtrip(model, `clustered-${how}`);
      expect(loaded.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.getClassName()));
      expect(weightValues(loaded)).toEqual(weightValues(model));
      expect(predictValues(loaded, images.xs)).toEqual(predictValues(model, images.xs));
      const [conv, fc] = wrappersOf(loaded);
      expect(conv.params).toEqual({numberOfClusters: 5, clusterCentroidsInit: 'DENSITY_BASED', preserveSparsity: true,
        clusterPerChannel: true, clusterGradientAggregation: 'AVG', seed: 3});
      expect(fc.params.clusterPerChannel).toBe(false);
      // The loaded model trains on and strips like the original.
      const a = clustering.stripClustering(model);
      const b = clustering.stripClustering(loaded);
      expect(predictValues(b, images.xs)).toEqual(predictValues(a, images.xs));
      compile(loaded);
      await fit(loaded, 1);
      expect(centroidRows(conv)[0]).toContain(0);
    });

    for (const init of ['LINEAR', 'RANDOM', 'KMEANS_PLUS_PLUS'] as const) {
      it(`clusterCentroidsInit '${init}' survives the round trip`, async () => {
        const model = clustering.clusterWeights(convNet(), {numberOfClusters: 4, clusterCentroidsInit: init});
        const loaded = await roundtrip(model, `init-${init}-${how}`);
        expect(wrappersOf(loaded).map((w) => w.params.clusterCentroidsInit)).toEqual([init, init]);
      });
    }

    it('a CQAT model comes back, and training on keeps its <= n values per kernel', async () => {
      const clustered = await clusteredNet({numberOfClusters: 6});
      const stripped = clustering.stripClustering(clustered);
      const cqat = quantization.quantizeApply(quantization.quantizeAnnotateModel(stripped),
          new quantization.Default8BitClusterPreserveQuantizeScheme());
      compile(cqat, 0.005);
      await fit(cqat, 1);
      const loaded = await roundtrip(cqat, `cqat-${how}`);
      expect(weightValues(loaded)).toEqual(weightValues(cqat));
      expect(predictValues(loaded, images.xs)).toEqual(predictValues(cqat, images.xs));
      compile(loaded, 0.005);
      const before = quantizedKernels(loaded);
      await fit(loaded, 2);
      const after = quantizedKernels(loaded);
      expect(Object.keys(after)).toEqual(['conv', 'fc']);
      // Distinct values per output channel (the conv is quantized per channel, the dense per tensor).
      const counts = (name: string, kernel: Float32Array) => name === 'conv' ?
        byChannel(kernel, 4).map((c) => new Set(c).size) : [new Set(kernel).size];
      for (const [name, kernel] of Object.entries(after)) {
        expect(Math.max(...counts(name, kernel)), name).toBeLessThanOrEqual(6);
        expect(counts(name, kernel), name).toEqual(counts(name, before[name]));
        expect(kernel, `${name} trained`).not.toEqual(before[name]);
      }
    });
  });
}

describe('PQAT', () => {
  it('keeps the pruned zeros through QAT training and in the int8 TFLite file, which LiteRT runs', async () => {
    const {sparsity} = tfmot;
    const pruning = sparsity.pruneLowMagnitude(convNet(), {
      pruningSchedule: new sparsity.ConstantSparsity({targetSparsity: 0.5, beginStep: 0, frequency: 1}),
    });
    compile(pruning);
    await fit(pruning, 1, [new sparsity.UpdatePruningStep()]);
    const pruned = sparsity.stripPruning(pruning);
    const zeros = (v: ArrayLike<number>) => Array.from(v).flatMap((x, i) => (x === 0 ? [i] : []));
    const prunedZeros = Object.fromEntries(['conv', 'fc'].map((name) =>
      [name, zeros(pruned.getLayer(name).getWeights()[0].dataSync())]));
    expect(prunedZeros.conv.length).toBe(36);  // half of 3 * 3 * 2 * 4
    expect(prunedZeros.fc.length).toBe(90);  // half of 36 * 5

    const pqat = quantization.quantizeApply(quantization.quantizeAnnotateModel(pruned),
        new quantization.Default8BitPrunePreserveQuantizeScheme());
    compile(pqat);
    await fit(pqat, 2);
    const kernels = quantizedKernels(pqat);
    for (const name of ['conv', 'fc']) {
      const kernel = kernels[name];
      for (const i of prunedZeros[name]) {
        expect(Math.abs(kernel[i]), `${name}[${i}]`).toBe(0);
      }
      const inner = (pqat.layers.find((l) => l instanceof quantization.QuantizeWrapper && l.layer.name === name) as QuantizeWrapper).layer;
      // The rest trained.
      expect(maxAbsDiff(inner.getWeights()[0].dataSync(), pruned.getLayer(name).getWeights()[0].dataSync())).toBeGreaterThan(0);
    }

    const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(pqat);
    converter.optimizations = ['DEFAULT'];
    const bytes = await converter.convert();
    const file = tfmot.tflite.readModel(bytes);
    const graph = file.subgraphs[0];
    const int8Weights = graph.tensors.filter((t) => t.type === TensorType.INT8 && t.buffer > 0);
    expect(int8Weights.map((t) => t.shape)).toEqual([[4, 3, 3, 2], [5, 36]]);
    for (const [t, name] of [[int8Weights[0], 'conv'], [int8Weights[1], 'fc']] as const) {
      const data = file.buffers[t.buffer].data;
      const q = new Int8Array(data.buffer, data.byteOffset, data.byteLength);
      // TFLite stores the output channel first: Conv2D [out, kh, kw, in], FC [out, in].
      const out = t.shape[0];
      const perOut = q.length / out;
      for (const i of prunedZeros[name]) {
        const tfliteIndex = (i % out) * perOut + Math.floor(i / out);
        expect(q[tfliteIndex], `${name}[${i}]`).toBe(0);
      }
    }
    const lite = await runLiteRt(bytes, images.xs);
    const ref = predictValues(pqat, images.xs);
    const spread = Math.max(...ref) - Math.min(...ref);
    // Within a few output quantization steps (the output range / 255).
    expect(maxAbsDiff(lite, ref)).toBeLessThan(4 * spread / 255);
  });
});

describe('CQAT with preserveSparsity (PCQAT) on a sparse clustered model', () => {
  it('keeps both the zeros and <= n values while training on', async () => {
    const model = convNet();
    const fc = model.getLayer('fc');
    const [kernel, bias] = fc.getWeights();
    fc.setWeights([tf.tidy(() => tf.mul(kernel, tf.cast(tf.greater(tf.abs(kernel), 0.15), 'float32'))), bias]);
    const zeroAt = Array.from(fc.getWeights()[0].dataSync()).flatMap((x, i) => (x === 0 ? [i] : []));
    expect(zeroAt.length).toBeGreaterThan(40);
    const clustered = clustering.clusterWeights(model, {numberOfClusters: 4, preserveSparsity: true});
    compile(clustered);
    await fit(clustered, 1);
    const stripped = clustering.stripClustering(clustered);
    const pcqat = quantization.quantizeApply(quantization.quantizeAnnotateModel(stripped),
        new quantization.Default8BitClusterPreserveQuantizeScheme({preserveSparsity: true}));
    compile(pcqat);
    await fit(pcqat, 2);
    const fcKernel = quantizedKernels(pcqat).fc;
    expect(new Set(fcKernel).size).toBeLessThanOrEqual(4);
    for (const i of zeroAt) {
      expect(Math.abs(fcKernel[i]), `fc[${i}]`).toBe(0);
    }
    const conv = quantizedKernels(pcqat).conv;
    byChannel(conv, 4).forEach((channel) => expect(new Set(channel).size).toBeLessThanOrEqual(4));
    expect(values(variable(wrappersOf(clustered)[1], 'kernel_sparsity_mask')).filter((m) => m === 0))
        .toHaveLength(zeroAt.length);
  });
});
