/**
 * Small seeded models for the text and recurrent layers, on generated
 * sequences (their inputs are not 28x28 digits, so
 * text_and_recurrent.test.ts runs them instead of layers_export.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export const STEPS = 8;
export const FEATURES = 4;
export const VOCABULARY = 30;

const k = (seed: number) => tfl.initializers.glorotUniform({seed});
const around = (seed: number, range: number) => tfl.initializers.randomUniform({minval: -range, maxval: range, seed});

/** Token ids [n, STEPS], int32, seeded. */
export function tokens(n: number, seed: number): tf.Tensor {
  return tf.tidy(() => tf.cast(tf.floor(tf.randomUniform([n, STEPS], 0, VOCABULARY, 'float32', seed)), 'int32'));
}

/** Sequences [n, STEPS, features], standard normal, seeded. */
export function sequences(n: number, seed: number, features = FEATURES): tf.Tensor {
  return tf.randomNormal([n, STEPS, features], 0, 1, 'float32', seed);
}

/** Embedding -> GlobalAveragePooling1D -> Dense softmax on int32 token ids. */
export function textClassifier(): tfl.LayersModel {
  const ids = tfl.input({shape: [STEPS], dtype: 'int32', name: 'ids'});
  let x = tfl.layers.embedding({inputDim: VOCABULARY, outputDim: 8, embeddingsInitializer: around(1, 1),
    name: 'embedding'}).apply(ids) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling1d({}).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({units: 4, activation: 'softmax', kernelInitializer: k(2)}).apply(x) as tfl.SymbolicTensor;
  return tfl.model({inputs: ids, outputs: x});
}

/** name -> float-input sequence model (input [STEPS, features]) using the layer(s) named. */
export const SEQUENCE_MODELS: Record<string, {features: number, build: () => tfl.LayersModel}> = {
  'Dense (3-D), LayerNormalization': {features: FEATURES, build: () => tfl.sequential({layers: [
    tfl.layers.dense({units: 8, inputShape: [STEPS, FEATURES], kernelInitializer: k(3)}),
    tfl.layers.layerNormalization({gammaInitializer: tfl.initializers.randomUniform({minval: 0.5, maxval: 1.5, seed: 4}),
      betaInitializer: around(5, 0.5)}),
  ]})},
  // 32 x 32 gate kernels: dynamic range quantizes them (TFLite's 1024-element minimum).
  'LSTM (hardSigmoid, last output), Dense': {features: 32, build: () => tfl.sequential({layers: [
    tfl.layers.lstm({units: 32, inputShape: [STEPS, 32], kernelInitializer: k(6), recurrentInitializer: k(7),
      biasInitializer: around(8, 0.5), name: 'lstm'}),
    tfl.layers.dense({units: 3, kernelInitializer: k(9)}),
  ]})},
  'LSTM (sigmoid, returnSequences)': {features: FEATURES, build: () => tfl.sequential({layers: [
    tfl.layers.lstm({units: 6, inputShape: [STEPS, FEATURES], returnSequences: true, recurrentActivation: 'sigmoid',
      kernelInitializer: k(10), recurrentInitializer: k(11)}),
  ]})},
  'GRU (returnSequences, goBackwards)': {features: FEATURES, build: () => tfl.sequential({layers: [
    tfl.layers.gru({units: 5, inputShape: [STEPS, FEATURES], returnSequences: true, goBackwards: true,
      kernelInitializer: k(12), recurrentInitializer: k(13), biasInitializer: around(14, 0.5)}),
  ]})},
  'SimpleRNN (last output)': {features: FEATURES, build: () => tfl.sequential({layers: [
    tfl.layers.simpleRNN({units: 5, inputShape: [STEPS, FEATURES], kernelInitializer: k(15),
      recurrentInitializer: k(16), biasInitializer: around(17, 0.5)}),
  ]})},
  'Bidirectional LSTM (concat, returnSequences), GlobalAveragePooling1D': {features: FEATURES,
    build: () => tfl.sequential({layers: [
      tfl.layers.bidirectional({layer: tfl.layers.lstm({units: 4, returnSequences: true, kernelInitializer: k(18),
        recurrentInitializer: k(19)}) as tfl.RNN, inputShape: [STEPS, FEATURES]}),
      tfl.layers.globalAveragePooling1d({}),
    ]})},
  'Bidirectional GRU (ave, last output)': {features: FEATURES, build: () => tfl.sequential({layers: [
    tfl.layers.bidirectional({layer: tfl.layers.gru({units: 4, kernelInitializer: k(20),
      recurrentInitializer: k(21)}) as tfl.RNN, mergeMode: 'ave', inputShape: [STEPS, FEATURES]}),
  ]})},
};

/** The convertible layers these models cover, which the digit models of layers_export.test.ts do not. */
export const COVERED_BY_TEXT_AND_RECURRENT = ['Bidirectional', 'Embedding', 'GRU', 'LSTM', 'LayerNormalization',
  'SimpleRNN'];
