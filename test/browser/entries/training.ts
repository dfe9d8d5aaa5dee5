// Trains every wrapper a few steps in Chromium on webgl and on wasm (training_steps.ts) and returns the losses.
import * as tf from '@tensorflow/tfjs-core';

import {init} from '../../../src/backend/index.js';
import {fetchJson, runInPage} from '../../helpers/browser_entry.js';
import {TECHNIQUES, trainSteps} from './training_steps.js';
import type {StepsResult} from './training_steps.js';

runInPage(async () => {
  const {backends} = await fetchJson<{backends: Array<'webgl'|'wasm'>}>('/params.json');
  const results: Record<string, Record<string, StepsResult>> = {};
  for (const backend of backends) {
    await init({backend, wasmPaths: '/tfjs-wasm/'});
    results[backend] = {};
    // Once untimed and uncounted: tfjs-layers keeps a few tensors alive after the first fit (cached scalars).
    await trainSteps('plain');
    for (const technique of Object.keys(TECHNIQUES)) {
      const before = tf.memory().numTensors;
      results[backend][technique] = await trainSteps(technique);
      if (tf.memory().numTensors !== before) {
        throw new Error(`${technique} on ${backend} leaked ${tf.memory().numTensors - before} tensors`);
      }
    }
  }
  return results;
});
