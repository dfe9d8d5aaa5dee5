/**
 * Training-step ratios in the browser: the MNIST tutorial model trained
 * plain, with QAT, with pruning (a mask update every step) and with
 * clustering, in headless Chromium (Debian's, via test/helpers/browser.ts)
 * on the webgl backend (WebGL2 on SwiftShader, a CPU rasterizer: no GPU on
 * the bench machine) and on wasm. Models alternate in rounds (the order flips
 * each round); the table gives the median ms/step over rounds and each
 * wrapper's ratio to plain on the same backend.
 */
import {runInBrowser} from '../test/helpers/browser.js';
import type {BenchRow, BenchSection} from './report.js';
import {median} from './timing.js';

export interface BrowserTrainingSetting {
  batchSize: number;
  /** Steps per fit() epoch; each round times one epoch per model. */
  steps: number;
  rounds: number;
}

export const DEFAULT_SETTING: BrowserTrainingSetting = {batchSize: 32, steps: 10, rounds: 5};

const LABELS: Record<string, string> = {
  qat: 'QAT', pruning: 'Pruning (mask update every step)', clustering: 'Clustering (16 clusters)',
};

/** Runs the browser training bench on webgl and wasm. */
export async function browserTraining(setting = DEFAULT_SETTING): Promise<BenchSection> {
  const {value} = await runInBrowser<Record<string, Record<string, number[]>>>({
    entry: 'bench/browser/training_steps.ts',
    files: {'/params.json': {json: {backends: ['webgl', 'wasm'], ...setting}}},
  });
  const rows: BenchRow[] = [];
  const setup = `batch ${setting.batchSize}, median of ${setting.rounds} fit() epochs x ${setting.steps} steps`;
  for (const [backend, times] of Object.entries(value)) {
    const plain = median(times.plain);
    rows.push({name: `Chromium ${backend}: plain step`, value: plain, unit: 'ms/step', note: setup});
    for (const technique of ['qat', 'pruning', 'clustering']) {
      const ratios = times[technique].map((t, i) => t / times.plain[i]);
      rows.push({name: `Chromium ${backend}: ${LABELS[technique]} / plain`, value: median(times[technique]) / plain,
        unit: 'x', note: `${median(times[technique]).toFixed(1)} ms/step; per-round ratios ` +
            `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`});
    }
  }
  return {
    title: 'Training steps in the browser (Chromium, webgl and wasm)',
    description: 'The MNIST tutorial model trained in headless Chromium 156 (Debian) in the page: plain, after ' +
        'quantizeModel, after pruneLowMagnitude with a mask update every step (ConstantSparsity frequency 1 and ' +
        'UpdatePruningStep), and after clusterWeights (16 clusters). webgl is WebGL2 on SwiftShader (software ' +
        'rendering: the bench machine has no GPU), so its absolute times say little about a real GPU; the ratios ' +
        'show which wrappers add per-step work. Models alternate in rounds, the order flipping each round.',
    rows,
  };
}
