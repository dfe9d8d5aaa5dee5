/**
 * The ClusterWeights wrapper: the forward pass computes with centroid values
 * only (per tensor, or per output channel for Conv2D); gradients reach the
 * centroids (summed over members) and the original weights (straight
 * through); preserveSparsity keeps zeros and the pinned centroid at exactly
 * 0; weights are re-assigned as they move; stripClustering bakes the
 * clustered values into plain layers; bad arguments name what is wrong.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {sameGraph} from '../helpers/tflite_eval.js';
import {dataset, predictValues, seeded} from '../helpers/models.js';
import {byChannel, centroidRows, clusteredValue, nearest, values, variable} from './helpers.js';

const {clusterWeights, stripClustering} = tfmot.clustering;
type Layer = tfl.layers.Layer;
type ClusterWeights = tfmot.clustering.ClusterWeights;

let vectors: {xs: tf.Tensor, ys: tf.Tensor};

beforeAll(async () => {
  await tfmot.backend.init();
  vectors = dataset(32, [6], 8, 1);
});

afterAll(() => tf.dispose([vectors.xs, vectors.ys]));

/** The wrapper in a one-layer model, built. */
function wrapped(layer: Layer, params: tfmot.clustering.ClusterParams): {wrapper: ClusterWeights, model: tfl.LayersModel} {
  const wrapper = clusterWeights(layer, params);
  return {wrapper, model: tfl.sequential({layers: [wrapper]})};
}

/** The inner layer's weights with the clustered one swapped in, as a plain layer would hold them. */
function clusteredWeightsOf(wrapper: ClusterWeights, attr: string): tf.Tensor[] {
  const clustered = clusteredValue(wrapper);
  const target = (wrapper.layer as unknown as Record<string, tfl.LayerVariable>)[attr];
  return wrapper.layer.weights.map((v) => v === target ? tf.tensor(clustered.values, clustered.shape) : v.read());
}

describe('forward pass', () => {
  const cases: Array<{name: string, attr: string, make: () => Layer, input: () => tf.Tensor}> = [
    {name: 'Dense', attr: 'kernel', make: () => tfl.layers.dense({units: 6, inputShape: [5], kernelInitializer: seeded(1)}),
      input: () => tf.randomUniform([3, 5], -1, 1, 'float32', 7)},
    {name: 'Conv2D', attr: 'kernel', make: () => tfl.layers.conv2d(
        {filters: 3, kernelSize: 3, inputShape: [5, 5, 2], kernelInitializer: seeded(2)}),
    input: () => tf.randomUniform([2, 5, 5, 2], -1, 1, 'float32', 8)},
    {name: 'DepthwiseConv2D', attr: 'depthwiseKernel', make: () => tfl.layers.depthwiseConv2d(
        {kernelSize: 3, depthMultiplier: 2, inputShape: [5, 5, 2], depthwiseInitializer: seeded(3)}),
    input: () => tf.randomUniform([2, 5, 5, 2], -1, 1, 'float32', 9)},
    {name: 'Embedding', attr: 'embeddings', make: () => tfl.layers.embedding(
        {inputDim: 10, outputDim: 4, inputLength: 3, embeddingsInitializer: seeded(4)}),
    input: () => tf.tensor2d([[0, 3, 9], [4, 4, 1]])},
  ];

  for (const {name, attr, make, input} of cases) {
    it(`${name}: every clustered value is the nearest of <= n centroids, and the layer computes with them`, () => {
      const {wrapper, model} = wrapped(make(), {numberOfClusters: 4});
      expect(wrapper.name).toBe(`cluster_${wrapper.layer.name}`);
      const original = values((wrapper.layer as unknown as Record<string, tfl.LayerVariable>)[attr]);
      const [centroids] = centroidRows(wrapper);
      expect(centroids).toHaveLength(4);
      const {values: clustered} = clusteredValue(wrapper);
      expect(new Set(clustered).size).toBeLessThanOrEqual(4);
      expect(new Set(clustered).size).toBeGreaterThan(1);
      clustered.forEach((v, i) => expect(v).toBe(centroids[nearest(original[i], centroids)]));

      const plain = make();
      const plainModel = tfl.sequential({layers: [plain]});
      plain.setWeights(clusteredWeightsOf(wrapper, attr));
      const x = input();
      expect(predictValues(model, x)).toEqual(predictValues(plainModel, x));
      x.dispose();
    });
  }

  it('Conv2D with clusterPerChannel: n centroids per output channel, each channel uses its own', () => {
    const {wrapper} = wrapped(tfl.layers.conv2d(
        {filters: 4, kernelSize: 3, inputShape: [5, 5, 3], kernelInitializer: seeded(5)}),
    {numberOfClusters: 3, clusterPerChannel: true});
    const rows = centroidRows(wrapper);
    expect(rows).toHaveLength(4);
    const original = byChannel(values(variable(wrapper, 'kernel')), 4);
    const clustered = byChannel(clusteredValue(wrapper).values, 4);
    clustered.forEach((channel, c) => {
      expect(new Set(channel).size, `channel ${c}`).toBeLessThanOrEqual(3);
      channel.forEach((v, i) => expect(v).toBe(rows[c][nearest(original[c][i], rows[c])]));
    });
    // Per channel, not per tensor: the kernel as a whole has more than 3 values.
    expect(new Set(clustered.flat()).size).toBeGreaterThan(3);
  });
});

describe('gradients', () => {
  const x = () => tf.tensor2d([[1, 2, 3], [0.5, -1, 2]]);
  const t = () => tf.tensor2d([[1, -1], [2, 0.5]]);
  // For loss = sum(predict(x) * t), dLoss/dW = x^T t:
  const dW = [2, -0.75, 0, -2.5, 7, -2];

  function grads(wrapper: ClusterWeights, model: tfl.LayersModel): Record<string, number[]> {
    return tf.tidy(() => {
      const {grads} = tf.variableGrads(() => tf.sum(tf.mul(model.predict(x()) as tf.Tensor, t())) as tf.Scalar);
      const out: Record<string, number[]> = {};
      for (const [name, g] of Object.entries(grads)) {
        out[name.slice(wrapper.name.length + 1)] = Array.from(g.dataSync());
      }
      return out;
    });
  }

  it('Dense: centroids get the sum over their members, the kernel the gradient itself', () => {
    const {wrapper, model} = wrapped(tfl.layers.dense({units: 2, inputShape: [3]}), {numberOfClusters: 3});
    wrapper.layer.setWeights([tf.tensor2d([[0.5, -0.3], [0.9, 0.1], [-0.6, 0.4]]), tf.zeros([2])]);
    wrapper.initializeCentroids();
    // LINEAR: [-0.6, 0.15, 0.9]; members: c0 = {-0.3, -0.6}, c1 = {0.5, 0.1, 0.4}, c2 = {0.9}.
    centroidRows(wrapper)[0].forEach((v, i) => expect(v).toBeCloseTo([-0.6, 0.15, 0.9][i], 6));
    const g = grads(wrapper, model);
    expect(Object.keys(g).sort()).toEqual(['bias', 'kernel', 'kernel_cluster_centroids']);
    g.kernel.forEach((v, i) => expect(v).toBeCloseTo(dW[i], 5));
    const expected = [dW[1] + dW[4], dW[0] + dW[3] + dW[5], dW[2]];  // [6.25, -2.5, 0]
    g.kernel_cluster_centroids.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    g.bias.forEach((v, i) => expect(v).toBeCloseTo([3, -0.5][i], 5));
  });

  it('clusterGradientAggregation AVG: centroids get the mean over their members; an empty cluster gets 0', () => {
    const {wrapper, model} = wrapped(tfl.layers.dense({units: 2, inputShape: [3]}),
        {numberOfClusters: 3, clusterGradientAggregation: 'AVG'});
    wrapper.layer.setWeights([tf.tensor2d([[0.5, -0.3], [0.9, 0.1], [-0.6, 0.4]]), tf.zeros([2])]);
    wrapper.initializeCentroids();
    // Members as in the SUM test: 2, 3 and 1 weights.
    const g = grads(wrapper, model);
    const expected = [(dW[1] + dW[4]) / 2, (dW[0] + dW[3] + dW[5]) / 3, dW[2]];
    g.kernel_cluster_centroids.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    g.kernel.forEach((v, i) => expect(v).toBeCloseTo(dW[i], 5));
    // A centroid far above every weight has no members: 0, not NaN.
    variable(wrapper, 'kernel_cluster_centroids').write(tf.tensor2d([[-0.6, 0.15, 5]]));
    const far = grads(wrapper, model).kernel_cluster_centroids;
    expect(far[2]).toBe(0);
    expect(far[1]).toBeCloseTo((dW[0] + dW[3] + dW[5] + dW[2]) / 4, 5);
  });

  it('Dense with preserveSparsity: zero weights and the pinned centroid get no gradient', () => {
    const {wrapper, model} = wrapped(tfl.layers.dense({units: 2, inputShape: [3]}),
        {numberOfClusters: 3, preserveSparsity: true});
    wrapper.layer.setWeights([tf.tensor2d([[0.5, 0], [-0.4, 0.9], [0, 0.2]]), tf.zeros([2])]);
    wrapper.initializeCentroids();
    // Centroids [-0.4, 0, 0.2]: c0 = {-0.4}, c2 = {0.5, 0.9, 0.2}; the two zeros are masked.
    expect(centroidRows(wrapper)[0][1]).toBe(0);
    expect(values(variable(wrapper, 'kernel_sparsity_mask'))).toEqual([1, 0, 1, 1, 0, 1]);
    const g = grads(wrapper, model);
    g.kernel.forEach((v, i) => expect(v).toBeCloseTo([dW[0], 0, dW[2], dW[3], 0, dW[5]][i], 5));
    g.kernel_cluster_centroids.forEach((v, i) => expect(v).toBeCloseTo([dW[2], 0, dW[0] + dW[3] + dW[5]][i], 5));
  });

  it('Conv2D per channel: each channel\'s centroids get the sums over that channel\'s members', () => {
    const config = {filters: 3, kernelSize: 2, inputShape: [4, 4, 2], kernelInitializer: seeded(6),
      biasInitializer: 'ones' as const};
    const {wrapper, model} = wrapped(tfl.layers.conv2d(config), {numberOfClusters: 3, clusterPerChannel: true});
    const images = tf.randomUniform([2, 4, 4, 2], -1, 1, 'float32', 10);
    const loss = (m: tfl.LayersModel) => () => tf.sum(tf.square(m.predict(images) as tf.Tensor)) as tf.Scalar;
    // The gradient with respect to the clustered kernel, from a plain conv holding it.
    const plain = tfl.layers.conv2d(config);
    const plainModel = tfl.sequential({layers: [plain]});
    plain.setWeights(clusteredWeightsOf(wrapper, 'kernel'));
    const dK = tf.tidy(() => Array.from(tf.variableGrads(loss(plainModel)).grads[plain.weights[0].name].dataSync()));
    const g = tf.tidy(() => {
      const {grads} = tf.variableGrads(loss(model));
      return Object.fromEntries(Object.entries(grads).map(([k, v]) => [k.split('/').pop()!, Array.from(v.dataSync())]));
    });
    g.kernel.forEach((v, i) => expect(v).toBeCloseTo(dK[i], 4));
    const rows = centroidRows(wrapper);
    const original = values(variable(wrapper, 'kernel'));
    const sums = rows.map((row) => row.map(() => 0));
    original.forEach((w, i) => {
      const c = i % 3;
      sums[c][nearest(w, rows[c])] += dK[i];
    });
    g.kernel_cluster_centroids.forEach((v, i) => expect(v).toBeCloseTo(sums.flat()[i], 4));
    images.dispose();
  });
});

describe('training', () => {
  it('preserveSparsity keeps zero weights and the pinned centroid exactly 0 under Adam', async () => {
    const dense = tfl.layers.dense({units: 8, inputShape: [6], kernelInitializer: seeded(7)});
    const {wrapper, model} = wrapped(dense, {numberOfClusters: 5, preserveSparsity: true,
      clusterCentroidsInit: 'KMEANS_PLUS_PLUS', seed: 2});
    // Zero every third kernel weight, then initialize centroids and masks from that.
    const kernel = values(variable(wrapper, 'kernel')).map((v, i) => (i % 3 === 0 ? 0 : v));
    wrapper.layer.setWeights([tf.tensor2d(kernel, [6, 8]), tf.zeros([8])]);
    wrapper.initializeCentroids();
    const zeroAt = kernel.flatMap((v, i) => (v === 0 ? [i] : []));
    expect(zeroAt).toHaveLength(16);
    const pinned = centroidRows(wrapper)[0].indexOf(0);
    expect(pinned).toBeGreaterThanOrEqual(0);
    const centroidsBefore = centroidRows(wrapper)[0];

    model.compile({optimizer: tf.train.adam(0.05), loss: 'meanSquaredError'});
    await model.fit(vectors.xs, vectors.ys, {epochs: 5, batchSize: 8, verbose: 0});

    const after = values(variable(wrapper, 'kernel'));
    const clustered = clusteredValue(wrapper).values;
    const centroids = centroidRows(wrapper)[0];
    for (const i of zeroAt) {
      // (-0 where the nearest centroid is negative: the value times a mask of 0.)
      expect(Math.abs(clustered[i]), `clustered[${i}]`).toBe(0);
      expect(after[i], `kernel[${i}]`).toBe(0);
    }
    expect(centroids[pinned]).toBe(0);
    // The rest did train.
    expect(after.filter((v, i) => v !== kernel[i] && kernel[i] !== 0).length).toBeGreaterThan(20);
    expect(centroids.filter((v, j) => v !== centroidsBefore[j])).toHaveLength(4);
    expect(new Set(clustered).size).toBeLessThanOrEqual(5);
  });

  it('re-assigns weights to their nearest centroid as training moves them', async () => {
    const {wrapper, model} = wrapped(tfl.layers.dense({units: 8, inputShape: [6], kernelInitializer: seeded(3)}),
        {numberOfClusters: 4});
    const assignment = () => {
      const centroids = centroidRows(wrapper)[0];
      return values(variable(wrapper, 'kernel')).map((w) => nearest(w, centroids));
    };
    const before = assignment();
    model.compile({optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError'});
    await model.fit(vectors.xs, vectors.ys, {epochs: 3, batchSize: 8, verbose: 0});
    const after = assignment();
    expect(after.filter((j, i) => j !== before[i]).length).toBeGreaterThan(0);
    const centroids = centroidRows(wrapper)[0];
    clusteredValue(wrapper).values.forEach((v, i) => expect(v).toBe(centroids[after[i]]));

    // Moving one weight next to another centroid moves its clustered value there at once.
    const kernel = values(variable(wrapper, 'kernel'));
    const target = (after[0] + 2) % 4;
    kernel[0] = centroids[target];
    variable(wrapper, 'kernel').write(tf.tensor2d(kernel, [6, 8]));
    expect(clusteredValue(wrapper).values[0]).toBe(centroids[target]);
  });
});

describe('seeding', () => {
  it('the same weights and seed give the same centroids, whatever the layers are named', () => {
    // Each build auto-names its layers anew (dense_Dense1, dense_Dense3, ...).
    const build = () => tfl.sequential({layers: [
      tfl.layers.dense({units: 6, inputShape: [5], kernelInitializer: seeded(8)}),
      tfl.layers.dense({units: 4, kernelInitializer: seeded(9)}),
    ]});
    const centroidsOf = (seed: number) => {
      const model = build();
      const clustered = clusterWeights(model, {numberOfClusters: 4, clusterCentroidsInit: 'KMEANS_PLUS_PLUS', seed});
      const result = clustered.layers.filter((l) => l instanceof tfmot.clustering.ClusterWeights)
          .map((l) => centroidRows(l as ClusterWeights));
      model.dispose();
      clustered.dispose();
      return result;
    };
    const first = centroidsOf(3);
    expect(centroidsOf(3)).toEqual(first);
    expect(centroidsOf(4)).not.toEqual(first);
  });
});

describe('stripClustering', () => {
  it('gives plain layers holding <= n values per tensor or channel, predicting the same', async () => {
    const input = tfl.input({shape: [6, 6, 2]});
    let x = tfl.layers.conv2d({filters: 4, kernelSize: 3, name: 'conv', kernelInitializer: seeded(5),
      biasInitializer: 'ones'}).apply(input) as tfl.SymbolicTensor;
    x = tfl.layers.flatten({name: 'flat'}).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.dense({units: 5, name: 'fc', kernelInitializer: seeded(6)}).apply(x) as tfl.SymbolicTensor;
    const model = tfl.model({inputs: input, outputs: x});
    // Per channel applies to the Conv2D; the Dense is clustered per tensor.
    const clustered = clusterWeights(model, {numberOfClusters: 3, clusterPerChannel: true});
    expect(clustered.layers.map((l) => l.name)).toEqual(['input1', 'cluster_conv', 'flat', 'cluster_fc']);
    expect(centroidRows(clustered.getLayer('cluster_conv') as ClusterWeights)).toHaveLength(4);
    expect(centroidRows(clustered.getLayer('cluster_fc') as ClusterWeights)).toHaveLength(1);
    const images = dataset(16, [6, 6, 2], 5, 2);
    clustered.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
    await clustered.fit(images.xs, images.ys, {epochs: 2, batchSize: 8, verbose: 0});

    const stripped = stripClustering(clustered);
    expect(stripped.layers.map((l) => `${l.name}:${l.getClassName()}`)).toEqual(
        ['input1:InputLayer', 'conv:Conv2D', 'flat:Flatten', 'fc:Dense']);
    expect(stripped.weights).toHaveLength(4);
    const conv = stripped.getLayer('conv').getWeights()[0].dataSync();
    byChannel(conv, 4).forEach((channel, c) => expect(new Set(channel).size, `conv channel ${c}`).toBeLessThanOrEqual(3));
    expect(new Set(stripped.getLayer('fc').getWeights()[0].dataSync()).size).toBeLessThanOrEqual(3);
    expect(predictValues(stripped, images.xs)).toEqual(predictValues(clustered, images.xs));
    // The converter takes the wrapped model too, and writes what stripping keeps
    // (only the output's signature name, the wrapper's layer name, differs).
    const fromWrapped = await tfmot.tflite.TFLiteConverter.fromLayersModel(clustered).convert();
    const fromStripped = await tfmot.tflite.TFLiteConverter.fromLayersModel(stripped).convert();
    expect(sameGraph(fromWrapped, fromStripped)).toBe(true);
    tf.dispose([images.xs, images.ys]);
  });
});

describe('errors', () => {
  const dense = (name = 'd') => tfl.layers.dense({units: 4, inputShape: [8], name});

  it('numberOfClusters must be an integer >= 2 (>= 3 with preserveSparsity)', () => {
    expect(() => clusterWeights(dense(), {numberOfClusters: 1})).toThrow(
        /numberOfClusters must be an integer >= 2; received 1/);
    expect(() => clusterWeights(dense(), {numberOfClusters: 2.5})).toThrow(
        /numberOfClusters must be an integer >= 2; received 2.5/);
    expect(() => clusterWeights(dense(), {numberOfClusters: '8' as unknown as number})).toThrow(
        /numberOfClusters must be an integer >= 2; received "8"/);
    expect(() => clusterWeights(dense(), {numberOfClusters: 2, preserveSparsity: true})).toThrow(
        /numberOfClusters must be >= 3 with preserveSparsity .*received 2/);
    expect(() => clusterWeights(dense(), undefined as unknown as tfmot.clustering.ClusterParams)).toThrow(
        /clusterWeights expects \{numberOfClusters/);
  });

  it('clusterGradientAggregation must be SUM or AVG', () => {
    expect(() => clusterWeights(dense(), {numberOfClusters: 4,
      clusterGradientAggregation: 'MEAN' as tfmot.clustering.GradientAggregationName}))
        .toThrow(/clusterGradientAggregation must be one of 'SUM', 'AVG'; received "MEAN"/);
    expect(clusterWeights(dense(), {numberOfClusters: 4}).params.clusterGradientAggregation).toBe('SUM');
  });

  it('clusterCentroidsInit must be one of the five methods', () => {
    expect(() => clusterWeights(dense(), {numberOfClusters: 4,
      clusterCentroidsInit: 'kmeans' as tfmot.clustering.CentroidInitializationName}))
        .toThrow(/clusterCentroidsInit must be one of 'LINEAR', 'RANDOM', 'DENSITY_BASED', 'DENSITY_BASED_EXACT', 'KMEANS_PLUS_PLUS'; received "kmeans"/);
  });

  it('a weight needs more values than clusters', () => {
    const small = tfl.layers.dense({units: 2, inputShape: [3], name: 'small'});
    expect(() => wrapped(small, {numberOfClusters: 8})).toThrow(
        /Layer 'small': weight 'kernel' has 6 values per cluster group, not more than numberOfClusters \(8\)/);
    const model = tfl.sequential({layers: [tfl.layers.dense({units: 2, inputShape: [3], name: 'tiny'}),
      tfl.layers.dense({units: 30, name: 'wide'})]});
    expect(() => clusterWeights(model, {numberOfClusters: 6})).toThrow(/Layer 'tiny': weight 'kernel' has 6 values/);
    // Per channel, the count is per output channel: 3 * 3 * 2 = 18 per filter.
    const conv = tfl.layers.conv2d({filters: 8, kernelSize: 3, inputShape: [5, 5, 2], name: 'narrow'});
    expect(() => wrapped(conv, {numberOfClusters: 18, clusterPerChannel: true})).toThrow(
        /Layer 'narrow': weight 'kernel' has 18 values per cluster group, not more than numberOfClusters \(18\)/);
  });

  it('unsupported layers are named, as a layer and inside a model', () => {
    const lstm = () => tfl.layers.lstm({units: 3, inputShape: [4, 2], recurrentInitializer: 'glorotUniform', name: 'rnn'});
    expect(() => clusterWeights(lstm(), {numberOfClusters: 4})).toThrow(
        /Layer 'rnn' of class LSTM cannot be clustered \(clusterable: Conv1D, Conv2D, Conv2DTranspose, Dense, DepthwiseConv2D, Embedding/);
    expect(() => clusterWeights(tfl.layers.batchNormalization({name: 'bn'}), {numberOfClusters: 4})).toThrow(
        /Layer 'bn' of class BatchNormalization cannot be clustered/);
    expect(() => clusterWeights(tfl.sequential({layers: [lstm()]}), {numberOfClusters: 4})).toThrow(
        /Layer 'rnn' of class LSTM has weights that clusterWeights cannot cluster/);
    expect(() => clusterWeights(null as unknown as Layer, {numberOfClusters: 4})).toThrow(
        /expects a layer, an array of layers or a LayersModel; received null/);
  });

  it('clustering twice is refused, for a layer and for a model', () => {
    const once = clusterWeights(dense('twice'), {numberOfClusters: 4});
    expect(() => clusterWeights(once, {numberOfClusters: 4})).toThrow(/Layer 'twice' is already clustered/);
    const model = clusterWeights(tfl.sequential({layers: [dense('m')]}), {numberOfClusters: 4});
    expect(() => clusterWeights(model, {numberOfClusters: 4})).toThrow(
        /Model '.*' is already clustered \(layer 'cluster_m'\); strip it with stripClustering/);
  });

  it('clusterPerChannel is for Conv1D and Conv2D only', () => {
    expect(() => clusterWeights(dense('fc'), {numberOfClusters: 4, clusterPerChannel: true})).toThrow(
        /clusterPerChannel is supported for Conv1D, Conv2D only; layer 'fc' is a Dense/);
    expect(() => clusterWeights(tfl.layers.depthwiseConv2d({kernelSize: 3, name: 'dw'}),
        {numberOfClusters: 4, clusterPerChannel: true})).toThrow(/layer 'dw' is a DepthwiseConv2D/);
  });

  it('an all-zero weight clusters with preserveSparsity to all zeros', () => {
    const zeros = tfl.layers.dense({units: 8, inputShape: [3], kernelInitializer: 'zeros', name: 'zeros'});
    const {wrapper} = wrapped(zeros, {numberOfClusters: 4, preserveSparsity: true});
    const values = tf.tidy(() => wrapper.clusteredValues()[0].value.dataSync());
    expect(Array.from(values).every((v) => v === 0)).toBe(true);
  });
});

describe('a fully pruned channel', () => {
  it('clusters per channel with preserveSparsity and stays zero', async () => {
    await tfmot.backend.init();
    const conv = tfl.layers.conv2d({filters: 3, kernelSize: 2, inputShape: [4, 4, 2]});
    const model = tfl.sequential({layers: [conv]});
    const [kernel, bias] = conv.getWeights();
    // Channel 1 pruned away completely, as 50% unstructured pruning can do to a small channel.
    const mask = tf.tensor1d([1, 0, 1]);
    conv.setWeights([tf.mul(kernel, mask), bias]);
    const clustered = tfmot.clustering.clusterWeights(model,
        {numberOfClusters: 3, preserveSparsity: true, clusterPerChannel: true});
    const stripped = tfmot.clustering.stripClustering(clustered);
    const channel1 = tf.tidy(() => Array.from(
        tf.gather(stripped.layers.find((l) => l.getClassName() === 'Conv2D')!.getWeights()[0], [1], 3)
            .dataSync()));
    expect(channel1.every((v) => v === 0)).toBe(true);
  });
});
