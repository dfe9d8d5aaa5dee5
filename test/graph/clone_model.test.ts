/**
 * cloneModel: Keras's clone_model(model, clone_function) for applying the
 * optimization wrappers to some layers only, without touching the input.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {dataset, predictValues, seeded} from '../helpers/models.js';

type Layer = tfl.layers.Layer;

/** Conv -> Flatten -> Dense, with fixed initial weights. */
function convNet(): tfl.LayersModel {
  return tfl.sequential({layers: [
    tfl.layers.conv2d({filters: 4, kernelSize: 3, inputShape: [6, 6, 1], activation: 'relu', kernelInitializer: seeded(1)}),
    tfl.layers.flatten(),
    tfl.layers.dense({units: 3, kernelInitializer: seeded(2)}),
  ]});
}

const kernelOf = (model: tfl.LayersModel, className: string) =>
  Array.from(model.layers.find((l) => l.getClassName() === className)!.getWeights()[0].dataSync());

describe('cloneModel', () => {
  beforeAll(async () => {
    await tfmot.backend.init();
  });

  it('without a function: the same outputs, and weights of its own', async () => {
    const model = convNet();
    const images = dataset(8, [6, 6, 1], 3, 1);
    const before = tf.memory().numTensors;
    const clone = tfmot.cloneModel(model);
    expect(predictValues(clone, images.xs)).toEqual(predictValues(model, images.xs));
    const denseBefore = kernelOf(model, 'Dense');
    clone.compile({optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError'});
    await clone.fit(images.xs, images.ys, {epochs: 1, verbose: 0});
    expect(kernelOf(clone, 'Dense')).not.toEqual(denseBefore);
    expect(kernelOf(model, 'Dense')).toEqual(denseBefore);
    clone.optimizer.dispose();
    clone.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([images.xs, images.ys]);
    model.dispose();
  });

  it('copies functional graphs: branches, Add, Concatenate and a layer used twice', () => {
    const input = tfl.input({shape: [6]});
    const shared = tfl.layers.dense({units: 6, kernelInitializer: seeded(3)});
    const a = shared.apply(input) as tfl.SymbolicTensor;
    const b = shared.apply(a) as tfl.SymbolicTensor;
    const sum = tfl.layers.add().apply([a, b]) as tfl.SymbolicTensor;
    const both = tfl.layers.concatenate().apply([sum, input]) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({units: 2, kernelInitializer: seeded(4)}).apply(both) as tfl.SymbolicTensor;
    const model = tfl.model({inputs: input, outputs: out});
    const xs = tf.randomNormal([4, 6], 0, 1, 'float32', 1);
    const clone = tfmot.cloneModel(model);
    expect(predictValues(clone, xs)).toEqual(predictValues(model, xs));
    expect(clone.countParams()).toBe(model.countParams());
    // (No tensor count here: tfjs-layers' dispose() keeps the variables of
    // a layer called twice, in any model.)
    clone.dispose();
    tf.dispose(xs);
    model.dispose();
  });

  it('prunes only the layers the function wraps, and leaves the input model alone', async () => {
    const model = convNet();
    const original = kernelOf(model, 'Dense');
    const pruning = tfmot.cloneModel(model, (layer: Layer) => layer.getClassName() === 'Dense' ?
      tfmot.sparsity.pruneLowMagnitude(layer, {blockSize: [4, 1],
        pruningSchedule: new tfmot.sparsity.ConstantSparsity({targetSparsity: 0.5, beginStep: 0})}) :
      layer);
    expect(pruning.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Conv2D', 'Flatten', 'PruneLowMagnitude']);
    const images = dataset(16, [6, 6, 1], 3, 2);
    pruning.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
    await pruning.fit(images.xs, images.ys, {epochs: 1, batchSize: 8, verbose: 0,
      callbacks: [new tfmot.sparsity.UpdatePruningStep()]});
    const pruned = tfmot.sparsity.stripPruning(pruning);
    const dense = kernelOf(pruned, 'Dense');  // [64 inputs, 3 outputs]
    expect(dense.filter((v) => v === 0)).toHaveLength(96);
    // Whole blocks of 4 consecutive inputs of one output are zero or not.
    for (let out = 0; out < 3; out++) {
      for (let block = 0; block < 16; block++) {
        const zeros = [0, 1, 2, 3].filter((r) => dense[(4 * block + r) * 3 + out] === 0).length;
        expect([0, 4]).toContain(zeros);
      }
    }
    expect(kernelOf(pruned, 'Conv2D').filter((v) => v === 0)).toHaveLength(0);
    expect(kernelOf(model, 'Dense')).toEqual(original);
    tf.dispose([images.xs, images.ys]);
    for (const m of [pruned, pruning, model]) {
      m.dispose();
    }
  });

  it('a clustered layer starts from the weights it was given', () => {
    const model = convNet();
    const clustered = tfmot.cloneModel(model, (layer: Layer) => layer.getClassName() === 'Conv2D' ?
      tfmot.clustering.clusterWeights(layer, {numberOfClusters: 4, clusterCentroidsInit: 'LINEAR'}) : layer);
    const kernel = kernelOf(model, 'Conv2D');
    // LINEAR puts the outer centroids at the smallest and largest weight.
    const stripped = tfmot.clustering.stripClustering(clustered);
    const values = [...new Set(kernelOf(stripped, 'Conv2D'))].sort((a, b) => a - b);
    expect(values).toHaveLength(4);
    expect(values[0]).toBeCloseTo(Math.min(...kernel), 6);
    expect(values[3]).toBeCloseTo(Math.max(...kernel), 6);
    for (const m of [stripped, clustered, model]) {
      m.dispose();
    }
  });

  it('annotates some layers for QAT', () => {
    const model = convNet();
    const annotated = tfmot.cloneModel(model, (layer: Layer) => layer.getClassName() === 'Dense' ?
      tfmot.quantization.quantizeAnnotateLayer(layer) : layer);
    const qat = tfmot.quantization.quantizeApply(annotated);
    const wrapped = qat.layers.filter((l) => l.getClassName() === 'QuantizeWrapper');
    expect(wrapped.map((l) => (l as unknown as {layer: Layer}).layer.getClassName())).toEqual(['Dense']);
    for (const m of [qat, annotated, model]) {
      m.dispose();
    }
  });

  it('a new layer from the function replaces the copy, which frees its weights', () => {
    const model = convNet();
    const before = tf.memory().numTensors;
    const clone = tfmot.cloneModel(model, (layer: Layer) => layer.getClassName() === 'Dense' ?
      tfl.layers.dense({units: 3, kernelInitializer: 'zeros'}) : layer);
    expect(kernelOf(clone, 'Dense').every((v) => v === 0)).toBe(true);
    clone.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('names the layer when the function returns no layer', () => {
    const model = convNet();
    const dense = model.layers[2].name;
    const before = tf.memory().numTensors;
    expect(() => tfmot.cloneModel(model, (layer: Layer) =>
      (layer.getClassName() === 'Dense' ? null : layer) as unknown as Layer))
        .toThrow(new RegExp(`cloneFunction returned null for layer '${dense}' \\(Dense\\); it must return a layer`));
    // The copies made before the failure are freed.
    expect(tf.memory().numTensors).toBe(before);
    expect(() => tfmot.cloneModel({} as tfl.LayersModel)).toThrow(/cloneModel expects a tf.LayersModel/);
    model.dispose();
  });
  it('copies DepthwiseConv2D with its regularizer and constraint (tfjs getConfig swaps them)', () => {
    const make = (constraint: boolean) => {
      const input = tfl.input({shape: [5, 5, 2]});
      const out = tfl.layers.depthwiseConv2d({kernelSize: 3, depthwiseRegularizer: tfl.regularizers.l2({l2: 1e-4}),
        depthwiseConstraint: constraint ? tfl.constraints.maxNorm({maxValue: 2}) : undefined,
        depthwiseInitializer: tfl.initializers.glorotUniform({seed: 3})}).apply(input) as tfl.SymbolicTensor;
      return tfl.model({inputs: input, outputs: out});
    };
    for (const constraint of [false, true]) {
      const model = make(constraint);
      const clone = tfmot.cloneModel(model);
      // Read the fields: the copy's getConfig has tfjs's swap again.
      const copied = clone.layers[1] as unknown as Record<string, tf.serialization.Serializable|undefined>;
      expect(copied['depthwiseRegularizer']?.getConfig()).toEqual({l1: 0, l2: 1e-4});
      expect(copied['depthwiseConstraint']?.getClassName() ?? null).toBe(constraint ? 'MaxNorm' : null);
      // tfjs applies a constraint when weights are written: MaxNorm rescales by norm / (norm + 1e-7).
      const original = kernelOf(model, 'DepthwiseConv2D');
      kernelOf(clone, 'DepthwiseConv2D').forEach((v, i) => expect(v).toBeCloseTo(original[i], 6));
      clone.dispose();
      model.dispose();
    }
  });
});
