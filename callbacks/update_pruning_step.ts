/**
 * UpdatePruningStep: the fit() callback that drives pruning (TFMOT's
 * callback of the same name). Each batch it advances the step, lets the
 * schedule update masks, and after the optimizer's update writes w * mask
 * back so pruned weights stay exactly zero.
 */
import * as tfl from '@tensorflow/tfjs-layers';

import {pruningWrappers, storedStep, updatePruningStep} from '../src/pruning/mask_update.js';
import {PruneLowMagnitude} from '../src/pruning/prune_wrapper.js';

/**
 * Add to `fit` when training a model with pruning wrappers.
 *
 * ```ts
 * await pruned.fit(xs, ys, {epochs: 2, callbacks: [new tfmot.sparsity.UpdatePruningStep()]});
 * ```
 */
export class UpdatePruningStep extends tfl.Callback {
  private wrappers: PruneLowMagnitude[] = [];
  private step = -1;

  /** Finds the model's pruning wrappers and resumes from their stored step. */
  override async onTrainBegin(): Promise<void> {
    this.wrappers = pruningWrappers(this.model as tfl.LayersModel);
    this.step = storedStep(this.wrappers);
  }

  /** Advances the step; wrappers whose schedule says so recompute their masks. */
  override async onBatchBegin(): Promise<void> {
    this.step++;
    updatePruningStep(this.wrappers, this.step);
  }

  /** Re-applies the masks, since the optimizer step may have moved pruned weights off zero. */
  override async onBatchEnd(): Promise<void> {
    for (const w of this.wrappers) {
      w.applyMasks();
    }
  }
}
