/**
 * Models for the activation and structure layers (28x28x1 digits, seeded):
 * LAYER_MODELS_ACTS run in every mode (layers_export.test.ts); the others
 * by acts_export.test.ts in the modes they convert in.
 */
import * as tfl from '@tensorflow/tfjs-layers';

import {apply, digitsModel, NextInit, ST} from './models.js';


/** A small conv front end to [7, 7, 4] (values both signs), then `tail`. */
function convThen(seed: number, tail: (x: ST, k: NextInit) => ST): tfl.LayersModel {
  return digitsModel(seed, (x, k) => {
    x = apply(tfl.layers.conv2d({filters: 4, kernelSize: 4, strides: 4, kernelInitializer: k()}), x);
    return tail(x, k);
  });
}

/** Every mode, int8 and 16x8 included. */
export const LAYER_MODELS_ACTS: Record<string, () => tfl.LayersModel> = {
  'LeakyReLU, ReLU(maxValue 2.5), GaussianNoise, GaussianDropout, AlphaDropout': () => convThen(21, (x, k) => {
    x = apply(tfl.layers.leakyReLU({alpha: 0.2}), x);
    x = apply(tfl.layers.gaussianNoise({stddev: 0.1}), x);
    x = apply(tfl.layers.conv2d({filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: k()}), x);
    x = apply(tfl.layers.reLU({maxValue: 2.5}), x);
    x = apply(tfl.layers.gaussianDropout({rate: 0.2}), x);
    x = apply(tfl.layers.alphaDropout({rate: 0.2}), x);
    x = apply(tfl.layers.flatten(), x);
    return apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
  }),
  'Dense(swish), Activation(hardSigmoid)': () => digitsModel(22, (x, k) => {
    x = apply(tfl.layers.flatten(), x);
    x = apply(tfl.layers.dense({units: 16, activation: 'swish', kernelInitializer: k()}), x);
    x = apply(tfl.layers.dense({units: 12, kernelInitializer: k()}), x);
    x = apply(tfl.layers.activation({activation: 'hardSigmoid'}), x);
    return apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
  }),
  'BatchNormalization on 3-D (folded into a Dense and standalone)': () => digitsModel(28, (x, k) => {
    x = apply(tfl.layers.reshape({targetShape: [28, 28]}), x);
    x = apply(tfl.layers.dense({units: 6, kernelInitializer: k()}), x);
    x = apply(tfl.layers.batchNormalization(), x);
    x = apply(tfl.layers.leakyReLU({alpha: 0.1}), x);
    x = apply(tfl.layers.batchNormalization(), x);
    x = apply(tfl.layers.flatten(), x);
    return apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
  }),
  'RepeatVector, SpatialDropout1D, Average, Maximum, Minimum': () => digitsModel(24, (x, k) => {
    x = apply(tfl.layers.conv2d({filters: 3, kernelSize: 4, strides: 4, kernelInitializer: k()}), x);
    x = apply(tfl.layers.reshape({targetShape: [49, 3]}), x);
    x = apply(tfl.layers.spatialDropout1d({rate: 0.2}), x);
    x = apply(tfl.layers.flatten(), x);
    // Wide weights: values fill the [-6, 6] a briefly settled QAT range starts from, so
    // its int8 grid is fine next to them (float sums may round to either neighbour).
    const wide = (seed: number) => tfl.initializers.randomUniform({minval: -0.5, maxval: 0.5, seed});
    const a = apply(tfl.layers.dense({units: 8, kernelInitializer: wide(1)}), x);
    const b = apply(tfl.layers.dense({units: 8, kernelInitializer: wide(2)}), x);
    const c = apply(tfl.layers.dense({units: 8, kernelInitializer: wide(3)}), x);
    const mean = apply(tfl.layers.average(), [a, b, c]);
    const top = apply(tfl.layers.maximum(), [a, b, c]);
    const low = apply(tfl.layers.minimum(), [a, b]);
    x = apply(tfl.layers.concatenate(), [mean, top, low]);
    x = apply(tfl.layers.repeatVector({n: 3}), x);
    x = apply(tfl.layers.flatten(), x);
    return apply(tfl.layers.dense({units: 10, kernelInitializer: wide(4)}), x);
  }),
};

/**
 * Every mode in LiteRT, but not in LAYER_MODELS: the TFLite Web API of
 * second_runtime.test.ts predates the int8/int16 EXP and LOG (version 2)
 * and DIV kernels, and its XNNPACK delegate claims an int16 TRANSPOSE it
 * cannot prepare (logging errors before falling back).
 */
export const LITERT_ONLY_MODELS: Record<string, () => tfl.LayersModel> = {
  'Dense(softsign)': () => digitsModel(27, (x, k) => {
    x = apply(tfl.layers.flatten(), x);
    x = apply(tfl.layers.dense({units: 16, activation: 'softsign', kernelInitializer: k()}), x);
    return apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
  }),
  'Permute': () => digitsModel(26, (x, k) => {
    x = apply(tfl.layers.conv2d({filters: 3, kernelSize: 4, strides: 4, kernelInitializer: k()}), x);
    x = apply(tfl.layers.reshape({targetShape: [49, 3]}), x);
    x = apply(tfl.layers.permute({dims: [2, 1]}), x);
    x = apply(tfl.layers.flatten(), x);
    return apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
  }),
  'Dense(softplus), Activation(mish)': () => digitsModel(23, (x, k) => {
    x = apply(tfl.layers.flatten(), x);
    x = apply(tfl.layers.dense({units: 16, activation: 'softplus', kernelInitializer: k()}), x);
    x = apply(tfl.layers.dense({units: 12, kernelInitializer: k()}), x);
    x = apply(tfl.layers.activation({activation: 'mish'}), x);
    return apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
  }),
};

/** Models using ELU, PRELU or GELU, which TFLite runs in float and int8 only: every mode but 16x8. */
export const NO_INT16_MODELS: Record<string, () => tfl.LayersModel> = {
  'PReLU (sharedAxes), Dense(gelu), Activation(gelu_new)': () => convThen(25, (x, k) => {
    x = apply(tfl.layers.prelu({sharedAxes: [1, 2],
      alphaInitializer: tfl.initializers.randomUniform({minval: 0.1, maxval: 0.5, seed: 25})}), x);
    x = apply(tfl.layers.flatten(), x);
    x = apply(tfl.layers.dense({units: 16, activation: 'gelu', kernelInitializer: k()}), x);
    x = apply(tfl.layers.activation({activation: 'gelu_new'}), x);
    return apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
  }),
  'ELU': () => convThen(31, (x, k) => {
    x = apply(tfl.layers.elu(), x);
    x = apply(tfl.layers.flatten(), x);
    return apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
  }),
  'Dense(elu), Activation(selu)': () => digitsModel(32, (x, k) => {
    x = apply(tfl.layers.flatten(), x);
    x = apply(tfl.layers.dense({units: 16, activation: 'elu', kernelInitializer: k()}), x);
    x = apply(tfl.layers.dense({units: 12, kernelInitializer: k()}), x);
    x = apply(tfl.layers.activation({activation: 'selu'}), x);
    return apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
  }),
};

/** TimeDistributed(Dense): every mode but QAT, which rejects it as TFMOT does. */
export const NO_QAT_MODELS: Record<string, () => tfl.LayersModel> = {
  'TimeDistributed(Dense), BatchNormalization on 3-D': () => digitsModel(51, (x, k) => {
    x = apply(tfl.layers.reshape({targetShape: [28, 28]}), x);
    x = apply(tfl.layers.timeDistributed({layer: tfl.layers.dense({units: 6, kernelInitializer: k()})}), x);
    x = apply(tfl.layers.batchNormalization(), x);
    x = apply(tfl.layers.flatten(), x);
    return apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
  }),
};

/** The models not in LAYER_MODELS, for the test that every convertible layer is used. */
export const PARTIAL_MODE_MODELS = {...LITERT_ONLY_MODELS, ...NO_INT16_MODELS, ...NO_QAT_MODELS};
