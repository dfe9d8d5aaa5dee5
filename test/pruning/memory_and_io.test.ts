/**
 * Pruned models neither leak tensors during fit nor lose state when saved:
 * after save/load (in memory and with tfmot.io.fileSystem) predictions,
 * masks, thresholds, the pruning step and every pruning option are back,
 * and training continues from the stored step.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {dataset, predictValues, seeded} from '../helpers/models.js';
import {useRoundtrips} from '../helpers/save_load.js';
import {compileAdam, filterPrunedConvNet, fitPruned, wrappersOf} from './helpers.js';

const {sparsity} = tfmot;

const roundtrips = useRoundtrips('tfmot-prune-');
let vectors: {xs: tf.Tensor, ys: tf.Tensor};
let images: {xs: tf.Tensor, ys: tf.Tensor};

beforeAll(async () => {
  await tfmot.backend.init();
  vectors = dataset(64, [16], 4, 5);
  images = dataset(32, [8, 8, 3], 10, 6);
});

afterAll(() => {
  tf.dispose([vectors.xs, vectors.ys, images.xs, images.ys]);
});

const decay = (endStep: number) => new sparsity.PolynomialDecay(
    {initialSparsity: 0.3, finalSparsity: 0.7, beginStep: 0, endStep, frequency: 2});

/** Dense 16 -> 24 (block [2, 2]) -> Dense 4 (2:4), one wrapper each. */
function mlp(): tfl.LayersModel {
  return tfl.sequential({layers: [
    sparsity.pruneLowMagnitude(tfl.layers.dense({inputShape: [16], units: 24, activation: 'relu',
      kernelInitializer: seeded(1), name: 'd1'}), {pruningSchedule: decay(12), blockSize: [2, 2], blockPoolingType: 'MAX'}),
    sparsity.pruneLowMagnitude(tfl.layers.dense({units: 4, activation: 'softmax', kernelInitializer: seeded(2),
      name: 'd2'}), {pruningSchedule: decay(12), sparsityMByN: [2, 4]}),
  ]});
}

describe('memory', () => {
  /** numTensors at the end of each epoch of a pruning fit. */
  async function tensorsPerEpoch(model: tfl.LayersModel, data: {xs: tf.Tensor, ys: tf.Tensor}): Promise<number[]> {
    const counts: number[] = [];
    await fitPruned(model, data.xs, data.ys, {epochs: 3, batchSize: 8,
      extra: {onEpochEnd: async () => {
        counts.push(tf.memory().numTensors);
      }}});
    return counts;
  }

  it('unstructured, block and 2:4 pruning: numTensors after epoch 3 equals epoch 1', async () => {
    const model = mlp();
    compileAdam(model);
    const counts = await tensorsPerEpoch(model, vectors);
    expect(counts[2]).toBe(counts[0]);
    expect(counts[1]).toBe(counts[0]);
  });

  it('global filter pruning with BatchNorm: numTensors after epoch 3 equals epoch 1', async () => {
    const model = filterPrunedConvNet('flatten', {structure: 'filters', scope: 'global', pruningSchedule: decay(8)});
    compileAdam(model);
    const counts = await tensorsPerEpoch(model, images);
    expect(counts[2]).toBe(counts[0]);
  });

  it('stripPruning and getSparsity leave no tensors behind', async () => {
    const model = filterPrunedConvNet('gap', {structure: 'filters', pruningSchedule: decay(4)});
    compileAdam(model);
    await fitPruned(model, images.xs, images.ys, {epochs: 1, batchSize: 8});
    const stripped = sparsity.stripPruning(model);  // warm-up: kernels, name scopes
    stripped.dispose();
    const before = tf.memory().numTensors;
    const again = sparsity.stripPruning(model);
    sparsity.getSparsity(model);
    sparsity.getSparsity(again);
    const owned = again.weights.length;
    expect(tf.memory().numTensors).toBe(before + owned);
    again.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** Every wrapper's masks, thresholds, step and options, by wrapper name. */
function pruningState(model: tfl.LayersModel) {
  return wrappersOf(model).map((w) => ({
    name: w.name,
    inner: w.layer.getClassName(),
    masks: w.masks.map((m) => Array.from(m.read().dataSync())),
    thresholds: w.thresholds.map((t) => t.read().dataSync()[0]),
    step: w.pruningStep!.read().dataSync()[0],
    config: w.getConfig(),
  }));
}

for (const [how, roundtrip] of roundtrips) {
  describe(`save and load (${how})`, () => {
    it('restores predictions, masks, thresholds, the step and every option', async () => {
      const model = mlp();
      compileAdam(model);
      await fitPruned(model, vectors.xs, vectors.ys, {epochs: 1, batchSize: 8});
      const loaded = await roundtrip(model, `mlp-${how}`);
      expect(loaded.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.getClassName()));
      expect(predictValues(loaded, vectors.xs)).toEqual(predictValues(model, vectors.xs));
      const state = pruningState(model);
      expect(state.map((s) => s.step)).toEqual([7, 7]);
      expect(pruningState(loaded)).toEqual(state);
      const [d1, d2] = wrappersOf(loaded);
      expect(d1.params).toMatchObject({blockSize: [2, 2], blockPoolingType: 'MAX', scope: 'layer', structure: 'unstructured'});
      expect(d2.params.sparsityMByN).toEqual([2, 4]);
      expect(d1.params.pruningSchedule).toBeInstanceOf(sparsity.PolynomialDecay);
      expect(d1.params.pruningSchedule.getConfig()).toEqual(decay(12).getConfig());
    });

    it('training continues after load from the stored step', async () => {
      const model = mlp();
      compileAdam(model);
      await fitPruned(model, vectors.xs, vectors.ys, {epochs: 1, batchSize: 8});  // steps 0..7
      const loaded = await roundtrip(model, `resume-${how}`);
      compileAdam(loaded);
      const steps: number[] = [];
      await fitPruned(loaded, vectors.xs, vectors.ys, {epochs: 1, batchSize: 8, extra: {
        onBatchBegin: async () => {
          steps.push(wrappersOf(loaded)[0].pruningStep!.read().dataSync()[0]);
        },
      }});
      // The step callback ran first in each batch: 8, 9, ..., 15.
      expect(steps).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
      // The schedule went on from where it was: final sparsity at step 12.
      const report = sparsity.getSparsity(loaded);
      expect(report.layers[0].sparsity).toBeCloseTo(1 - Math.round(96 * 0.3) / 96, 6);  // 96 blocks of 2x2
      expect(report.layers[1].sparsity).toBe(0.5);
    });

    it('global filter pruning round-trips and strips the same way after load', async () => {
      const model = filterPrunedConvNet('flatten', {structure: 'filters', scope: 'global', pruningSchedule: decay(4)});
      compileAdam(model);
      await fitPruned(model, images.xs, images.ys, {epochs: 2, batchSize: 8});
      const loaded = await roundtrip(model, `filters-${how}`);
      expect(pruningState(loaded)).toEqual(pruningState(model));
      expect(wrappersOf(loaded).map((w) => w.params.scope)).toEqual(['global', 'global']);
      const a = sparsity.stripPruning(model);
      const b = sparsity.stripPruning(loaded);
      expect(b.layers.map((l) => l.getConfig()['filters'] ?? null)).toEqual(
          a.layers.map((l) => l.getConfig()['filters'] ?? null));
      expect(predictValues(b, images.xs)).toEqual(predictValues(a, images.xs));
    });
  });
}

describe('config round trip', () => {
  it('fromConfig(getConfig()) rebuilds the same wrapper and leaves the config untouched', () => {
    const wrapper = sparsity.pruneLowMagnitude(tfl.layers.conv2d({filters: 8, kernelSize: 3, name: 'c'}), {
      pruningSchedule: new sparsity.ConstantSparsity({targetSparsity: 0.4, beginStep: 3, endStep: 50, frequency: 7}),
      structure: 'filters', scope: 'global',
    });
    const config = wrapper.getConfig();
    const frozen = JSON.stringify(config);
    const copy = sparsity.PruneLowMagnitude.fromConfig(sparsity.PruneLowMagnitude, config) as tfmot.sparsity.PruneLowMagnitude;
    expect(JSON.stringify(config)).toBe(frozen);
    expect(copy.getConfig()).toEqual(config);
    expect(copy.layer.getConfig()).toEqual(wrapper.layer.getConfig());
  });
});
