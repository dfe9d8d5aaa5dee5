/**
 * The model zoo: the MLPerf Tiny reference architectures, rebuilt in
 * tfjs-layers from their published Keras definitions (mlcommons/tiny,
 * benchmark/training/*), with seeded weights, and seeded data shaped like each
 * task's input for tests, benchmarks and examples.
 *
 * This module imports only tfjs (not this library), so tests (which import
 * src/), the benchmarks and the examples (which import the package) share it.
 * A new architecture is one more `ZooEntry` in ZOO (1-D sensor CNN,
 * Embedding+Conv1D text classifier, small U-Net and LSTM are planned once the
 * converter has Conv1D, Embedding, Conv2DTranspose/UpSampling2D and LSTM).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type ST = tfl.SymbolicTensor;

/** What the outputs are, which decides how an optimized file is compared with its source. */
export type ZooTask = 'classifier'|'autoencoder';

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
  task: ZooTask;
  /** Number of classes (classifier) or output features (autoencoder). */
  outputs: number;
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

const TINY = 'https://github.com/mlcommons/tiny/blob/master/benchmark/training/';

/** The zoo, by name. */
export const ZOO: Record<string, ZooEntry> = {
  resnet8: {name: 'resnet8', title: 'ResNet-8 (MLPerf Tiny image classification, 32x32x3)',
    source: `${TINY}image_classification/keras_model.py`, inputShape: [32, 32, 3], task: 'classifier', outputs: 10,
    build: resnet8},
  mobilenet_v1: {name: 'mobilenet_v1', title: 'MobileNetV1 0.25 (MLPerf Tiny visual wake words, 96x96x3)',
    source: `${TINY}visual_wake_words/vww_model.py`, inputShape: [96, 96, 3], task: 'classifier', outputs: 2,
    build: mobilenetV1},
  ds_cnn: {name: 'ds_cnn', title: 'DS-CNN (MLPerf Tiny keyword spotting, 49x10x1 MFCC)',
    source: `${TINY}keyword_spotting/keras_model.py`, inputShape: [49, 10, 1], task: 'classifier', outputs: 12,
    build: dsCnn},
  dense_autoencoder: {name: 'dense_autoencoder', title: 'Dense autoencoder (MLPerf Tiny anomaly detection, 640)',
    source: `${TINY}anomaly_detection/keras_model.py`, inputShape: [640], task: 'autoencoder', outputs: 640,
    build: denseAutoencoder},
};

/** Seeded samples for a zoo entry: inputs, and int labels for classifiers. */
export interface ZooData {
  xs: tf.Tensor;
  /** int32 class per sample (classifiers); for autoencoders the target is `xs`. */
  ys: tf.Tensor|null;
  dispose(): void;
}

/**
 * `n` seeded samples with the structure of the entry's task, so training and
 * calibration see realistic ranges and classifiers have something to learn:
 * each class is a smooth random pattern over the input's spatial axes (a
 * coarse grid upsampled, like a spectrogram's formants or an image's blobs),
 * shifted by up to 2 positions along the first axis and with noise added. For
 * the autoencoder, each sample is a smooth random spectrum repeated over 5
 * frames with noise (a stationary machine sound).
 */
export function zooData(entry: ZooEntry, n: number, seed: number): ZooData {
  return entry.task === 'classifier' ? classData(entry, n, seed) : spectrumData(entry, n, seed);
}

function classData(entry: ZooEntry, n: number, seed: number): ZooData {
  const [h, w, c] = entry.inputShape;
  const k = entry.outputs;
  const [xs, ys] = tf.tidy(() => {
    const coarse = tf.randomNormal([k, 4, Math.max(2, Math.round(w / 4)), c], 0, 1, 'float32', seed);
    const patterns = tf.image.resizeBilinear(coarse as tf.Tensor4D, [h + 4, w], true);
    const labels = tf.randomUniform([n], 0, k, 'int32', seed + 1);
    const shifts = Array.from(tf.randomUniform([n], 0, 5, 'int32', seed + 2).dataSync());
    const picked = tf.gather(patterns, labels);
    const rows = tf.split(picked, n).map((p, i) => tf.slice(p, [0, shifts[i], 0, 0], [1, h, w, c]));
    const noise = tf.randomNormal([n, h, w, c], 0, 0.5, 'float32', seed + 3);
    return [tf.add(tf.concat(rows), noise), labels];
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
  return {xs, ys: null, dispose: () => xs.dispose()};
}
