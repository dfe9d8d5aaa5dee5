/**
 * The per-step work of pruning: set each wrapper's step and, on schedule
 * steps, recompute its masks from the current weights (per layer, or over all
 * 'global' wrappers at once) and write the masked weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {ValueError} from '../errors.js';
import {expandMask, makeUnits, mByNMask, selectUnits, Units} from './masks.js';
import {PruneLowMagnitude} from './prune_wrapper.js';

/** The pruning wrappers among a model's layers. */
export function pruningWrappers(model: tfl.LayersModel): PruneLowMagnitude[] {
  return model.layers.filter((l): l is PruneLowMagnitude => l instanceof PruneLowMagnitude);
}

/** The step stored in the wrappers (-1 if never trained). */
export function storedStep(wrappers: PruneLowMagnitude[]): number {
  return wrappers.reduce((s, w) => Math.max(s, w.pruningStep?.read().dataSync()[0] ?? -1), -1);
}

interface WeightRef {
  wrapper: PruneLowMagnitude;
  index: number;
  values: Float32Array;
  shape: number[];
}

function weightRefs(wrapper: PruneLowMagnitude): WeightRef[] {
  return wrapper.weightSpecs.map((spec, index) => {
    const v = wrapper.weightVariable(spec);
    return {wrapper, index, values: v.read().dataSync() as Float32Array, shape: v.shape as number[]};
  });
}

function writeMask(ref: WeightRef, mask: Float32Array): void {
  const {wrapper, index, values} = ref;
  let threshold = Infinity;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 1) {
      threshold = Math.min(threshold, Math.abs(values[i]));
    }
  }
  tf.tidy(() => {
    wrapper.masks[index].write(tf.tensor(mask, ref.shape));
    wrapper.thresholds[index].write(tf.scalar(Number.isFinite(threshold) ? threshold : 0));
  });
}

/** New masks for a group of weights pruned together at `sparsity`. */
function updateGroup(refs: WeightRef[], sparsity: number, global: boolean): void {
  const wrapper = refs[0].wrapper;
  const structure = wrapper.maskStructure();
  if (structure.mByN != null) {
    for (const ref of refs) {
      const spec = ref.wrapper.weightSpecs[ref.index];
      writeMask(ref, mByNMask(ref.values, ref.shape, spec.inputAxis, structure.mByN));
    }
    return;
  }
  const units: Units[] = refs.map((ref) => makeUnits(ref.values, ref.shape,
      ref.wrapper.weightSpecs[ref.index].outputAxis, ref.wrapper.maskStructure()));
  const keeps = selectUnits(units, sparsity, global && structure.structure === 'filters');
  refs.forEach((ref, i) => writeMask(ref, expandMask(units[i], keeps[i])));
}

function sameSchedule(wrappers: PruneLowMagnitude[]): void {
  const configs = wrappers.map((w) => JSON.stringify([w.params.pruningSchedule.getClassName(),
    w.params.pruningSchedule.getConfig(), w.maskStructure()]));
  if (new Set(configs).size > 1) {
    throw new ValueError(
        `Layers pruned with scope 'global' must share one pruning schedule and structure; ` +
        `found ${[...new Set(configs)].join(' vs ')}.`);
  }
}

/**
 * Sets every wrapper's step to `step` and, where its schedule says so,
 * recomputes its masks and masks its weights.
 */
export function updatePruningStep(wrappers: PruneLowMagnitude[], step: number): void {
  const global = wrappers.filter((w) => w.params.scope === 'global');
  const groups: Array<{members: PruneLowMagnitude[], global: boolean}> =
      wrappers.filter((w) => w.params.scope !== 'global').map((w) => ({members: [w], global: false}));
  if (global.length > 0) {
    sameSchedule(global);
    groups.push({members: global, global: true});
  }
  for (const group of groups) {
    const {shouldPrune, sparsity} = group.members[0].params.pruningSchedule.call(step);
    if (shouldPrune) {
      const refs = group.members.flatMap(weightRefs);
      // Scope 'layer': each weight to the target on its own, as TFMOT prunes
      // (an LSTM's kernel and recurrent kernel alike), not the layer's weights pooled.
      for (const members of group.global ? [refs] : refs.map((ref) => [ref])) {
        updateGroup(members, sparsity, group.global);
      }
      group.members.forEach((w) => w.applyMasks());
    }
  }
  tf.tidy(() => {
    for (const w of wrappers) {
      w.pruningStep!.write(tf.scalar(step));
    }
  });
}
