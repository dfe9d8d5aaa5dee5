/**
 * Every wrapper trains in real Chromium (test/helpers/browser.ts) on the
 * webgl backend (WebGL2 on SwiftShader) and on the wasm backend with this
 * library's kernels: QAT, pruning with a mask update every step, clustering,
 * PQAT and CQAT, a few SGD steps each on a seeded conv + dense model, with
 * the same code (entries/training_steps.ts) run here in Node as reference.
 *
 * Tolerances: the browser's wasm backend runs the same wasm binaries and
 * kernels as Node's, so its losses must equal Node's exactly. webgl computes
 * in float32 shaders with other summation orders and its own exp/log; over
 * 4 steps its losses stay within 2e-7 relative of Node's (measured), so 1e-5
 * leaves 50x margin while a wrong kernel or a missing gradient (a loss that
 * does not move, or moves differently) is off by far more than 1e-3.
 */
import {beforeAll, describe, expect, it} from 'vitest';

import {init} from '../../src/backend/index.js';
import {runInBrowser} from '../helpers/browser.js';
import {STEPS, TECHNIQUES, trainSteps} from './entries/training_steps.js';
import type {StepsResult} from './entries/training_steps.js';

const TECHNIQUE_NAMES = Object.keys(TECHNIQUES);

describe('every wrapper trains in Chromium on webgl and wasm', () => {
  const node: Record<string, StepsResult> = {};
  let browser: Record<'webgl'|'wasm', Record<string, StepsResult>>;

  beforeAll(async () => {
    await init({backend: 'wasm'});
    for (const technique of TECHNIQUE_NAMES) {
      node[technique] = await trainSteps(technique);
    }
    browser = (await runInBrowser<typeof browser>({entry: 'test/browser/entries/training.ts',
      files: {'/params.json': {json: {backends: ['webgl', 'wasm']}}}})).value;
  });

  for (const technique of TECHNIQUE_NAMES) {
    it(`${technique}: finite losses, equal to Node's on wasm and within 1e-5 on webgl`, () => {
      const reference = node[technique];
      expect(reference.losses).toHaveLength(STEPS);
      expect(reference.losses.every(Number.isFinite)).toBe(true);
      // Training moved the loss: the steps did something.
      expect(new Set(reference.losses).size).toBe(STEPS);
      expect(browser.wasm[technique]).toEqual(reference);
      const webgl = browser.webgl[technique];
      expect(webgl.finite).toBe(true);
      webgl.losses.forEach((loss, i) =>
        expect(Math.abs(loss - reference.losses[i]) / reference.losses[i], `step ${i}`).toBeLessThan(1e-5));
      // What the technique guarantees holds on webgl too.
      expect(webgl.convZeros).toBe(reference.convZeros);
      expect(webgl.convDistinct).toBe(reference.convDistinct);
    });
  }

  it('pruning zeroes half of the conv kernel and CQAT keeps its 4 clusters, in both browsers', () => {
    for (const backend of ['webgl', 'wasm'] as const) {
      expect(browser[backend].pruning.convZeros).toBe(0.5);
      expect(browser[backend].pqat.convZeros).toBe(0.5);
      expect(browser[backend].cqat.convDistinct).toBe(4);
    }
  });
});
