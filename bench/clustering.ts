/**
 * Clustering step-time overhead: the MNIST tutorial model trained plain and
 * after `clusterWeights` (16 LINEAR clusters, TFMOT's tutorial setting), on
 * the same backend and the same batches.
 *
 * As in the QAT benchmark, plain and clustered steps alternate in rounds
 * (the order flips each round) so drift in machine speed hits both alike;
 * each round gives one mean ms/step per model and the table reports the
 * median over rounds.
 */
import * as tfmot from 'tfjs-model-optimization';

import type {BenchRow, BenchSection} from './report.js';
import {compileTutorial, disposeBatches, mnistBatches, median, timeSteps} from './timing.js';

/** The overhead we aim for: a clustered step at most this many times a plain one. */
export const CLUSTERING_OVERHEAD_GOAL = 1.3;

export const NUMBER_OF_CLUSTERS = 16;

export interface ClusteringBenchSetting {
  batchSize: number;
  /** Timed steps per model per round. */
  steps: number;
  rounds: number;
  warmupSteps: number;
}

export const DEFAULT_SETTINGS: ClusteringBenchSetting[] = [
  {batchSize: 32, steps: 50, rounds: 9, warmupSteps: 20},
  {batchSize: 128, steps: 15, rounds: 9, warmupSteps: 8},
];

async function measure(setting: ClusteringBenchSetting): Promise<BenchRow[]> {
  const {batchSize, steps, rounds, warmupSteps} = setting;
  const batches = mnistBatches(batchSize, 8);
  const plain = tfmot.data.mnistTutorialModel({seed: 1});
  // clusterWeights copies plain's initial weights, so both start equal.
  const clustered = tfmot.clustering.clusterWeights(plain,
      {numberOfClusters: NUMBER_OF_CLUSTERS, clusterCentroidsInit: 'LINEAR'});
  compileTutorial(plain);
  compileTutorial(clustered);
  try {
    // Warm-up: kernel setup, optimizer slots, JIT.
    await timeSteps(plain, batches, warmupSteps);
    await timeSteps(clustered, batches, warmupSteps);
    const plainMs: number[] = [];
    const clusteredMs: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      let p: number;
      let c: number;
      if (r % 2 === 0) {
        p = await timeSteps(plain, batches, steps);
        c = await timeSteps(clustered, batches, steps);
      } else {
        c = await timeSteps(clustered, batches, steps);
        p = await timeSteps(plain, batches, steps);
      }
      plainMs.push(p);
      clusteredMs.push(c);
      ratios.push(c / p);
    }
    const ratio = median(clusteredMs) / median(plainMs);
    const met = ratio <= CLUSTERING_OVERHEAD_GOAL;
    const setup = `batch ${batchSize}, median of ${rounds} rounds x ${steps} steps`;
    return [
      {name: `Plain step, batch ${batchSize}`, value: median(plainMs), unit: 'ms/step', note: setup},
      {name: `Clustered step (${NUMBER_OF_CLUSTERS} clusters), batch ${batchSize}`, value: median(clusteredMs),
        unit: 'ms/step', note: setup},
      {
        name: `Clustered / plain, batch ${batchSize}`,
        value: ratio,
        unit: 'x',
        note: `goal <= ${CLUSTERING_OVERHEAD_GOAL}x: ${met ? 'met' : 'NOT met'}; ` +
            `per-round ratios ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`,
      },
    ];
  } finally {
    plain.dispose();
    clustered.dispose();
    disposeBatches(batches);
  }
}

/** Runs the clustering overhead benchmark on `backend` (default wasm). */
export async function clusteringOverhead(
    backend: tfmot.backend.BackendName = 'wasm',
    settings: ClusteringBenchSetting[] = DEFAULT_SETTINGS): Promise<BenchSection> {
  await tfmot.backend.init({backend});
  const rows: BenchRow[] = [];
  for (const setting of settings) {
    rows.push(...await measure(setting));
  }
  return {
    title: 'Clustering training-step overhead',
    description:
        `The MNIST tutorial CNN (Conv2D 12 -> MaxPool -> Dense 10) trained with ` +
        `\`trainOnBatch\` and Adam, plain vs \`clusterWeights\`'d (${NUMBER_OF_CLUSTERS} ` +
        `LINEAR clusters per kernel; nearest-centroid assignment on every step), on the ` +
        `${backend} backend with the same real MNIST batches. After a warm-up, plain and ` +
        `clustered steps alternate in rounds; each figure is the median over rounds of the ` +
        `mean ms/step, and the ratio is clustered median / plain median.`,
    rows,
  };
}
