/**
 * The model zoo: the MLPerf Tiny reference architectures, rebuilt in
 * tfjs-layers from their published Keras definitions (mlcommons/tiny,
 * benchmark/training/*), with seeded weights, and seeded data shaped like each
 * task's input for tests, benchmarks and examples.
 *
 * Beyond MLPerf Tiny, four small models cover the other layer families the
 * converter handles: a 1-D sensor CNN (Conv1D), an Embedding+Conv1D text
 * classifier (int32 token ids), a small U-Net (Conv2DTranspose, UpSampling2D,
 * Concatenate) and an LSTM sequence classifier.
 *
 * This module imports only tfjs (not this library), so tests (which import
 * src/), the benchmarks and the examples (which import the package) share it.
 * A new architecture is one more `ZooEntry` in ZOO.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type ST = tfl.SymbolicTensor;

/**
 * What the outputs are, which decides how an optimized file is compared with
 * its source: class probabilities (argmax), or values (an autoencoder's
 * reconstruction, a denoiser's image).
 */
export type ZooTask = 'classifier'|'regression';

/** One architecture of the zoo. */
export interface ZooEntry {
  /** Short id, e.g. 'ds_cnn'. */
  name: string;
  /** What it is and where it comes from. */
  title: string;
  /** The reference definition this one follows. */
  source: string;
  /** Input shape without the batch axis. */
  inputShape: number[];
  /** 'int32' for token ids (the text classifier); float32 otherwise. */
  inputDtype?: 'int32';
  task: ZooTask;
  /** Number of classes (classifier) or output features per sample (regression). */
  outputs: number;
  /** Output shape without the batch axis. */
  outputShape: number[];
  /**
   * Why QAT (the default 8-bit scheme) rejects the model, if it does: the
   * recurrent layers are not quantization-aware-trainable by design.
   */
  noQat?: string;
  /** The architecture with weights drawn from `seed` (BatchNorm statistics too, so folding is exercised). */
  build(seed?: number, options?: BuildOptions): tfl.LayersModel;
}

/** Training settings that are not architecture. */
export interface BuildOptions {
  /**
   * BatchNormalization momentum, 0.99 (Keras's default, as the references
   * use) unless set; a short run on small data needs a lower one for the
   * moving statistics, which inference uses, to follow the data.
   */
  batchNormMomentum?: number;
}

/** Seeded initializers, one seed each, in the order layers are made. */
class Seeds {
  constructor(private next: number) {}
  heNormal = () => tfl.initializers.heNormal({seed: this.next++});
  glorot = () => tfl.initializers.glorotUniform({seed: this.next++});
}

const l2 = () => tfl.regularizers.l2({l2: 1e-4});
const apply = (layer: tfl.layers.Layer, x: ST|ST[]) => layer.apply(x) as ST;
let momentum = 0.99;
const bn = (x: ST) => apply(tfl.layers.batchNormalization({momentum}), x);
const relu = (x: ST) => apply(tfl.layers.activation({activation: 'relu'}), x);

/**
 * BatchNorm layers get seeded gamma/beta/moving statistics, as a trained
 * model has (fresh ones are the identity, which would hide folding errors).
 */
export function seedBatchNorms(model: tfl.LayersModel, seed: number): tfl.LayersModel {
  let s = seed;
  for (const layer of model.layers) {
    if (layer.getClassName() === 'BatchNormalization') {
      const shape = layer.getWeights()[0].shape;
      const values = [
        tf.randomUniform(shape, 0.6, 1.4, 'float32', s++),
        tf.randomUniform(shape, -0.2, 0.2, 'float32', s++),
        tf.randomUniform(shape, -0.1, 0.1, 'float32', s++),
        tf.randomUniform(shape, 0.6, 1.6, 'float32', s++),
      ];
      layer.setWeights(values);
      tf.dispose(values);
    }
  }
  return model;
}

/**
 * ResNet-8 of MLPerf Tiny image classification (CIFAR-10, 32x32x3): a 3x3
 * conv+BN+ReLU and three residual stacks of 16/32/64 filters (two 3x3
 * convs each; 1x1 strided convs on the shortcut where the stack strides), as
 * the reference's `resnet_v1_eembc` (16 base filters, as in the benchmark's
 * published model; later revisions default to 26), then AveragePooling2D
 * over the last 8x8 map and Dense(10, softmax).
 */
function resnet8(seed = 1, options: BuildOptions = {}): tfl.LayersModel {
  const filters = 16;
  const s = new Seeds(seed);
  momentum = options.batchNormMomentum ?? 0.99;
  const conv = (x: ST, f: number, k: number, strides: number) => apply(tfl.layers.conv2d({
    filters: f, kernelSize: k, strides, padding: 'same', kernelInitializer: s.heNormal(), kernelRegularizer: l2()}), x);
  const input = tfl.input({shape: [32, 32, 3]});
  let x = relu(bn(conv(input, filters, 3, 1)));
  for (const [mult, strides] of [[1, 1], [2, 2], [4, 2]]) {
    let y = relu(bn(conv(x, filters * mult, 3, strides)));
    y = bn(conv(y, filters * mult, 3, 1));
    const shortcut = strides === 1 ? x : conv(x, filters * mult, 1, strides);
    x = relu(apply(tfl.layers.add({}), [shortcut, y]));
  }
  x = apply(tfl.layers.averagePooling2d({poolSize: x.shape[1]!}), x);
  x = apply(tfl.layers.flatten({}), x);
  const out = apply(tfl.layers.dense({units: 10, activation: 'softmax', kernelInitializer: s.heNormal()}), x);
  return seedBatchNorms(tfl.model({inputs: input, outputs: out, name: 'resnet8'}), seed);
}

/**
 * MobileNetV1 (alpha 0.25) of MLPerf Tiny visual wake words (96x96x3,
 * person / no person): a strided 3x3 conv of 8 filters, 13 depthwise-
 * separable blocks (DepthwiseConv2D+BN+ReLU, 1x1 Conv2D+BN+ReLU) doubling the
 * filters at each stride, AveragePooling2D over the last 3x3 map, Dense(2, softmax).
 */
function mobilenetV1(seed = 1, options: BuildOptions = {}): tfl.LayersModel {
  const s = new Seeds(seed);
  momentum = options.batchNormMomentum ?? 0.99;
  const input = tfl.input({shape: [96, 96, 3]});
  let x = relu(bn(apply(tfl.layers.conv2d({filters: 8, kernelSize: 3, strides: 2, padding: 'same',
    kernelInitializer: s.heNormal(), kernelRegularizer: l2()}), input)));
  // [filters of the pointwise conv, stride of the depthwise conv]
  const blocks: Array<[number, number]> = [[16, 1], [32, 2], [32, 1], [64, 2], [64, 1], [128, 2],
    [128, 1], [128, 1], [128, 1], [128, 1], [128, 1], [256, 2], [256, 1]];
  for (const [filters, strides] of blocks) {
    x = relu(bn(apply(tfl.layers.depthwiseConv2d({kernelSize: 3, strides, padding: 'same',
      depthwiseInitializer: s.heNormal(), depthwiseRegularizer: l2()}), x)));
    x = relu(bn(apply(tfl.layers.conv2d({filters, kernelSize: 1, padding: 'same',
      kernelInitializer: s.heNormal(), kernelRegularizer: l2()}), x)));
  }
  x = apply(tfl.layers.averagePooling2d({poolSize: [x.shape[1]!, x.shape[2]!]}), x);
  x = apply(tfl.layers.flatten({}), x);
  const out = apply(tfl.layers.dense({units: 2, activation: 'softmax', kernelInitializer: s.glorot()}), x);
  return seedBatchNorms(tfl.model({inputs: input, outputs: out, name: 'mobilenet_v1_025'}), seed);
}

/**
 * DS-CNN of MLPerf Tiny keyword spotting (49 frames x 10 MFCCs, 12
 * classes): Conv2D(64, 10x4, stride 2)+BN+ReLU, Dropout 0.2, four
 * depthwise-separable blocks of 64, Dropout 0.4, AveragePooling2D(24x5),
 * Dense(12, softmax).
 */
function dsCnn(seed = 1, options: BuildOptions = {}): tfl.LayersModel {
  const s = new Seeds(seed);
  momentum = options.batchNormMomentum ?? 0.99;
  const input = tfl.input({shape: [49, 10, 1]});
  let x = relu(bn(apply(tfl.layers.conv2d({filters: 64, kernelSize: [10, 4], strides: 2, padding: 'same',
    kernelInitializer: s.glorot(), kernelRegularizer: l2()}), input)));
  x = apply(tfl.layers.dropout({rate: 0.2, seed: seed + 1000}), x);
  for (let i = 0; i < 4; i++) {
    x = relu(bn(apply(tfl.layers.depthwiseConv2d({kernelSize: 3, padding: 'same',
      depthwiseInitializer: s.glorot(), depthwiseRegularizer: l2()}), x)));
    x = relu(bn(apply(tfl.layers.conv2d({filters: 64, kernelSize: 1, padding: 'same',
      kernelInitializer: s.glorot(), kernelRegularizer: l2()}), x)));
  }
  x = apply(tfl.layers.dropout({rate: 0.4, seed: seed + 1001}), x);
  // int(49 / 2) x int(10 / 2), as the reference computes it, over the 25x5 map.
  x = apply(tfl.layers.averagePooling2d({poolSize: [24, 5]}), x);
  x = apply(tfl.layers.flatten({}), x);
  const out = apply(tfl.layers.dense({units: 12, activation: 'softmax', kernelInitializer: s.glorot()}), x);
  return seedBatchNorms(tfl.model({inputs: input, outputs: out, name: 'ds_cnn'}), seed);
}

/**
 * The Dense autoencoder of MLPerf Tiny anomaly detection (5 frames x 128 log-mel
 * bins = 640 inputs): Dense(128)+BN+ReLU x4, a Dense(8)+BN+ReLU bottleneck,
 * Dense(128)+BN+ReLU x4, Dense(640) reconstruction.
 */
function denseAutoencoder(seed = 1, options: BuildOptions = {}): tfl.LayersModel {
  const s = new Seeds(seed);
  momentum = options.batchNormMomentum ?? 0.99;
  const input = tfl.input({shape: [640]});
  let x = input;
  for (const units of [128, 128, 128, 128, 8, 128, 128, 128, 128]) {
    x = relu(bn(apply(tfl.layers.dense({units, kernelInitializer: s.glorot()}), x)));
  }
  const out = apply(tfl.layers.dense({units: 640, kernelInitializer: s.glorot()}), x);
  return seedBatchNorms(tfl.model({inputs: input, outputs: out, name: 'dense_autoencoder'}), seed);
}

/**
 * A 1-D CNN for inertial sensor windows (human activity recognition: 128
 * steps of a 3-axis accelerometer and gyroscope, 6 activities), the common
 * TinyML form: three Conv1D+BN+ReLU stages (16/32/64 filters, kernels 5/5/3),
 * MaxPooling1D between them, GlobalAveragePooling1D and Dense(6, softmax).
 */
function sensorCnn(seed = 1, options: BuildOptions = {}): tfl.LayersModel {
  const s = new Seeds(seed);
  momentum = options.batchNormMomentum ?? 0.99;
  const input = tfl.input({shape: [128, 6]});
  let x = input;
  for (const [filters, kernelSize] of [[16, 5], [32, 5], [64, 3]]) {
    if (filters !== 16) {
      x = apply(tfl.layers.maxPooling1d({poolSize: 2}), x);
    }
    x = relu(bn(apply(tfl.layers.conv1d({filters, kernelSize, padding: 'same', kernelInitializer: s.heNormal(),
      kernelRegularizer: l2()}), x)));
  }
  x = apply(tfl.layers.globalAveragePooling1d({}), x);
  const out = apply(tfl.layers.dense({units: 6, activation: 'softmax', kernelInitializer: s.glorot()}), x);
  return seedBatchNorms(tfl.model({inputs: input, outputs: out, name: 'sensor_cnn'}), seed);
}

/** Vocabulary and length of the text classifier's token sequences. */
const VOCABULARY = 512;
const TEXT_LENGTH = 64;

/**
 * A small text classifier on int32 token ids (64 tokens of a 512-word
 * vocabulary, 4 topics): Embedding(16), Conv1D(32, 5, relu),
 * GlobalMaxPooling1D, Dense(4, softmax), the Keras text-CNN example's shape.
 */
function textCnn(seed = 1): tfl.LayersModel {
  const s = new Seeds(seed);
  const input = tfl.input({shape: [TEXT_LENGTH], dtype: 'int32'});
  let x = apply(tfl.layers.embedding({inputDim: VOCABULARY, outputDim: 16,
    embeddingsInitializer: tfl.initializers.randomUniform({minval: -0.05, maxval: 0.05, seed: seed + 500})}), input);
  x = apply(tfl.layers.conv1d({filters: 32, kernelSize: 5, activation: 'relu', kernelInitializer: s.glorot()}), x);
  x = apply(tfl.layers.globalMaxPooling1d({}), x);
  const out = apply(tfl.layers.dense({units: 4, activation: 'softmax', kernelInitializer: s.glorot()}), x);
  return tfl.model({inputs: input, outputs: out, name: 'text_cnn'});
}

/**
 * A small U-Net denoiser (32x32x1): two encoder stages (Conv2D 8 and 16,
 * MaxPooling2D), a 32-filter bottleneck, a decoder that upsamples once with
 * Conv2DTranspose(16, 2x2, stride 2) and once with UpSampling2D + Conv2D,
 * each Concatenated with the encoder's skip, and a 1x1 linear Conv2D.
 */
function unet(seed = 1, options: BuildOptions = {}): tfl.LayersModel {
  const s = new Seeds(seed);
  momentum = options.batchNormMomentum ?? 0.99;
  const conv = (x: ST, filters: number) => relu(bn(apply(tfl.layers.conv2d({filters, kernelSize: 3,
    padding: 'same', kernelInitializer: s.heNormal()}), x)));
  const input = tfl.input({shape: [32, 32, 1]});
  const skip1 = conv(input, 8);
  const skip2 = conv(apply(tfl.layers.maxPooling2d({poolSize: 2}), skip1), 16);
  let x = conv(apply(tfl.layers.maxPooling2d({poolSize: 2}), skip2), 32);
  x = relu(apply(tfl.layers.conv2dTranspose({filters: 16, kernelSize: 2, strides: 2, padding: 'same',
    kernelInitializer: s.heNormal()}), x));
  x = conv(apply(tfl.layers.concatenate({}), [x, skip2]), 16);
  x = conv(apply(tfl.layers.upSampling2d({size: [2, 2]}), x), 8);
  x = conv(apply(tfl.layers.concatenate({}), [x, skip1]), 8);
  const out = apply(tfl.layers.conv2d({filters: 1, kernelSize: 1, kernelInitializer: s.glorot()}), x);
  return seedBatchNorms(tfl.model({inputs: input, outputs: out, name: 'unet'}), seed);
}

/**
 * An LSTM sequence classifier (24 steps of 8 sensor features, 5 classes):
 * LSTM(32) (last output), Dense(5, softmax).
 */
function lstmClassifier(seed = 1): tfl.LayersModel {
  const s = new Seeds(seed);
  const input = tfl.input({shape: [24, 8]});
  let x = apply(tfl.layers.lstm({units: 32, kernelInitializer: s.glorot(), recurrentInitializer: s.glorot()}), input);
  x = apply(tfl.layers.dense({units: 5, activation: 'softmax', kernelInitializer: s.glorot()}), x);
  return tfl.model({inputs: input, outputs: x, name: 'lstm'});
}

const TINY = 'https://github.com/mlcommons/tiny/blob/master/benchmark/training/';

/** The zoo, by name. */
export const ZOO: Record<string, ZooEntry> = {
  resnet8: {name: 'resnet8', title: 'ResNet-8 (MLPerf Tiny image classification, 32x32x3)',
    source: `${TINY}image_classification/keras_model.py`, inputShape: [32, 32, 3], task: 'classifier', outputs: 10,
    outputShape: [10], build: resnet8},
  mobilenet_v1: {name: 'mobilenet_v1', title: 'MobileNetV1 0.25 (MLPerf Tiny visual wake words, 96x96x3)',
    source: `${TINY}visual_wake_words/vww_model.py`, inputShape: [96, 96, 3], task: 'classifier', outputs: 2,
    outputShape: [2], build: mobilenetV1},
  ds_cnn: {name: 'ds_cnn', title: 'DS-CNN (MLPerf Tiny keyword spotting, 49x10x1 MFCC)',
    source: `${TINY}keyword_spotting/keras_model.py`, inputShape: [49, 10, 1], task: 'classifier', outputs: 12,
    outputShape: [12], build: dsCnn},
  dense_autoencoder: {name: 'dense_autoencoder', title: 'Dense autoencoder (MLPerf Tiny anomaly detection, 640)',
    source: `${TINY}anomaly_detection/keras_model.py`, inputShape: [640], task: 'regression', outputs: 640,
    outputShape: [640], build: denseAutoencoder},
  sensor_cnn: {name: 'sensor_cnn', title: '1-D sensor CNN (activity recognition, 128 steps x 6 axes)',
    source: 'Conv1D stages as in TinyML activity-recognition models', inputShape: [128, 6], task: 'classifier',
    outputs: 6, outputShape: [6], build: sensorCnn},
  text_cnn: {name: 'text_cnn', title: 'Embedding+Conv1D text classifier (64 int32 token ids, 4 topics)',
    source: 'the Keras text-CNN example (Embedding, Conv1D, GlobalMaxPooling1D)', inputShape: [TEXT_LENGTH],
    inputDtype: 'int32', task: 'classifier', outputs: 4, outputShape: [4], build: textCnn},
  unet: {name: 'unet', title: 'Small U-Net denoiser (32x32x1; Conv2DTranspose, UpSampling2D, Concatenate)',
    source: 'U-Net (Ronneberger et al. 2015), two stages', inputShape: [32, 32, 1], task: 'regression', outputs: 1,
    outputShape: [32, 32, 1], build: unet},
  lstm: {name: 'lstm', title: 'LSTM sequence classifier (24 steps x 8 features, 5 classes)',
    source: 'LSTM(32) + Dense, the Keras sequence-classification form', inputShape: [24, 8], task: 'classifier',
    outputs: 5, outputShape: [5], build: lstmClassifier,
    noQat: 'recurrent layers are not supported by the default 8-bit QAT scheme'},
};

/** Seeded samples for a zoo entry: inputs and targets. */
export interface ZooData {
  xs: tf.Tensor;
  /** Classifiers: the int32 class per sample. Regression: the float target per sample. */
  ys: tf.Tensor;
  dispose(): void;
}

/**
 * `n` seeded samples with the structure of the entry's task, decisive enough
 * that a few epochs of float training reach high accuracy (so an optimized
 * file's argmax is judged on clear margins, not near-ties):
 * - classifiers: one fixed smooth template per class (a coarse random grid
 *   upsampled along the input's spatial axes, like a spectrogram's formants or
 *   an image's blobs; the templates depend on the entry, not on `seed`), plus
 *   Gaussian noise of `noise` (standard deviation, templates have ~1);
 * - the text classifier: token ids, each a keyword of the sample's topic
 *   (16 per topic) with probability 0.3 and any word otherwise;
 * - the autoencoder: a smooth random spectrum repeated over 5 frames with
 *   noise (a stationary machine sound), its own target;
 * - the U-Net: a smooth random image with noise, the clean image its target.
 */
export function zooData(entry: ZooEntry, n: number, seed: number, noise = 0.5): ZooData {
  if (entry.inputDtype === 'int32') {
    return tokenData(entry, n, seed);
  }
  if (entry.task === 'classifier') {
    return classData(entry, n, seed, noise);
  }
  return entry.inputShape.length === 1 ? spectrumData(entry, n, seed) : imageData(entry, n, seed);
}

/** `count` smooth random maps of `shape` ([h, w, c] or [steps, channels]), about unit variance. */
function smoothMaps(count: number, shape: number[], seed: number): tf.Tensor {
  return tf.tidy(() => {
    const [h, w, c] = shape.length === 3 ? shape : [shape[0], 1, shape[1]];
    const coarse = tf.randomNormal([count, Math.max(2, Math.round(h / 8)), w === 1 ? 1 : Math.max(2, Math.round(w / 4)), c],
        0, 1, 'float32', seed);
    return tf.reshape(tf.image.resizeBilinear(coarse as tf.Tensor4D, [h, w], true), [count, ...shape]);
  });
}

/** Fixed per entry, so the training and probe sets (different seeds) share the classes. */
const templateSeed = (entry: ZooEntry) => [...entry.name].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 100003, 7);

function classData(entry: ZooEntry, n: number, seed: number, noise: number): ZooData {
  const [xs, ys] = tf.tidy(() => {
    const templates = smoothMaps(entry.outputs, entry.inputShape, templateSeed(entry));
    const labels = tf.randomUniform([n], 0, entry.outputs, 'int32', seed + 1);
    const noisy = tf.add(tf.gather(templates, labels), tf.randomNormal([n, ...entry.inputShape], 0, noise, 'float32',
        seed + 3));
    return [noisy, labels];
  });
  return {xs, ys, dispose: () => tf.dispose([xs, ys])};
}

function tokenData(entry: ZooEntry, n: number, seed: number): ZooData {
  const length = entry.inputShape[0];
  const keywords = 16;
  const [xs, ys] = tf.tidy(() => {
    const table = tf.randomUniform([entry.outputs, keywords], 0, VOCABULARY, 'int32', templateSeed(entry));
    const labels = tf.randomUniform([n], 0, entry.outputs, 'int32', seed + 1);
    const which = tf.randomUniform([n, length], 0, keywords, 'int32', seed + 2);
    const topical = tf.gather(tf.reshape(table, [-1]),
        tf.add(tf.mul(tf.expandDims(labels, 1), tf.scalar(keywords, 'int32')), which) as tf.Tensor2D);
    const any = tf.randomUniform([n, length], 0, VOCABULARY, 'int32', seed + 3);
    const pick = tf.less(tf.randomUniform([n, length], 0, 1, 'float32', seed + 4), 0.3);
    return [tf.where(pick, topical, any), labels];
  });
  return {xs, ys, dispose: () => tf.dispose([xs, ys])};
}

function spectrumData(entry: ZooEntry, n: number, seed: number): ZooData {
  const size = entry.inputShape[0];
  const frames = 5;
  const xs = tf.tidy(() => {
    const coarse = tf.randomNormal([n, 1, 8, 1], 0, 1, 'float32', seed);
    const spectra = tf.image.resizeBilinear(coarse as tf.Tensor4D, [1, size / frames], true);
    const tiled = tf.tile(tf.reshape(spectra, [n, 1, size / frames]), [1, frames, 1]);
    return tf.add(tf.reshape(tiled, [n, size]), tf.randomNormal([n, size], 0, 0.2, 'float32', seed + 1));
  });
  return {xs, ys: xs, dispose: () => xs.dispose()};
}

function imageData(entry: ZooEntry, n: number, seed: number): ZooData {
  const [xs, ys] = tf.tidy(() => {
    const clean = smoothMaps(n, entry.inputShape, seed);
    return [tf.add(clean, tf.randomNormal([n, ...entry.inputShape], 0, 0.3, 'float32', seed + 1)), clean];
  });
  return {xs, ys, dispose: () => tf.dispose([xs, ys])};
}
