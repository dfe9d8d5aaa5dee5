/**
 * `tfmot.summary`: TensorBoard scalar summaries, a small counterpart of
 * tf.summary for the logs TFMOT's PruningSummaries callback writes.
 *
 * `createSummaryWriter` uses tfjs-node's native writer when training runs
 * on its 'tensorflow' backend, and otherwise writes the event files itself
 * in plain TypeScript, so `tensorboard --logdir` works on the wasm and cpu
 * backends too. The writers need Node (the package's Node entry installs
 * them); in a browser `createSummaryWriter` throws a `NotSupportedError`:
 * chart training there with tfjs-vis or from the logs the callbacks receive.
 *
 * @packageDocumentation
 */

import {checkInteger, describeValue, ValueError} from '../errors.js';
import {nodeHook} from '../platform.js';
import type {SummaryWriter} from './summary_writer.js';

declare module '../platform.js' {
  interface NodeHooks {
    /** createSummaryWriter's file writer for `logDir` (src/summary/file_writer_node.ts). */
    summaryFileWriter: (logDir: string) => Promise<SummaryWriter>;
  }
}

export type {SummaryWriter} from './summary_writer.js';


function checkScalar(tag: unknown, value: unknown, step: unknown): void {
  if (typeof tag !== 'string' || tag.length === 0) {
    throw new ValueError(`SummaryWriter.scalar: tag must be a non-empty string; ` +
        `received ${describeValue(tag)}.`);
  }
  if (typeof value !== 'number') {
    throw new ValueError(`SummaryWriter.scalar: value for '${tag}' must be a number; ` +
        `received ${describeValue(value)}.`);
  }
  checkInteger(step, `SummaryWriter.scalar: step for '${tag}'`, 0);
}

/** Adds the boundary checks shared by both writers. */
class CheckedWriter implements SummaryWriter {
  private closed = false;

  constructor(private readonly inner: SummaryWriter, private readonly logDir: string) {}

  scalar(tag: string, value: number, step: number): void {
    if (this.closed) {
      throw new ValueError(`SummaryWriter for '${this.logDir}' is closed; create a new one.`);
    }
    checkScalar(tag, value, step);
    this.inner.scalar(tag, value, step);
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    this.closed = true;
    return this.inner.close();
  }
}

/**
 * Creates a TensorBoard summary writer for `logDir` (created if missing).
 * With '@tensorflow/tfjs-node' installed and 'tensorflow' the active
 * backend, this wraps its `tf.node.summaryFileWriter(logDir)`; otherwise it
 * writes a new `events.out.tfevents.<seconds>.<hostname>` file itself.
 * Either way `tensorboard --logdir <logDir>` shows the scalars.
 *
 * Node only: the Node entry (`tfjs-model-optimization` as Node resolves it,
 * or `tfjs-model-optimization/node`) installs the writers. A browser has no
 * TensorBoard file writer: there this throws a `NotSupportedError`; chart
 * training with tfjs-vis or from the logs the callbacks receive.
 *
 * @param logDir Directory of the run, one per run for TensorBoard to compare.
 * @returns A writer; call `close()` when training ends.
 * @throws NotSupportedError outside the Node entry (in a browser).
 * @throws ValueError if `logDir` is not a non-empty string, and from
 *     `scalar` if the tag is empty, the value not a number or the step not
 *     an integer >= 0.
 *
 * @example
 * ```ts
 * import * as tfmot from 'tfjs-model-optimization';
 *
 * const writer = await tfmot.summary.createSummaryWriter('/tmp/logs/run1');
 * for (let step = 0; step < 100; step++) {
 *   writer.scalar('dense/sparsity', step / 100, step);
 * }
 * await writer.close();
 * ```
 */
export async function createSummaryWriter(logDir: string): Promise<SummaryWriter> {
  if (typeof logDir !== 'string' || logDir.length === 0) {
    throw new ValueError(`createSummaryWriter: logDir must be a non-empty string; ` +
        `received ${describeValue(logDir)}.`);
  }
  const open = nodeHook('summaryFileWriter', 'summary.createSummaryWriter (the TensorBoard file writer)',
      "there is no TensorBoard file writer: chart training with tfjs-vis, or from the logs the callbacks' " +
      'onEpochEnd/onBatchEnd receive.');
  return new CheckedWriter(await open(logDir), logDir);
}
