/**
 * ProgressBar: a fit() callback showing epoch i/N, the batch bar, ETA and the
 * logs (loss, metrics, val_*), like Keras' progress bar. On a terminal it
 * redraws one line; in logs (pipes, CI, notebooks) it prints one line per
 * epoch, so long trainings never flood the output.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {checkInteger, checkOptionKeys} from '../src/errors.js';
import {bar, etaText, formatDuration, formatValue, LineWriter, now, OUTPUT_OPTION_KEYS, ProgressOutputOptions,
  ResolvedOutput, resolveOutput} from './progress_output.js';

/** Arguments of {@link ProgressBar}. */
export interface ProgressBarArgs extends ProgressOutputOptions {
  /**
   * Without a TTY: extra lines per epoch, evenly spaced over its batches
   * (default 0: only the line at the epoch's end).
   */
  intermediateLines?: number;
}

/**
 * Add to `fit` (with `verbose: 0`, so tfjs-node prints no bar of its own):
 *
 * ```ts
 * await model.fit(xs, ys, {epochs: 5, verbose: 0, callbacks: [new tfmot.callbacks.ProgressBar()]});
 * // TTY:   Epoch 2/5 [=========>..........] 230/469 ETA 4.12s - loss: 0.1234 - acc: 0.9612
 * // logs:  Epoch 2/5 469/469 - 8.31s - loss: 0.1180 - acc: 0.9630 - val_loss: 0.1011 - val_acc: 0.9700
 * ```
 *
 * Batch lines show the latest batch's logs, read only when a line is drawn;
 * epoch lines show fit()'s epoch averages. Tensors in the logs are read, never
 * disposed (fit() owns them).
 */
export class ProgressBar extends tfl.Callback {
  private readonly out: ResolvedOutput;
  private readonly line: LineWriter;
  private readonly intermediateLines: number;
  private epoch = 0;
  private epochStart = 0;
  private lastDraw = -Infinity;
  private linesThisEpoch = 0;
  private batchesDone = 0;

  /** Checks the options (errors name the bad one); nothing is printed before fit() starts. */
  constructor(args: ProgressBarArgs = {}) {
    super();
    this.out = resolveOutput(args, 'ProgressBar');
    checkOptionKeys(args, [...OUTPUT_OPTION_KEYS, 'intermediateLines'], 'ProgressBar');
    this.intermediateLines = checkInteger(args.intermediateLines ?? 0, 'ProgressBar: intermediateLines', 0);
    this.line = new LineWriter(this.out);
  }

  /** Starts the epoch's clock (the ETA is the epoch's mean batch time so far times the batches left). */
  override async onEpochBegin(epoch: number): Promise<void> {
    this.line.close();
    this.epoch = epoch;
    this.epochStart = now();
    this.lastDraw = -Infinity;
    this.linesThisEpoch = 0;
    this.batchesDone = 0;
  }

  /**
   * TTY: redraws the line, at most every `throttleMs`. Otherwise prints the
   * next of `intermediateLines`, if due. Reads the logs only when drawing.
   */
  override async onBatchEnd(batch: number, logs?: {[key: string]: number|tf.Scalar}): Promise<void> {
    const done = batch + 1;
    this.batchesDone = done;
    const total = this.batchesPerEpoch();
    const t = now();
    if (this.out.tty) {
      if (t - this.lastDraw < this.out.throttleMs) {
        return;
      }
      this.lastDraw = t;
    } else {
      // Intermediate line k (1-based) once ceil(total * k / (n + 1)) batches are done.
      const n = this.intermediateLines;
      const next = this.linesThisEpoch + 1;
      if (total == null || next > n || done >= total || done < Math.ceil(total * next / (n + 1))) {
        return;
      }
      this.linesThisEpoch = next;
    }
    const elapsed = t - this.epochStart;
    this.line.redraw(this.text(done, total, etaText(elapsed, done, total), await readLogs(logs)));
  }

  /** Prints the epoch's line: batches, time, and fit()'s epoch logs (training, then val_*). */
  override async onEpochEnd(epoch: number, logs?: {[key: string]: number|tf.Scalar}): Promise<void> {
    this.epoch = epoch;
    this.line.finish(this.text(this.batchesDone, this.batchesPerEpoch(), formatDuration(now() - this.epochStart),
        await readLogs(logs)));
  }

  /** Ends a line left open by training stopped mid-epoch. */
  override async onTrainEnd(): Promise<void> {
    this.line.close();
  }

  /** Batches per epoch from fit()'s params (steps, or samples / batch size), if known. */
  private batchesPerEpoch(): number|undefined {
    const {steps, samples, batchSize} = this.params ?? {};
    if (typeof steps === 'number' && steps > 0) {
      return steps;
    }
    if (typeof samples === 'number' && typeof batchSize === 'number' && batchSize > 0) {
      return Math.ceil(samples / batchSize);
    }
    return undefined;
  }

  private text(done: number, total: number|undefined, time: string, values: Array<[string, number]>): string {
    const epochs = this.params?.epochs;
    const head = `${this.out.prefix}Epoch ${this.epoch + 1}${typeof epochs === 'number' ? `/${epochs}` : ''}`;
    const progress = total == null ? `${done} batches` :
        `${this.out.tty ? `${bar(done / total, this.out.width)} ` : ''}${done}/${total}`;
    return [`${head} ${progress}`, time, ...values.map(([k, v]) => `${k}: ${formatValue(v)}`)].join(' - ');
  }
}

/**
 * The logs' metrics as numbers (training ones first, then val_*), without
 * fit()'s 'batch' and 'size' entries. Scalars are read, not disposed.
 */
async function readLogs(logs?: {[key: string]: number|tf.Scalar}): Promise<Array<[string, number]>> {
  const entries = Object.entries(logs ?? {}).filter(([k]) => k !== 'batch' && k !== 'size');
  entries.sort(([a], [b]) => Number(a.startsWith('val_')) - Number(b.startsWith('val_')));
  const values = await Promise.all(entries.map(async ([, v]) =>
    typeof v === 'number' ? v : (await v.data())[0]));
  return entries.map(([k], i) => [k, values[i]]);
}
