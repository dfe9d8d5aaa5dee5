/**
 * Smoke test of the model zoo in the normal suite (the MLPerf Tiny
 * architectures and small models of examples/zoo): two light models through QAT and int8
 * export in LiteRT, against the issue's goals, and the int8 file's byte
 * accounting. zoo.e2e.test.ts (`npm run test:e2e`) runs every model in every
 * mode with pruning and clustering.
 */
import {beforeAll, describe, expect, it} from 'vitest';

import {formatAccounting} from '../../examples/zoo/accounting.js';
import {ZOO} from '../../examples/zoo/models.js';
import * as tfmot from '../../src/index.js';
import {expectGoals} from './zoo_expect.js';
import {formatRun, runZooModel} from './zoo_run.js';

describe('model zoo (smoke)', () => {
  beforeAll(async () => {
    await tfmot.backend.init();
  });

  it('every model builds with its reference shapes and seeded weights', () => {
    for (const entry of Object.values(ZOO)) {
      const a = entry.build(3);
      const b = entry.build(3);
      expect(a.inputs[0].shape.slice(1), entry.name).toEqual(entry.inputShape);
      expect(a.outputs[0].shape.slice(1), entry.name).toEqual(entry.outputShape);
      expect(a.inputs[0].dtype, entry.name).toBe(entry.inputDtype ?? 'float32');
      const wa = a.getWeights().map((w) => Array.from(w.dataSync()).join());
      expect(b.getWeights().map((w) => Array.from(w.dataSync()).join()), entry.name).toEqual(wa);
      a.dispose();
      b.dispose();
    }
  });

  it('1-D sensor CNN: post-training int8 and QAT int8 in LiteRT', async () => {
    // Trained until decisive (100% on the probe), so the argmax goal is judged on clear margins.
    const run = await runZooModel(ZOO.sensor_cnn, {numTrain: 128, epochs: 3, numProbe: 100, batchSize: 16,
      modes: ['int8'], pruneAndCluster: false});
    console.log(`${formatRun(run)}\n  int8 ${formatAccounting(run.accounting.int8)}`);
    expect(run.floatAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(expectGoals(run)).toBe(true);
  });

  it('Dense autoencoder: float32, int8 and QAT int8 in LiteRT', async () => {
    const run = await runZooModel(ZOO.dense_autoencoder, {numTrain: 64, epochs: 1, numProbe: 32, batchSize: 16,
      modes: ['float32', 'int8'], pruneAndCluster: false});
    console.log(`${formatRun(run)}\n  int8 ${formatAccounting(run.accounting.int8)}`);
    expect(expectGoals(run)).toBe(true);
  });
});
