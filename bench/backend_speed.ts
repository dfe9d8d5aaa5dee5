/**
 * Training speed of the MNIST tutorial model on each backend that starts
 * here (wasm and cpu always; tensorflow when tfjs-node is installed).
 */
import * as tfmot from 'tfjs-model-optimization';

import type {BenchRow, BenchSection} from './report.js';
import {compileTutorial, disposeBatches, mnistBatches, median, timeSteps} from './timing.js';

const BATCH_SIZE = 32;

interface BackendPlan {
  backend: tfmot.backend.BackendName;
  steps: number;
  rounds: number;
  warmupSteps: number;
}

/** The cpu backend is ~40x slower than wasm on this model: fewer steps. */
export const DEFAULT_PLANS: BackendPlan[] = [
  {backend: 'tensorflow', steps: 40, rounds: 3, warmupSteps: 10},
  {backend: 'wasm', steps: 40, rounds: 3, warmupSteps: 10},
  {backend: 'cpu', steps: 5, rounds: 3, warmupSteps: 2},
];

/** Median ms/step on `plan.backend`, or null if that backend does not start. */
async function measure(plan: BackendPlan): Promise<number | null> {
  try {
    await tfmot.backend.init({backend: plan.backend});
  } catch {
    return null;
  }
  // Created after init, so data and weights live on this backend.
  const batches = mnistBatches(BATCH_SIZE, 8);
  const model = tfmot.data.mnistTutorialModel({seed: 1});
  compileTutorial(model);
  try {
    await timeSteps(model, batches, plan.warmupSteps);
    const ms: number[] = [];
    for (let r = 0; r < plan.rounds; r++) {
      ms.push(await timeSteps(model, batches, plan.steps));
    }
    return median(ms);
  } finally {
    model.dispose();
    disposeBatches(batches);
  }
}

export async function backendSpeed(plans: BackendPlan[] = DEFAULT_PLANS): Promise<BenchSection> {
  const rows: BenchRow[] = [];
  const measured = new Map<string, number>();
  for (const plan of plans) {
    const ms = await measure(plan);
    if (ms == null) {
      rows.push({
        name: `Train step on ${plan.backend}`,
        value: 'n/a',
        unit: 'ms/step',
        note: 'backend not available here',
      });
      continue;
    }
    measured.set(plan.backend, ms);
    rows.push({
      name: `Train step on ${plan.backend}`,
      value: ms,
      unit: 'ms/step',
      note: `batch ${BATCH_SIZE}, median of ${plan.rounds} rounds x ${plan.steps} steps`,
    });
  }
  const wasm = measured.get('wasm');
  const cpu = measured.get('cpu');
  if (wasm != null && cpu != null) {
    rows.push({name: 'cpu / wasm', value: cpu / wasm, unit: 'x', note: 'how many times faster wasm trains'});
  }
  const native = measured.get('tensorflow');
  if (native != null && wasm != null) {
    rows.push({name: 'wasm / tensorflow', value: wasm / native, unit: 'x', note: 'how many times faster tfjs-node trains'});
  }
  // Leave the default backend active for whatever runs next.
  await tfmot.backend.init();
  return {
    title: 'Training speed by backend',
    description:
        `The plain MNIST tutorial CNN, batch ${BATCH_SIZE}, \`trainOnBatch\` with Adam. ` +
        `The wasm backend runs with this library's gradient kernels ` +
        `(\`backend.registerWasmTrainingKernels\`), without which the CNN cannot ` +
        `train on wasm at all; the cpu backend uses tfjs's own kernels.`,
    rows,
  };
}
