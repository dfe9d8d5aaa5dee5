/**
 * PruningSummaries: TensorBoard scalars of each pruned weight's sparsity and
 * threshold over training steps (TFMOT's callback of the same name). View
 * with `tensorboard --logdir <logDir>`.
 */
import * as tfl from '@tensorflow/tfjs-layers';

import {checkInteger, checkOptionKeys, formatValue, optionKeys, ValueError} from '../src/errors.js';
import {pruningWrappers, storedStep} from '../src/pruning/mask_update.js';
import {createSummaryWriter, SummaryWriter} from '../src/summary/index.js';

/** Arguments of {@link PruningSummaries}. */
export interface PruningSummariesArgs {
  /** Directory for the event files (created if missing). */
  logDir: string;
  /** 'epoch' (default) logs at each epoch end; a number logs every that many batches too. */
  updateFreq?: 'epoch'|number;
}

const PRUNING_SUMMARIES_KEYS = optionKeys<PruningSummariesArgs>({logDir: true, updateFreq: true});

/**
 * Add next to UpdatePruningStep:
 *
 * ```ts
 * await pruned.fit(xs, ys, {callbacks: [new tfmot.sparsity.UpdatePruningStep(),
 *   new tfmot.sparsity.PruningSummaries({logDir: '/tmp/prune_logs'})]});
 * ```
 *
 * Node only (it writes files): in a browser, training fails at its start
 * with the `NotSupportedError` of `summary.createSummaryWriter`.
 */
export class PruningSummaries extends tfl.Callback {
  private readonly logDir: string;
  private readonly updateFreq: 'epoch'|number;
  private writer: SummaryWriter|null = null;
  private batches = 0;

  /** @throws ValueError if `logDir` is not a non-empty path or `updateFreq` is not 'epoch' or an integer >= 1. */
  constructor(args: PruningSummariesArgs) {
    super();
    checkOptionKeys(args, PRUNING_SUMMARIES_KEYS, 'PruningSummaries');
    if (typeof args?.logDir !== 'string' || args.logDir.length === 0) {
      throw new ValueError(`PruningSummaries: logDir must be a directory path; received ${formatValue(args?.logDir)}.`);
    }
    this.logDir = args.logDir;
    this.updateFreq = args.updateFreq === undefined || args.updateFreq === 'epoch' ? 'epoch' :
        checkInteger(args.updateFreq, 'PruningSummaries: updateFreq', 1);
  }

  /** Opens the event file in `logDir` (tfjs-node's writer when that backend is active). */
  override async onTrainBegin(): Promise<void> {
    this.writer = await createSummaryWriter(this.logDir);
  }

  /** Logs every `updateFreq` batches when it is a number. */
  override async onBatchEnd(): Promise<void> {
    this.batches++;
    if (typeof this.updateFreq === 'number' && this.batches % this.updateFreq === 0) {
      this.log();
    }
  }

  /** Logs sparsity and threshold per pruned weight and flushes the file. */
  override async onEpochEnd(): Promise<void> {
    this.log();
    await this.writer?.flush();
  }

  /** Closes the event file. */
  override async onTrainEnd(): Promise<void> {
    await this.writer?.close();
    this.writer = null;
  }

  /** One scalar per pruned weight for sparsity and threshold, at the pruning step. */
  private log(): void {
    const wrappers = pruningWrappers(this.model as tfl.LayersModel);
    const step = Math.max(storedStep(wrappers), 0);
    for (const w of wrappers) {
      w.weightSpecs.forEach((spec, i) => {
        const mask = w.masks[i].read().dataSync();
        let zeros = 0;
        for (const v of mask) {
          zeros += v === 0 ? 1 : 0;
        }
        this.writer!.scalar(`${w.layer.name}/${spec.attr}/sparsity`, zeros / mask.length, step);
        this.writer!.scalar(`${w.layer.name}/${spec.attr}/threshold`,
            w.thresholds[i].read().dataSync()[0], step);
      });
    }
  }
}
