/** Small models covering the layers the converter lowers, seeded. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {seeded} from '../helpers/models.js';

/** Gives BatchNorm layers non-trivial statistics so folding is exercised. */
export function randomizeBatchNorms(model: tfl.LayersModel, seed: number): void {
  let s = seed;
  for (const layer of model.layers) {
    if (layer.getClassName() === 'BatchNormalization') {
      const [gamma, beta, mean, variance] = layer.getWeights();
      layer.setWeights([
        tf.randomUniform(gamma.shape, 0.5, 1.5, 'float32', s++),
        tf.randomUniform(beta.shape, -0.3, 0.3, 'float32', s++),
        tf.randomUniform(mean.shape, -0.2, 0.2, 'float32', s++),
        tf.randomUniform(variance.shape, 0.5, 2, 'float32', s++),
      ]);
    }
  }
}

export type ST = tfl.SymbolicTensor;
/** Seeded Glorot initializers, one seed after another. */
export type NextInit = () => ReturnType<typeof tfl.initializers.glorotUniform>;

/** `layer` applied to symbolic inputs, as one tensor. */
export const apply = (layer: tfl.layers.Layer, x: ST|ST[]) => layer.apply(x) as ST;

/**
 * A model on 28x28x1 digits whose body `build` makes, its layers drawing
 * seeded initializers from `k()`; BatchNorm statistics randomized.
 */
export function digitsModel(seed: number, build: (x: ST, k: NextInit) => ST): tfl.LayersModel {
  let s = seed;
  const input = tfl.input({shape: [28, 28, 1]});
  const model = tfl.model({inputs: input, outputs: build(input, () => tfl.initializers.glorotUniform({seed: s++}))});
  randomizeBatchNorms(model, seed);
  return model;
}

/**
 * Conv+BN+ReLU, DepthwiseConv2D, Add, Concatenate, GlobalAveragePooling2D and
 * a softmax head on 28x28x1 inputs.
 */
export function functionalTestModel(seed: number): tfl.LayersModel {
  const input = tfl.input({shape: [28, 28, 1]});
  let x = tfl.layers.conv2d({filters: 8, kernelSize: 3, strides: 2, padding: 'same',
    useBias: false, kernelInitializer: seeded(seed)}).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization().apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU().apply(x) as tfl.SymbolicTensor;
  const a = tfl.layers.depthwiseConv2d({kernelSize: 3, padding: 'same', activation: 'relu',
    depthwiseInitializer: seeded(seed + 1)}).apply(x) as tfl.SymbolicTensor;
  const b = tfl.layers.conv2d({filters: 8, kernelSize: 1, activation: 'relu',
    kernelInitializer: seeded(seed + 2)}).apply(x) as tfl.SymbolicTensor;
  const sum = tfl.layers.add().apply([a, b]) as tfl.SymbolicTensor;
  const cat = tfl.layers.concatenate().apply([sum, x]) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling2d({}).apply(cat) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({units: 10, activation: 'softmax',
    kernelInitializer: seeded(seed + 3)}).apply(pooled) as tfl.SymbolicTensor;
  const model = tfl.model({inputs: input, outputs: out});
  randomizeBatchNorms(model, seed);
  return model;
}
