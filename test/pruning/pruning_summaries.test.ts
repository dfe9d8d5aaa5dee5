/** PruningSummaries writes per-layer sparsity and threshold scalars TensorBoard can read. */
import {mkdtemp, readdir, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {decodeEvent, readRecords} from '../summary/read_events.js';

describe('PruningSummaries', () => {
  beforeAll(async () => {
    await tfmot.backend.init();
  });

  it('logs sparsity and threshold per pruned weight at the pruning step', async () => {
    const logDir = await mkdtemp(join(tmpdir(), 'prune-logs-'));
    try {
      const {train} = tfmot.data.loadMnist({numTrain: 256, numTest: 0, seed: 2});
      const labels = tfmot.data.oneHotLabels(train.ys);
      const pruned = tfmot.sparsity.pruneLowMagnitude(tfmot.data.mnistTutorialModel({seed: 2}), {
        pruningSchedule: new tfmot.sparsity.PolynomialDecay(
            {initialSparsity: 0.3, finalSparsity: 0.6, beginStep: 0, endStep: 12, frequency: 4}),
      });
      pruned.compile({optimizer: 'adam', loss: tfmot.data.categoricalCrossentropyFromLogits});
      await pruned.fit(train.xs, labels, {epochs: 2, batchSize: 32, verbose: 0, callbacks: [
        new tfmot.sparsity.UpdatePruningStep(),
        new tfmot.sparsity.PruningSummaries({logDir, updateFreq: 4}),
      ]});
      const files = await readdir(logDir);
      expect(files.length).toBe(1);
      expect(files[0]).toMatch(/^events\.out\.tfevents\./);
      const events = readRecords(new Uint8Array(await readFile(join(logDir, files[0])))).map(decodeEvent);
      const scalars = events.flatMap((e) => (e.values ?? []).map((v) => ({...v, step: e.step})));
      const dense = scalars.filter((s) => s.tag === 'dense_Dense1/kernel/sparsity');
      // Every 4 batches plus each epoch end; 8 batches per epoch, steps 0..15.
      expect(dense.map((s) => s.step)).toEqual([3, 7, 7, 11, 15, 15]);
      expect(dense[dense.length - 1].simpleValue).toBeCloseTo(0.6, 3);
      expect(scalars.some((s) => s.tag === 'conv2d_Conv2D1/kernel/threshold' && s.simpleValue > 0)).toBe(true);
      tf.dispose([train.xs, train.ys, labels]);
    } finally {
      await rm(logDir, {recursive: true, force: true});
    }
  });

  it('rejects a missing logDir and a bad updateFreq', () => {
    expect(() => new tfmot.sparsity.PruningSummaries({logDir: ''})).toThrow(/logDir/);
    expect(() => new tfmot.sparsity.PruningSummaries({logDir: '/tmp/x', updateFreq: 0})).toThrow(/updateFreq/);
  });
});
