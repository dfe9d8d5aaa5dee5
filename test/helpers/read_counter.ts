/**
 * Counts reads of tensor data back to JS, to prove a training step does
 * none: `engine` counts tensor-level reads (dataSync, arraySync, data(),
 * array(), bufferSync: what library code asks for, a GPU stall on webgl);
 * `backend` counts the backend's own read/readSync, which also sees reads
 * made inside kernels (on wasm, gather and slice read their inputs from
 * wasm memory, a copy but no device transfer).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export interface ReadCounter {
  engine: number;
  backend: number;
  /** Puts the original methods back. */
  restore(): void;
}

type Reader = {readSync(dataId: object): unknown, read(dataId: object): Promise<unknown>};

function spy(target: Reader, count: () => void): () => void {
  const {readSync, read} = target;
  target.readSync = function(this: Reader, dataId) {
    count();
    return readSync.call(this, dataId);
  };
  target.read = function(this: Reader, dataId) {
    count();
    return read.call(this, dataId);
  };
  return () => {
    target.readSync = readSync;
    target.read = read;
  };
}

/** Starts counting reads on the engine and the active backend. */
export function countReads(): ReadCounter {
  const counter = {engine: 0, backend: 0, restore: () => {}};
  const restoreEngine = spy(tf.engine() as unknown as Reader, () => counter.engine++);
  const restoreBackend = spy(tf.backend() as unknown as Reader, () => counter.backend++);
  counter.restore = () => {
    restoreEngine();
    restoreBackend();
  };
  return counter;
}

/** Reads per batch of fit(): the counter's growth from one batch's end to the next. */
export function perBatch(snapshots: number[]): number[] {
  return snapshots.slice(1).map((v, i) => v - snapshots[i]);
}

/** Calls `take` after every batch (a Callback: CustomCallback would read the logs' loss itself). */
export class AfterEachBatch extends tfl.Callback {
  constructor(private readonly take: () => void) {
    super();
  }
  override async onBatchEnd(): Promise<void> {
    this.take();
  }
}
