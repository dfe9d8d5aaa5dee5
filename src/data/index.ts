/** Data sets and reference models for examples, tests and benchmarks (`tfmot.data`). */
export {
  loadMnist,
  mnistTutorialModel,
  oneHotLabels,
  categoricalCrossentropyFromLogits,
  MNIST_IMAGE_SIZE,
  MNIST_NUM_CLASSES,
} from './mnist.js';
export type {LoadMnistArgs, MnistData, MnistSplit, MnistTutorialModelArgs} from './mnist.js';
