/**
 * A few seeded training steps of every wrapper on a small conv + dense model,
 * on whatever backend is active: the same code runs in Node (the reference)
 * and in Chromium (test/browser/entries/training.ts) so their losses can be
 * compared step by step.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import * as clustering from '../../../src/clustering/index.js';
// Until the pruning barrel is browser-safe (its PruningSummaries writes files), its parts directly.
import {UpdatePruningStep} from '../../../callbacks/update_pruning_step.js';
import {ConstantSparsity} from '../../../schedules/index.js';
import {pruneLowMagnitude, stripPruning} from '../../../src/pruning/prune.js';
const sparsity = {ConstantSparsity, pruneLowMagnitude, stripPruning, UpdatePruningStep};
import * as quantization from '../../../src/quantization/index.js';

/** Steps each technique trains (one fit epoch of STEPS batches). */
export const STEPS = 4;
const BATCH = 8;

/** Deterministic values in [-1, 1) (an LCG). */
function lcg(n: number, seed: number): Float32Array {
  const values = new Float32Array(n);
  let state = seed >>> 0;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state / 2 ** 31 - 1;
  }
  return values;
}

/** Conv + dense, seeded: what every wrapper here starts from. */
export function smallCnn(): tfl.LayersModel {
  return tfl.sequential({layers: [
    tfl.layers.conv2d({inputShape: [8, 8, 1], filters: 6, kernelSize: 3, activation: 'relu',
      kernelInitializer: tfl.initializers.glorotUniform({seed: 1}), biasInitializer: 'zeros'}),
    tfl.layers.flatten(),
    // Softmax keeps probabilities far above tfjs-layers' epsilon, which is 1e-4 on a webgl backend that reports
    // 16-bit precision (SwiftShader) and 1e-7 elsewhere: the loss does not depend on which backend came first.
    tfl.layers.dense({units: 4, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({seed: 2})}),
  ]});
}

/** The training data: STEPS batches of inputs and one-hot targets. */
export function data(): {xs: tf.Tensor, ys: tf.Tensor} {
  const n = STEPS * BATCH;
  return {xs: tf.tensor(lcg(n * 64, 5), [n, 8, 8, 1]),
    ys: tf.tensor(Array.from({length: n * 4}, (_, i) => i % 4 === Math.floor(i / 4) * 3 % 4 ? 1 : 0), [n, 4])};
}

/** The model each technique trains, built from a fresh seeded `smallCnn()`. */
export const TECHNIQUES: Record<string, (base: tfl.LayersModel) => {model: tfl.LayersModel,
  callbacks: tfl.CustomCallbackArgs[]|tfl.Callback[]}> = {
  plain: (base) => ({model: base, callbacks: []}),
  qat: (base) => ({model: quantization.quantizeModel(base), callbacks: []}),
  // A mask update every step: the costly path on GPU backends.
  pruning: (base) => ({model: sparsity.pruneLowMagnitude(base, {pruningSchedule: new sparsity.ConstantSparsity(
      {targetSparsity: 0.5, beginStep: 0, frequency: 1})}), callbacks: [new sparsity.UpdatePruningStep()]}),
  clustering: (base) => ({model: clustering.clusterWeights(base, {numberOfClusters: 4,
    clusterCentroidsInit: clustering.CentroidInitialization.LINEAR}), callbacks: []}),
  pqat: (base) => {
    // Half of each kernel zeroed (the smaller magnitudes), as pruning leaves it; the scheme keeps those zeros.
    halveKernels(base);
    const annotated = quantization.quantizeAnnotateModel(base);
    const model = quantization.quantizeApply(annotated, new quantization.Default8BitPrunePreserveQuantizeScheme());
    annotated.dispose();
    return {model, callbacks: []};
  },
  cqat: (base) => {
    const clustered = clustering.clusterWeights(base, {numberOfClusters: 4,
      clusterCentroidsInit: clustering.CentroidInitialization.LINEAR});
    const stripped = clustering.stripClustering(clustered);
    const annotated = quantization.quantizeAnnotateModel(stripped);
    const model = quantization.quantizeApply(annotated, new quantization.Default8BitClusterPreserveQuantizeScheme());
    [clustered, stripped, annotated].forEach((m) => m.dispose());
    return {model, callbacks: []};
  },
};

/** Zeroes the smaller half (by magnitude) of every kernel of `model`. */
function halveKernels(model: tfl.LayersModel): void {
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    if (weights.length === 0) {
      continue;
    }
    const kernel = weights[0].dataSync().slice();
    const median = Float32Array.from(kernel, Math.abs).sort()[Math.floor(kernel.length / 2)];
    const pruned = tf.tensor(kernel.map((v) => Math.abs(v) < median ? 0 : v), weights[0].shape);
    layer.setWeights([pruned, ...weights.slice(1)]);
    pruned.dispose();
  }
}

/** What one technique's run gives: the loss of each step, and facts about the trained kernels. */
export interface StepsResult {
  losses: number[];
  /** Fraction of exact zeros in the first conv kernel after training. */
  convZeros: number;
  /** Distinct values in the first conv kernel after training. */
  convDistinct: number;
  /** Whether every trained weight is finite. */
  finite: boolean;
}

/** Trains `technique` for STEPS steps with SGD and reports its losses. */
export async function trainSteps(technique: string): Promise<StepsResult> {
  const base = smallCnn();
  const {model, callbacks} = TECHNIQUES[technique](base);
  const {xs, ys} = data();
  const losses: number[] = [];
  const optimizer = tf.train.sgd(0.01);
  model.compile({optimizer, loss: 'categoricalCrossentropy'});
  const record = new tfl.CustomCallback({onBatchEnd: async (_batch, logs) => {
    losses.push(logs!.loss as number);
  }});
  await model.fit(xs, ys, {epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0,
    callbacks: [...callbacks as tfl.Callback[], record]});
  // The trained conv kernel: the wrapper's weight (masked/clustered in the forward pass only for some).
  const weights = model.getWeights();
  const values = await weights.find((w) => w.shape.length === 4)!.data();
  const finite = (await Promise.all(weights.map((w) => w.data()))).every((d) => d.every(Number.isFinite));
  const result = {losses, convZeros: values.filter((v) => v === 0).length / values.length,
    convDistinct: new Set(values).size, finite};
  tf.dispose([xs, ys]);
  optimizer.dispose();
  model.dispose();
  if (model !== base) {
    base.dispose();
  }
  return result;
}
