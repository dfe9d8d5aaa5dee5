/**
 * Pruning: (a) the training-step overhead of pruneLowMagnitude + the
 * UpdatePruningStep callback on the MNIST tutorial model, and (b) what
 * structured (filter) pruning buys at inference: LiteRT latency of a CNN
 * before and after 50% of its filters are removed by stripPruning.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfmot from 'tfjs-model-optimization';

import {latencyCnn} from './latency_cnn.js';
import {medianLatencies} from './litert.js';
import type {BenchRow, BenchSection} from './report.js';
import {compileTutorial, median} from './timing.js';

const {sparsity} = tfmot;

/** The overhead we aim for: a pruning step at most this many times a plain one. */
export const PRUNING_OVERHEAD_GOAL = 1.1;
/** With a mask update every step (issue #17): at most this many times a plain step. */
export const PRUNING_EVERY_STEP_GOAL = 1.3;

export interface OverheadSetting {
  batchSize: number;
  /** Steps per fit() call (one epoch); each round times one call per model. */
  steps: number;
  rounds: number;
  /** Steps between mask updates: 100 as in the TFMOT tutorial, or 1 (every step). */
  frequency: number;
}

export const OVERHEAD_SETTINGS: OverheadSetting[] = [
  {batchSize: 32, steps: 60, rounds: 9, frequency: 100},
  {batchSize: 128, steps: 20, rounds: 9, frequency: 100},
  {batchSize: 32, steps: 60, rounds: 9, frequency: 1},
];

/** Wall time of one fit() epoch over `xs`, in ms per step. */
async function fitMsPerStep(model: tfl.LayersModel, xs: tf.Tensor, ys: tf.Tensor, batchSize: number,
    callbacks: tfl.Callback[]): Promise<number> {
  const start = performance.now();
  await model.fit(xs, ys, {epochs: 1, batchSize, shuffle: false, verbose: 0, callbacks});
  return (performance.now() - start) / Math.ceil(xs.shape[0] / batchSize);
}

/** Plain vs pruned fit() steps in interleaved rounds, in one process. */
export async function overheadRows({batchSize, steps, rounds, frequency}: OverheadSetting): Promise<BenchRow[]> {
  const {train} = tfmot.data.loadMnist({numTrain: batchSize * steps, numTest: 0, seed: 3});
  const ys = tfmot.data.oneHotLabels(train.ys);
  const plain = tfmot.data.mnistTutorialModel({seed: 3});
  // As in the TFMOT tutorial: prune from 50% to 80% sparsity, masks recomputed every 100 steps.
  const pruned = sparsity.pruneLowMagnitude(plain, {pruningSchedule: new sparsity.PolynomialDecay(
      {initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 0, endStep: steps * (rounds + 1), frequency})});
  compileTutorial(plain);
  compileTutorial(pruned);
  const step = new sparsity.UpdatePruningStep();
  try {
    // Warm-up epoch each: kernels, optimizer slots, JIT.
    await fitMsPerStep(plain, train.xs, ys, batchSize, []);
    await fitMsPerStep(pruned, train.xs, ys, batchSize, [step]);
    const plainMs: number[] = [];
    const prunedMs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const runPlain = async () => plainMs.push(await fitMsPerStep(plain, train.xs, ys, batchSize, []));
      const runPruned = async () => prunedMs.push(await fitMsPerStep(pruned, train.xs, ys, batchSize, [step]));
      if (r % 2 === 0) {
        await runPlain();
        await runPruned();
      } else {
        await runPruned();
        await runPlain();
      }
    }
    const ratios = plainMs.map((p, i) => prunedMs[i] / p);
    const ratio = median(prunedMs) / median(plainMs);
    const everyStep = frequency === 1;
    const goal = everyStep ? PRUNING_EVERY_STEP_GOAL : PRUNING_OVERHEAD_GOAL;
    const what = everyStep ? `, mask update every step` : '';
    const setup = `batch ${batchSize}, median of ${rounds} fit() epochs x ${steps} steps`;
    return [
      {name: `Plain fit step, batch ${batchSize}${what ? ' (every-step run)' : ''}`, value: median(plainMs),
        unit: 'ms/step', note: setup},
      {name: `Pruning fit step, batch ${batchSize}${what}`, value: median(prunedMs), unit: 'ms/step',
        note: `${setup}, with UpdatePruningStep, masks recomputed every ${everyStep ? '' : `${frequency} `}step${everyStep ? '' : 's'}`},
      {
        name: `Pruning${what} / plain, batch ${batchSize}`,
        value: ratio,
        unit: 'x',
        note: `goal <= ${goal}x: ${ratio <= goal ? 'met' : 'NOT met'}; ` +
            `per-round ratios ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`,
      },
    ];
  } finally {
    plain.dispose();
    pruned.dispose();
    tf.dispose([train.xs, train.ys, ys]);
  }
}

const LATENCY = {warmup: 50, rounds: 15, runsPerRound: 40};

async function convert(model: tfl.LayersModel, calibration?: tf.Tensor[]): Promise<Uint8Array> {
  const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(model);
  if (calibration != null) {
    converter.optimizations = ['DEFAULT'];
    converter.representativeDataset = () => calibration;
  }
  return converter.convert();
}

/** Dense vs 50%-filter-pruned-and-stripped CNN in LiteRT, float32 and int8, alternating rounds. */
async function structuredRows(): Promise<BenchRow[]> {
  const dense = latencyCnn();
  const pruned = latencyCnn((l) => sparsity.pruneLowMagnitude(l, {structure: 'filters',
    pruningSchedule: new sparsity.ConstantSparsity({targetSparsity: 0.5, beginStep: 0})}));
  // Seeded initializers: both models start from the same weights.
  const xs = tf.randomUniform([32, 32, 32, 3], 0, 1, 'float32', 7);
  const ys = tf.oneHot(tf.tensor1d(Array.from({length: 32}, (_, i) => i % 10), 'int32'), 10);
  const calibration = Array.from({length: 20}, (_, i) => tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 100 + i));
  pruned.compile({optimizer: tf.train.sgd(0), loss: 'categoricalCrossentropy'});
  // One step prunes the masks (learning rate 0: the kept weights stay the dense model's).
  await pruned.fit(xs, ys, {epochs: 1, batchSize: 32, verbose: 0, callbacks: [new sparsity.UpdatePruningStep()]});
  const stripped = sparsity.stripPruning(pruned);
  try {
    const filters = stripped.layers.filter((l) => l.getClassName() === 'Conv2D').map((l) => l.getConfig()['filters']);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(stripped.predict(xs) as tf.Tensor, pruned.predict(xs) as tf.Tensor)))
        .dataSync()[0]);
    const medians = await medianLatencies([
      ['dense float32', await convert(dense)],
      ['stripped float32', await convert(stripped)],
      ['dense int8', await convert(dense, calibration)],
      ['stripped int8', await convert(stripped, calibration)],
    ], LATENCY);
    const us = (name: string) => medians.get(name)!;
    const note = `median of ${LATENCY.rounds * LATENCY.runsPerRound} runs, 1 thread, batch 1`;
    return [
      {name: 'CNN dense float32 inference', value: us('dense float32'), unit: 'us', note},
      {name: 'CNN 50% filters stripped, float32', value: us('stripped float32'), unit: 'us',
        note: `${note}; conv filters ${filters.join(', ')} (dense 32, 32, 64, 64); stripped vs pruned tfjs ` +
            `max |diff| ${diff.toExponential(1)}`},
      {name: 'Stripped / dense latency, float32', value: us('stripped float32') / us('dense float32'), unit: 'x',
        note: 'below 1 means the stripped model is faster'},
      {name: 'CNN dense int8 inference', value: us('dense int8'), unit: 'us', note},
      {name: 'CNN 50% filters stripped, int8', value: us('stripped int8'), unit: 'us', note},
      {name: 'Stripped / dense latency, int8', value: us('stripped int8') / us('dense int8'), unit: 'x',
        note: 'below 1 means the stripped model is faster'},
    ];
  } finally {
    tf.dispose([xs, ys, ...calibration]);
    dense.dispose();
    pruned.dispose();
    stripped.dispose();
  }
}

export async function pruningBench(): Promise<BenchSection> {
  await tfmot.backend.init({backend: 'wasm'});
  const rows: BenchRow[] = [];
  for (const setting of OVERHEAD_SETTINGS) {
    rows.push(...await overheadRows(setting));
  }
  rows.push(...await structuredRows());
  return {
    title: 'Pruning',
    description:
        'Step overhead: the MNIST tutorial CNN (Conv2D 12 -> MaxPool -> Dense 10) trained with `fit()` and Adam ' +
        'on real digits, plain vs `pruneLowMagnitude` (PolynomialDecay 0.5 -> 0.8, frequency 100, and frequency 1: ' +
        'a mask update every step) with the `UpdatePruningStep` callback, wasm backend (Node). After a warm-up ' +
        'epoch each, plain and pruned epochs alternate in one process; a figure is the median over rounds of an ' +
        'epoch\'s wall time per step (including fit()\'s own per-batch work and, for pruning, the mask updates ' +
        'on the backend and re-masking after every batch). ' +
        'Structured pruning: a CNN on 32x32x3 input (Conv 32, Conv 32, MaxPool, Conv 64, Conv 64, ' +
        'GlobalAveragePooling, Dense 10; He-normal random weights) with `structure: \'filters\'` and ' +
        'ConstantSparsity(0.5) on the four convs, masks set by one training step at learning rate 0, then ' +
        '`stripPruning` (which removes the pruned filters); dense and stripped models converted to float32 ' +
        'and int8 (calibrated on 20 random inputs) and timed in LiteRT.js (XNNPACK on wasm) with 1 thread, ' +
        'rounds alternating between the four files.',
    rows,
  };
}
