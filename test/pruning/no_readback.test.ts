/**
 * Pruning with a mask update every step reads nothing back per step: the
 * masks are tensor ops (device_masks.ts) and the step is the callback's own
 * count. Reads are counted on the engine (any dataSync/data() in the step)
 * and on the backend (which also sees reads inside kernels).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterEach, beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {AfterEachBatch, countReads, perBatch, ReadCounter} from '../helpers/read_counter.js';
import {seeded} from '../helpers/models.js';

const {sparsity} = tfmot;

/** Conv2D 4 (3x3) -> Flatten -> Dense 10 on [8, 8, 1]. */
function convNet(): tfl.LayersModel {
  return tfl.sequential({layers: [
    tfl.layers.conv2d({inputShape: [8, 8, 1], filters: 4, kernelSize: 3, kernelInitializer: seeded(1), name: 'conv'}),
    tfl.layers.flatten(),
    tfl.layers.dense({units: 10, kernelInitializer: seeded(2), name: 'dense'}),
  ]});
}

const everyStep = () => new sparsity.ConstantSparsity({targetSparsity: 0.5, beginStep: 0, frequency: 1});

const BATCHES = 6;

let counter: ReadCounter|null = null;
afterEach(() => {
  counter?.restore();
  counter = null;
});

/** Engine and backend reads in each batch of one fit() epoch after the first batch. */
async function readsPerBatch(model: tfl.LayersModel, callbacks: tfl.Callback[]): Promise<{engine: number[],
    backend: number[]}> {
  const xs = tf.randomUniform([BATCHES * 4, 8, 8, 1], 0, 1, 'float32', 1);
  const ys = tf.oneHot(tf.tensor1d(Array.from({length: BATCHES * 4}, (_, i) => i % 10), 'int32'), 10);
  model.compile({optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy'});
  const engine: number[] = [];
  const backend: number[] = [];
  counter = countReads();
  const c = counter;
  const record = new AfterEachBatch(() => {
    engine.push(c.engine);
    backend.push(c.backend);
  });
  await model.fit(xs, ys, {epochs: 1, batchSize: 4, shuffle: false, verbose: 0, callbacks: [...callbacks, record]});
  c.restore();
  tf.dispose([xs, ys]);
  return {engine: perBatch(engine), backend: perBatch(backend)};
}

/** A deliberate per-step readback, to show the count catches one. */
class ReadsWeights extends tfl.Callback {
  override async onBatchBegin(): Promise<void> {
    (this.model as tfl.LayersModel).getWeights()[0].dataSync();
  }
}

beforeAll(async () => {
  await tfmot.backend.init();
});

describe('a pruning step with a mask update every step', () => {
  const cases: Array<[string, tfmot.sparsity.PruneParams]> = [
    ['unstructured', {}],
    ['blocks 2x2 MAX', {blockSize: [2, 2], blockPoolingType: 'MAX'}],
    ['filters', {structure: 'filters'}],
    ['global', {scope: 'global'}],
    ['2:4', {sparsityMByN: [2, 4]}],
  ];
  for (const [name, params] of cases) {
    it(`${name}: no tensor read after the first batch`, async () => {
      const model = sparsity.pruneLowMagnitude(convNet(), {pruningSchedule: everyStep(), ...params});
      const {engine} = await readsPerBatch(model, [new sparsity.UpdatePruningStep()]);
      expect(engine).toEqual(new Array(BATCHES - 1).fill(0));
      // The masks were applied: about half of the pruned weights are zero
      // (less where blocks or short 2:4 groups keep more).
      const pruned = sparsity.getSparsity(model).layers.filter((l) => l.layer.startsWith('prune_low_magnitude_'));
      const zeros = pruned.reduce((n, l) => n + l.zeros, 0) / pruned.reduce((n, l) => n + l.total, 0);
      expect(zeros).toBeGreaterThan(0.4);
      expect(zeros).toBeLessThanOrEqual(0.5);
      model.dispose();
    });
  }

  it('adds no backend read either: per batch, as many as the plain model\'s fit() makes', async () => {
    const plain = convNet();
    const pruned = sparsity.pruneLowMagnitude(convNet(), {pruningSchedule: everyStep()});
    const plainReads = await readsPerBatch(plain, []);
    const prunedReads = await readsPerBatch(pruned, [new sparsity.UpdatePruningStep()]);
    expect(prunedReads.backend).toEqual(plainReads.backend);
    plain.dispose();
    pruned.dispose();
  });

  it('the count sees a readback in the step (the assertions above can fail)', async () => {
    const model = sparsity.pruneLowMagnitude(convNet(), {pruningSchedule: everyStep()});
    const {engine, backend} = await readsPerBatch(model, [new sparsity.UpdatePruningStep(), new ReadsWeights()]);
    expect(engine).toEqual(new Array(BATCHES - 1).fill(1));
    expect(Math.min(...backend)).toBeGreaterThanOrEqual(1);
    model.dispose();
  });
});
