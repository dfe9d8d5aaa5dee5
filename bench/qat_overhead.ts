/**
 * QAT step-time overhead: the MNIST tutorial model trained plain and after
 * `quantizeModel`, on the same backend and the same batches.
 *
 * Plain and QAT steps alternate in rounds (the order flips each round), so
 * drift in machine speed hits both alike; each round gives one mean ms/step
 * per model, and the table reports the median over rounds.
 */
import * as tfmot from 'tfjs-model-optimization';

import type {BenchRow, BenchSection} from './report.js';
import {compileTutorial, disposeBatches, mnistBatches, median, timeSteps} from './timing.js';

/** The overhead we aim for: a QAT step at most this many times a plain one. */
export const QAT_OVERHEAD_GOAL = 1.2;

export interface QatOverheadSetting {
  batchSize: number;
  /** Timed steps per model per round. */
  steps: number;
  rounds: number;
  warmupSteps: number;
}

export const DEFAULT_SETTINGS: QatOverheadSetting[] = [
  {batchSize: 32, steps: 50, rounds: 9, warmupSteps: 20},
  {batchSize: 128, steps: 15, rounds: 9, warmupSteps: 8},
];

async function measure(setting: QatOverheadSetting): Promise<BenchRow[]> {
  const {batchSize, steps, rounds, warmupSteps} = setting;
  const batches = mnistBatches(batchSize, 8);
  const plain = tfmot.data.mnistTutorialModel({seed: 1});
  // quantizeModel copies plain's initial weights, so both start equal.
  const qat = tfmot.quantization.quantizeModel(plain);
  compileTutorial(plain);
  compileTutorial(qat);
  try {
    // Warm-up: kernel setup, optimizer slots, JIT.
    await timeSteps(plain, batches, warmupSteps);
    await timeSteps(qat, batches, warmupSteps);
    const plainMs: number[] = [];
    const qatMs: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      let p: number;
      let q: number;
      if (r % 2 === 0) {
        p = await timeSteps(plain, batches, steps);
        q = await timeSteps(qat, batches, steps);
      } else {
        q = await timeSteps(qat, batches, steps);
        p = await timeSteps(plain, batches, steps);
      }
      plainMs.push(p);
      qatMs.push(q);
      ratios.push(q / p);
    }
    const ratio = median(qatMs) / median(plainMs);
    const met = ratio <= QAT_OVERHEAD_GOAL;
    const setup = `batch ${batchSize}, median of ${rounds} rounds x ${steps} steps`;
    return [
      {name: `Plain step, batch ${batchSize}`, value: median(plainMs), unit: 'ms/step', note: setup},
      {name: `QAT step, batch ${batchSize}`, value: median(qatMs), unit: 'ms/step', note: setup},
      {
        name: `QAT / plain, batch ${batchSize}`,
        value: ratio,
        unit: 'x',
        note: `goal <= ${QAT_OVERHEAD_GOAL}x: ${met ? 'met' : 'NOT met'}; ` +
            `per-round ratios ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`,
      },
    ];
  } finally {
    plain.dispose();
    qat.dispose();
    disposeBatches(batches);
  }
}

/** Runs the QAT overhead benchmark on `backend` (default wasm). */
export async function qatOverhead(
    backend: tfmot.backend.BackendName = 'wasm',
    settings: QatOverheadSetting[] = DEFAULT_SETTINGS): Promise<BenchSection> {
  await tfmot.backend.init({backend});
  const rows: BenchRow[] = [];
  for (const setting of settings) {
    rows.push(...await measure(setting));
  }
  return {
    title: 'QAT training-step overhead',
    description:
        `The MNIST tutorial CNN (Conv2D 12 -> MaxPool -> Dense 10) trained with ` +
        `\`trainOnBatch\` and Adam, plain vs \`quantizeModel\`'d, on the ${backend} ` +
        `backend with the same real MNIST batches. After a warm-up, plain and QAT ` +
        `steps alternate in rounds; each figure is the median over rounds of the ` +
        `mean ms/step, and the ratio is QAT median / plain median.`,
    rows,
  };
}
