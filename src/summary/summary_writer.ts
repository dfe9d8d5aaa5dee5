/** The interface both summary writers (tfjs-node's and our event files) implement. */

/** Writes scalar summaries that TensorBoard shows as charts over steps. */
export interface SummaryWriter {
  /** Queues `value` (stored as float32) under `tag` at training step `step`. */
  scalar(tag: string, value: number, step: number): void;
  /** Writes everything queued so far to disk. */
  flush(): Promise<void>;
  /** Flushes and releases the file; `scalar` throws afterwards. */
  close(): Promise<void>;
}
