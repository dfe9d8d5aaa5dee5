/**
 * 1-D models (audio / sensor / text style): digits read as 28 timesteps of
 * 28 features. Spread into LAYER_MODELS, so every mode runs them in LiteRT.
 */
import * as tfl from '@tensorflow/tfjs-layers';

import {apply, digitsModel, NextInit, ST} from './models.js';

/** Digits as a sequence [28, 28], then `build`. */
function sequence(seed: number, build: (x: ST, k: NextInit) => ST): tfl.LayersModel {
  return digitsModel(seed, (x, k) => build(apply(tfl.layers.reshape({targetShape: [28, 28]}), x), k));
}

export const LAYER_MODELS_1D: Record<string, () => tfl.LayersModel> = {
  'Conv1D (same, strides, relu6; hybrid in dynamic mode), MaxPooling1D': () => sequence(101, (x, k) => {
    x = apply(tfl.layers.conv1d({filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu6',
      kernelInitializer: k()}), x);
    x = apply(tfl.layers.maxPooling1d({poolSize: 2}), x);
    x = apply(tfl.layers.flatten(), x);
    return apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
  }),
  'Conv1D+BatchNormalization+ReLU, AveragePooling1D (same)': () => sequence(102, (x, k) => {
    x = apply(tfl.layers.conv1d({filters: 6, kernelSize: 3, useBias: false, kernelInitializer: k()}), x);
    x = apply(tfl.layers.batchNormalization(), x);
    x = apply(tfl.layers.reLU(), x);
    // A dilated Conv1D has no gradient in tfjs (neither float nor QAT trains): see one_d.test.ts.
    x = apply(tfl.layers.conv1d({filters: 4, kernelSize: 5, padding: 'same', kernelInitializer: k()}), x);
    x = apply(tfl.layers.averagePooling1d({poolSize: 3, strides: 1, padding: 'same'}), x);
    x = apply(tfl.layers.globalAveragePooling1d({}), x);
    return apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
  }),
  'Conv1D (valid, tanh), AveragePooling1D, MaxPooling1D (same, strides)': () => sequence(103, (x, k) => {
    x = apply(tfl.layers.conv1d({filters: 5, kernelSize: 5, activation: 'tanh', kernelInitializer: k()}), x);
    x = apply(tfl.layers.averagePooling1d({poolSize: 2}), x);
    x = apply(tfl.layers.maxPooling1d({poolSize: 3, strides: 2, padding: 'same'}), x);
    x = apply(tfl.layers.flatten(), x);
    return apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
  }),
};
