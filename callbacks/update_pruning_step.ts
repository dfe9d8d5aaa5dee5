/**
 * UpdatePruningStep: the fit() callback that drives pruning (TFMOT's
 * callback of the same name). Each batch it advances the step, lets the
 * schedule update masks, and after the optimizer's update writes w * mask
 * back so pruned weights stay exactly zero.
 */
import * as tfl from '@tensorflow/tfjs-layers';

import {describeValue, ValueError} from '../src/errors.js';
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

  /**
   * Takes no arguments, as in TFMOT.
   *
   * @throws ValueError if one is given (e.g. a Keras-style `{log_dir}`,
   *     which belongs to PruningSummaries), rather than ignoring it.
   */
  constructor(...args: never[]) {
    super();
    if (args.some((a) => a !== undefined)) {
      throw new ValueError(`UpdatePruningStep takes no arguments; received ${describeValue(args[0])}. ` +
          'Log sparsity with PruningSummaries({logDir}).');
    }
  }

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
