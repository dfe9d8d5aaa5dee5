/** The summary writer of '@tensorflow/tfjs-node', when it can be used. */

import * as tf from '@tensorflow/tfjs-core';

import type {SummaryWriter} from './summary_writer.js';

/** The part of tfjs-node's `tf.node.SummaryFileWriter` used here. */
export interface NodeSummaryFileWriter {
  scalar(name: string, value: number, step: number): void;
  flush(): void;
}

// A variable specifier keeps TypeScript from resolving this optional
// dependency at compile time; it is usually not installed.
const TFJS_NODE = '@tensorflow/tfjs-node';

/**
 * tfjs-node's `tf.node.summaryFileWriter(logDir)` as a `SummaryWriter`, or
 * null. It is only usable while 'tensorflow' is the active backend (its
 * constructor asserts so), and importing tfjs-node otherwise would register
 * that backend as a side effect, so other backends skip the import.
 */
export async function tfjsNodeWriter(logDir: string): Promise<SummaryWriter | null> {
  if (tf.getBackend() !== 'tensorflow') {
    return null;
  }
  let tfn;
  try {
    tfn = await import(TFJS_NODE);
  } catch {
    return null;
  }
  // Synchronous in tfjs-node; it caches one writer per logdir.
  return fromTfjsNode((tfn.node ?? tfn.default.node).summaryFileWriter(logDir));
}

/** Adapts tfjs-node's synchronous writer; it has no close, so close flushes. */
export function fromTfjsNode(writer: NodeSummaryFileWriter): SummaryWriter {
  return {
    scalar: (tag, value, step) => writer.scalar(tag, value, step),
    flush: async () => writer.flush(),
    close: async () => writer.flush(),
  };
}
