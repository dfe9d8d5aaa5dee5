/**
 * One small model per group of layers the converter lowers, all on 28x28x1
 * digits, seeded. Together they use every layer in CONVERTIBLE_LAYERS.
 */
import * as tfl from '@tensorflow/tfjs-layers';

import {LAYER_MODELS_1D} from './layer_models_1d.js';
import {LAYER_MODELS_2D} from './layer_models_2d.js';
import {LAYER_MODELS_ACTS} from './layer_models_acts.js';
import {apply, digitsModel, functionalTestModel} from './models.js';


/** name -> model factory. */
export const LAYER_MODELS: Record<string, () => tfl.LayersModel> = {
  'Dense, Flatten, Dropout': () => digitsModel(1, (x, k) => {
    x = apply(tfl.layers.flatten(), x);
    x = apply(tfl.layers.dense({units: 16, activation: 'relu', kernelInitializer: k()}), x);
    x = apply(tfl.layers.dropout({rate: 0.3}), x);
    return apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
  }),
  'Conv2D (strides, relu6), ZeroPadding2D': () => digitsModel(2, (x, k) => {
    x = apply(tfl.layers.zeroPadding2d({padding: [[1, 2], [0, 1]]}), x);
    x = apply(tfl.layers.conv2d({filters: 4, kernelSize: 3, strides: 2, padding: 'same',
      activation: 'relu6', kernelInitializer: k()}), x);
    x = apply(tfl.layers.conv2d({filters: 3, kernelSize: [2, 3], padding: 'valid',
      kernelInitializer: k()}), x);
    x = apply(tfl.layers.flatten(), x);
    return apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
  }),
  'DepthwiseConv2D, GlobalAveragePooling2D': () => digitsModel(3, (x, k) => {
    x = apply(tfl.layers.conv2d({filters: 4, kernelSize: 1, kernelInitializer: k()}), x);
    x = apply(tfl.layers.depthwiseConv2d({kernelSize: 3, depthMultiplier: 2, strides: 2,
      activation: 'relu', depthwiseInitializer: k()}), x);
    x = apply(tfl.layers.globalAveragePooling2d({}), x);
    return apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
  }),
  'SeparableConv2D, GlobalMaxPooling2D, sigmoid': () => digitsModel(4, (x, k) => {
    x = apply(tfl.layers.separableConv2d({filters: 6, kernelSize: 3, padding: 'same',
      activation: 'relu', depthwiseInitializer: k(), pointwiseInitializer: k()}), x);
    x = apply(tfl.layers.globalMaxPooling2d({}), x);
    return apply(tfl.layers.dense({units: 10, activation: 'sigmoid', kernelInitializer: k()}), x);
  }),
  'MaxPooling2D, AveragePooling2D, tanh': () => digitsModel(5, (x, k) => {
    x = apply(tfl.layers.conv2d({filters: 4, kernelSize: 3, kernelInitializer: k()}), x);
    x = apply(tfl.layers.maxPooling2d({poolSize: 2}), x);
    x = apply(tfl.layers.averagePooling2d({poolSize: 3, strides: 1, padding: 'same'}), x);
    x = apply(tfl.layers.flatten(), x);
    return apply(tfl.layers.dense({units: 10, activation: 'tanh', kernelInitializer: k()}), x);
  }),
  'Reshape, ReLU, ReLU6 and Activation layers, Softmax': () => digitsModel(6, (x, k) => {
    x = apply(tfl.layers.reshape({targetShape: [784]}), x);
    x = apply(tfl.layers.dense({units: 12, kernelInitializer: k()}), x);
    x = apply(tfl.layers.reLU({maxValue: 6}), x);
    x = apply(tfl.layers.dense({units: 12, kernelInitializer: k()}), x);
    x = apply(tfl.layers.activation({activation: 'relu'}), x);
    x = apply(tfl.layers.reshape({targetShape: [3, 4]}), x);
    x = apply(tfl.layers.reshape({targetShape: [12]}), x);
    x = apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
    return apply(tfl.layers.softmax(), x);
  }),
  'BatchNormalization (folded and standalone), Multiply, Activation(tanh)': () => digitsModel(7, (x, k) => {
    x = apply(tfl.layers.conv2d({filters: 4, kernelSize: 3, strides: 2, useBias: false,
      kernelInitializer: k()}), x);
    x = apply(tfl.layers.batchNormalization(), x);
    const pooled = apply(tfl.layers.maxPooling2d({poolSize: 2}), x);
    const normed = apply(tfl.layers.batchNormalization(), pooled);
    const gate = apply(tfl.layers.activation({activation: 'sigmoid'}), normed);
    x = apply(tfl.layers.multiply(), [normed, gate]);
    x = apply(tfl.layers.flatten(), x);
    x = apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
    return apply(tfl.layers.activation({activation: 'tanh'}), x);
  }),
  'Conv+BN+ReLU, DepthwiseConv2D, Add, Concatenate, GlobalAveragePooling2D': () => functionalTestModel(8),
  'Reshape with -1, BatchNormalization on 2-D': () => digitsModel(9, (x, k) => {
    // tfjs leaves the -1 dimension unknown, so only a Dense or a full Reshape may follow.
    x = apply(tfl.layers.reshape({targetShape: [-1, 28]}), x);
    x = apply(tfl.layers.dense({units: 4, activation: 'relu', kernelInitializer: k()}), x);
    x = apply(tfl.layers.reshape({targetShape: [112]}), x);
    x = apply(tfl.layers.dense({units: 12, activation: 'relu', kernelInitializer: k()}), x);
    x = apply(tfl.layers.batchNormalization(), x);
    x = apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
    return apply(tfl.layers.batchNormalization(), x);
  }),
  'Dense(tanh) and Conv2D(sigmoid) into Concatenate': () => digitsModel(10, (x, k) => {
    const gated = apply(tfl.layers.conv2d({filters: 2, kernelSize: 5, strides: 4, activation: 'sigmoid',
      kernelInitializer: k()}), x);
    const plain = apply(tfl.layers.conv2d({filters: 2, kernelSize: 5, strides: 4, kernelInitializer: k()}), x);
    x = apply(tfl.layers.concatenate(), [gated, plain]);
    x = apply(tfl.layers.flatten(), x);
    const squashed = apply(tfl.layers.dense({units: 6, activation: 'tanh', kernelInitializer: k()}), x);
    const linear = apply(tfl.layers.dense({units: 6, kernelInitializer: k()}), x);
    x = apply(tfl.layers.concatenate(), [squashed, linear]);
    return apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
  }),
  'GlobalAveragePooling1D, GlobalMaxPooling1D': () => digitsModel(11, (x, k) => {
    x = apply(tfl.layers.reshape({targetShape: [28, 28]}), x);
    x = apply(tfl.layers.dense({units: 8, activation: 'relu', kernelInitializer: k()}), x);
    const averaged = apply(tfl.layers.globalAveragePooling1d({}), x);
    const maxed = apply(tfl.layers.globalMaxPooling1d({}), x);
    x = apply(tfl.layers.concatenate(), [averaged, maxed]);
    return apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
  }),
  ...LAYER_MODELS_1D,
  ...LAYER_MODELS_2D,
  ...LAYER_MODELS_ACTS,
};
