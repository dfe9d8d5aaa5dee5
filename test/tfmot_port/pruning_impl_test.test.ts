/**
 * TFMOT's sparsity/keras/pruning_impl_test.py, ported. TFMOT drives its
 * Pruning object (conditional_mask_update, weight_mask_op) directly; here a
 * PruneLowMagnitude wrapper holds the same weights and `updatePruningStep`
 * (what UpdatePruningStep calls each batch) recomputes and applies the masks.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {updatePruningStep} from '../../src/pruning/mask_update.js';

const {sparsity} = tfmot;
type PruneParams = tfmot.sparsity.PruneParams;
type PruneLowMagnitude = tfmot.sparsity.PruneLowMagnitude;

/** A schedule that prunes at every step to `sparsityAt(step)`, like TFMOT's test lambdas. */
class StepSparsity extends sparsity.PruningSchedule {
  static className = 'TfmotPortStepSparsity';
  constructor(private readonly sparsityAt: (step: number) => number) {
    super();
  }
  call(step: number): tfmot.sparsity.PruningDecision {
    return {shouldPrune: true, sparsity: this.sparsityAt(step)};
  }
  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

/** TFMOT's setUp schedule: ConstantSparsity(0.5, 0, 100, 1). */
const constantHalf = () => new sparsity.ConstantSparsity({targetSparsity: 0.5, beginStep: 0, endStep: 100, frequency: 1});

/** A built wrapper around `layer` whose first prunable weight holds `values`. */
function wrapped(layer: tfl.layers.Layer, inputShape: number[], values: tf.Tensor, params: PruneParams):
    PruneLowMagnitude {
  const wrapper = sparsity.pruneLowMagnitude(layer, params);
  wrapper.apply(tfl.input({shape: inputShape}));
  wrapper.weightVariable(wrapper.weightSpecs[0]).write(values);
  values.dispose();
  return wrapper;
}

const maskOf = (w: PruneLowMagnitude) => Array.from(w.masks[0].read().dataSync());
const kernelOf = (w: PruneLowMagnitude) => Array.from(w.weightVariable(w.weightSpecs[0]).read().dataSync());
const nonZeros = (values: number[]) => values.filter((v) => v !== 0).length;
/** linspace(1, 100, 100) as a Dense kernel [100 inputs, 1 unit]. */
const linspace100 = () => tf.tensor2d(Array.from({length: 100}, (_, i) => i + 1), [100, 1]);
const dense = (units: number) => tfl.layers.dense({units, useBias: false});

beforeAll(async () => {
  await tfmot.backend.init();
});

describe('PruningTest (pruning_impl_test.py)', () => {
  it('testUpdateSingleMask', () => {
    const w = wrapped(dense(1), [100], linspace100(), {pruningSchedule: constantHalf()});
    expect(nonZeros(maskOf(w))).toBe(100);
    updatePruningStep([w], 0);
    expect(nonZeros(maskOf(w))).toBe(50);
  });

  it('testConstructsMaskAndThresholdCorrectly', () => {
    // TFMOT's sparsity carries float noise on purpose: 0.200000018.
    const w = wrapped(dense(1), [10], tf.tensor2d(Array.from({length: 10}, (_, i) => i + 1), [10, 1]),
        {pruningSchedule: new StepSparsity(() => 0.200000018)});
    updatePruningStep([w], 0);
    expect(w.thresholds[0].read().dataSync()[0]).toBe(3);
    expect(maskOf(w)).toEqual([0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  const blockCases: Array<[string, 'AVG'|'MAX', number[][]]> = [
    ['testBlockMaskingAvg', 'AVG',
      [[0.1, 0.1, 0.2, 0.2], [0.1, 0.1, 0.2, 0.2], [0.3, 0.3, 0.4, 0.4], [0.3, 0.3, 0.4, 0.4]]],
    ['testBlockMaskingMax', 'MAX',
      [[0.1, 0.0, 0.2, 0.0], [0.0, -0.1, 0.0, -0.2], [0.3, 0.0, 0.4, 0.0], [0.0, -0.3, 0.0, -0.4]]],
  ];
  for (const [name, blockPoolingType, weight] of blockCases) {
    it(name, () => {
      const w = wrapped(dense(4), [4], tf.tensor2d(weight),
          {pruningSchedule: constantHalf(), blockSize: [2, 2], blockPoolingType});
      updatePruningStep([w], 0);
      expect(w.masks[0].shape).toEqual([4, 4]);
      expect(maskOf(w)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
    });
  }

  it('testConditionalMaskUpdate', () => {
    const sparsities = [0.0, 0.1, 0.1, 0.3, 0.3, 0.5, 0.5, 0.5, 0.5, 0.5];
    const w = wrapped(dense(1), [100], linspace100(), {pruningSchedule: new StepSparsity((s) => sparsities[s])});
    const counts: number[] = [];
    for (let step = 0; step < 10; step++) {
      updatePruningStep([w], step);
      counts.push(nonZeros(kernelOf(w)));
    }
    // Pruned at steps 1, 3 and 5.
    expect(counts).toEqual([100, 90, 90, 70, 70, 50, 50, 50, 50, 50]);
  });
});

describe('deliberate differences from pruning_impl.py', () => {
  it('testBlockMaskingWithHigherDimensionsRaisesError: a 3-D kernel is blocked over its 2-D view instead', () => {
    // TFMOT's weight [1, 4, 4] is a Conv1D kernel [kernel 1, in 4, out 4]:
    // blocked over [1 * 4 inputs, 4 outputs], it gets the 2-D case's mask.
    const weight = [[[0.1, 0.1, 0.2, 0.2], [0.1, 0.1, 0.2, 0.2], [0.3, 0.3, 0.4, 0.4], [0.3, 0.3, 0.4, 0.4]]];
    const w = wrapped(tfl.layers.conv1d({filters: 4, kernelSize: 1, useBias: false}), [3, 4], tf.tensor3d(weight),
        {pruningSchedule: constantHalf(), blockSize: [2, 2]});
    updatePruningStep([w], 0);
    expect(maskOf(w)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('weights tied with the threshold: exactly max(round(N * (1 - s)), 1) kept, by position (TFMOT keeps every tie)', () => {
    const w = wrapped(dense(1), [4], tf.ones([4, 1]), {pruningSchedule: constantHalf()});
    updatePruningStep([w], 0);
    expect(maskOf(w)).toEqual([1, 1, 0, 0]);
  });

  it('sparsityMByN masks follow the schedule\'s pruning steps (TFMOT computes them once, at its step 1)', () => {
    const values = () => tf.tensor2d([[0.4], [0.1], [0.3], [0.2]]);
    const w = wrapped(dense(1), [4], values(), {sparsityMByN: [2, 4],
      pruningSchedule: new sparsity.ConstantSparsity({targetSparsity: 0.5, beginStep: 5, frequency: 1})});
    updatePruningStep([w], 1);
    expect(maskOf(w)).toEqual([1, 1, 1, 1]);
    updatePruningStep([w], 5);
    expect(maskOf(w)).toEqual([1, 0, 1, 0]);
  });
});
