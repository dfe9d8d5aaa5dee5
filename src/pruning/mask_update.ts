/**
 * The per-step work of pruning: set each wrapper's step and, on schedule
 * steps, recompute its masks from the current weights (per layer, or over all
 * 'global' wrappers at once) and write the masked weights. Everything runs
 * as tensor ops on the backend (device_masks.ts): no weight is read back.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {ValueError} from '../errors.js';
import {deviceMasks, deviceMByNMask, keptThreshold} from './device_masks.js';
import {PruneLowMagnitude} from './prune_wrapper.js';

/** The pruning wrappers among a model's layers. */
export function pruningWrappers(model: tfl.LayersModel): PruneLowMagnitude[] {
  return model.layers.filter((l): l is PruneLowMagnitude => l instanceof PruneLowMagnitude);
}

/**
 * The step stored in the wrappers (-1 if never trained), read from their
 * variables in one read (once per fit(), at train begin).
 */
export function storedStep(wrappers: PruneLowMagnitude[]): number {
  const steps = wrappers.map((w) => w.pruningStep).filter((v): v is tfl.LayerVariable => v != null);
  if (steps.length === 0) {
    return -1;
  }
  const step = tf.tidy(() => tf.max(tf.stack(steps.map((v) => v.read()))).dataSync()[0]);
  wrappers.forEach((w) => w.noteStep(step));
  return step;
}

interface WeightRef {
  wrapper: PruneLowMagnitude;
  index: number;
}

const weightRefs = (wrapper: PruneLowMagnitude): WeightRef[] =>
  wrapper.weightSpecs.map((_, index) => ({wrapper, index}));

/** New masks (and thresholds) for a group of weights pruned together at `sparsity`. */
function updateGroup(refs: WeightRef[], sparsity: number, global: boolean): void {
  tf.tidy(() => {
    const structure = refs[0].wrapper.maskStructure();
    const values = refs.map(({wrapper, index}) => wrapper.weightVariable(wrapper.weightSpecs[index]).read());
    const masks = structure.mByN != null ?
      refs.map(({wrapper, index}, i) => {
        const mask = deviceMByNMask(values[i], wrapper.weightSpecs[index].inputAxis, structure.mByN!);
        return {mask, threshold: keptThreshold(values[i], mask)};
      }) :
      deviceMasks(refs.map(({wrapper, index}, i) =>
        ({value: values[i], outputAxis: wrapper.weightSpecs[index].outputAxis})), structure, sparsity, global);
    refs.forEach(({wrapper, index}, i) => {
      wrapper.masks[index].write(masks[i].mask);
      wrapper.thresholds[index].write(masks[i].threshold);
    });
  });
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
 * recomputes its masks and masks its weights. Reads nothing back: the step
 * is the caller's count, the masks are tensor ops.
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
      w.noteStep(step);
    }
  });
}
