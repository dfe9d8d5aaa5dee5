/**
 * Shared helpers: training batches of MNIST and step timing.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfmot from 'tfjs-model-optimization';

/** Fixed training batches: inputs and one-hot targets. */
export interface Batches {
  xs: tf.Tensor[];
  ys: tf.Tensor[];
}

/**
 * `count` distinct batches of real digits, created on the active backend
 * (make them after `backend.init`, so no copies between backends happen
 * while timing).
 */
export function mnistBatches(batchSize: number, count: number, seed = 0): Batches {
  const {train, test} = tfmot.data.loadMnist({numTrain: batchSize * count, numTest: 0, seed});
  const ys = tfmot.data.oneHotLabels(train.ys);
  const batches: Batches = {
    xs: tf.split(train.xs, count),
    ys: tf.split(ys, count),
  };
  tf.dispose([train.xs, train.ys, test.xs, test.ys, ys]);
  return batches;
}

export function disposeBatches(batches: Batches): void {
  tf.dispose([...batches.xs, ...batches.ys]);
}

/**
 * Compiles as the TFMOT tutorial does: Adam (its default rate unless
 * `learningRate` is given, e.g. 1e-4 for fine-tuning), cross-entropy on logits.
 */
export function compileTutorial(model: tfl.LayersModel, learningRate?: number): void {
  model.compile({
    optimizer: learningRate == null ? 'adam' : tf.train.adam(learningRate),
    loss: tfmot.data.categoricalCrossentropyFromLogits,
    metrics: ['accuracy'],
  });
}

/**
 * Runs `steps` training steps (`trainOnBatch`, which waits for the loss, so
 * each step has finished when timed) cycling through `batches`.
 * Returns the mean ms per step.
 */
export async function timeSteps(
    model: tfl.LayersModel, batches: Batches, steps: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < steps; i++) {
    const b = i % batches.xs.length;
    await model.trainOnBatch(batches.xs[b], batches.ys[b]);
  }
  return (performance.now() - start) / steps;
}

export function median(values: number[]): number {
  if (values.length === 0) {
    throw new Error('median of no values');
  }
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
