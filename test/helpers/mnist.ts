/** Shared MNIST helpers for tests: accuracy of a logits model on a split. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import * as tfmot from '../../src/index.js';

/** Fraction of `ys` (int labels) that `model`'s argmax gets right. */
export function accuracy(model: tfl.LayersModel, xs: tf.Tensor, ys: tf.Tensor): number {
  return tf.tidy(() => {
    const logits = model.predict(xs, {batchSize: 256}) as tf.Tensor;
    return tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), ys), 'float32')).dataSync()[0];
  });
}

/** Compiles `model` for logits + one-hot labels, as the TFMOT tutorials do. */
export function compileForLogits(model: tfl.LayersModel, learningRate = 1e-3): void {
  model.compile({
    optimizer: tf.train.adam(learningRate),
    loss: tfmot.data.categoricalCrossentropyFromLogits,
    metrics: ['accuracy'],
  });
}
