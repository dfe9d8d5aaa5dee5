/**
 * The platform-neutral side of `Interpreter`'s runtime: compiled-model
 * sessions over a LiteRT instance that a host provides, the runtime's log,
 * one-call-at-a-time scheduling and crash recovery.
 *
 * Two hosts: in Node, LiteRT runs in a worker thread (litert_loader.ts,
 * installed by the Node entry through src/platform.ts) that is discarded
 * when it traps or overruns its time limit; in a browser (page or Web
 * Worker) it runs in the calling thread (litert_browser.ts), where a trapped
 * instance is discarded likewise but a running call cannot be stopped.
 * Models compiled on a discarded instance are compiled again on the new one
 * when next run.
 */
import {NotSupportedError} from '../errors.js';
import {hasNodeHook, isNode, nodeHook} from '../platform.js';
import {browserHost} from './litert_browser.js';
import {TYPED_ARRAYS} from './litert_protocol.js';
import type {OpenedModel, SessionTensor, TfliteTypedArray} from './litert_protocol.js';
import {DEFAULT_TIMEOUT_MS, LiteRtCrash, logLength, logSince} from './litert_host.js';
import type {LiteRtHost, RuntimeInstance} from './litert_host.js';

export {TYPED_ARRAYS};
export {DEFAULT_TIMEOUT_MS, LiteRtCrash, liteRtErrors, logLength, logSince, replyValue} from './litert_host.js';
export type {LiteRtHost, RuntimeInstance} from './litert_host.js';
export type {SessionTensor, TfliteDType, TfliteTypedArray, TypedArrayClass} from './litert_protocol.js';

/** The host of this platform: Node's worker thread, or the browser's in-thread runtime. */
export function liteRtHost(): LiteRtHost {
  if (hasNodeHook('liteRtHost') || isNode()) {
    return nodeHook('liteRtHost', 'tfmot.tflite.Interpreter (LiteRT in a worker thread)',
        'the default entry runs LiteRT in the calling thread (see tflite.setLiteRtWasmPath).');
  }
  return browserHost;
}

/** Settles when the last task given to `exclusive` has. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `task` once every task queued before it has settled. The runtime log
 * is one stream for the process: a call can claim the lines printed while it
 * ran only if no other model loads or runs meanwhile. A task must not call
 * `exclusive` itself: it would wait for its own end.
 */
export function exclusive<T>(task: () => Promise<T>): Promise<T> {
  const result = queue.then(task);
  queue = result.catch(() => undefined);
  return result;
}

let current: RuntimeInstance|undefined;
let restarts = 0;

/** The live instance, started on first use and after each failure. */
function runtime(): RuntimeInstance {
  if (current?.failure != null) {
    restarts++;
    current = undefined;
  }
  current ??= liteRtHost().start();
  return current;
}

/** How many times a failed LiteRT instance has been replaced in this process (or page). */
export function runtimeRestarts(): number {
  return restarts;
}

/** The size of the live instance's WebAssembly heap in bytes (loads LiteRT if needed). */
export async function runtimeHeapBytes(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<number> {
  return await runtime().call({op: 'heapBytes'}, timeoutMs) as number;
}

/** A model loaded and compiled by LiteRT. Call `delete()` when done. */
export interface LiteRtSession {
  /** Signature 0's key: the file's first signature, or `'<placeholder signature>'` when it has none. */
  readonly signatureKey: string;
  /** Signature 0's inputs, in LiteRT's order (which `run` takes). */
  readonly inputs: readonly SessionTensor[];
  /** Signature 0's outputs, in LiteRT's order (which `run` returns). */
  readonly outputs: readonly SessionTensor[];
  /**
   * Runs signature 0. Does not check the log: a model that fails to prepare
   * logs ERROR lines and returns garbage.
   */
  run(inputs: readonly TfliteTypedArray[]): Promise<TfliteTypedArray[]>;
  /** Runs signature 0 on each set of inputs in one call to the runtime (faster than one call each). */
  runMany(batches: ReadonlyArray<readonly TfliteTypedArray[]>): Promise<TfliteTypedArray[][]>;
  delete(): void;
}

async function compile(instance: RuntimeInstance, bytes: Uint8Array, numThreads: number, timeoutMs: number):
    Promise<OpenedModel> {
  const logStart = logLength();
  try {
    return await instance.call({op: 'open', bytes, numThreads}, timeoutMs) as OpenedModel;
  } catch (e) {
    if (e instanceof NotSupportedError) {
      throw e;
    }
    const message = `LiteRT could not load/compile the model: ${(e as Error).message}; ` +
        `log: ${logSince(logStart).join(' | ')}`;
    throw e instanceof LiteRtCrash ? new LiteRtCrash(message) : new Error(message);
  }
}

/**
 * Loads and compiles `bytes` on the wasm CPU path.
 *
 * @param timeoutMs How long each load, compile or run may take (enforced only where LiteRT runs in a worker).
 * @throws Error with the runtime's message when LiteRT cannot load or compile
 *     the model (garbage bytes, an operator version it lacks); LiteRtCrash
 *     when it trapped or overran `timeoutMs`.
 */
export async function openSession(bytes: Uint8Array, numThreads = 1, timeoutMs = DEFAULT_TIMEOUT_MS):
    Promise<LiteRtSession> {
  // Kept to compile again should this instance be replaced; a copy, as the caller may reuse its array.
  const model = bytes.slice();
  let instance = runtime();
  let opened = await compile(instance, model, numThreads, timeoutMs);
  let deleted = false;

  function checkInput(index: number, data: TfliteTypedArray): void {
    const expected = opened.inputs[index];
    if (!(data instanceof TYPED_ARRAYS[expected.dtype]) || data.byteLength !== expected.bytes) {
      throw new Error(`input ${index}: the model wants ${expected.dtype} [${expected.shape}] ` +
          `(${expected.bytes} bytes), got ${data.constructor.name} of ${data.byteLength} bytes`);
    }
  }

  async function runMany(batches: ReadonlyArray<readonly TfliteTypedArray[]>): Promise<TfliteTypedArray[][]> {
    if (deleted) {
      throw new Error('run() after delete()');
    }
    for (const data of batches) {
      if (data.length !== opened.inputs.length) {
        throw new Error(`the model's signature has ${opened.inputs.length} input(s); got ${data.length}`);
      }
      data.forEach((d, i) => checkInput(i, d));
    }
    if (instance.failure != null) {
      // Its instance was replaced since: compile the model on the new one.
      instance = runtime();
      opened = {...await compile(instance, model, numThreads, timeoutMs), inputs: opened.inputs,
        outputs: opened.outputs};
    }
    // The time limit is per run.
    return await instance.call({op: 'run', handle: opened.handle, batches: batches.map((b) => [...b])},
        timeoutMs * Math.max(1, batches.length)) as TfliteTypedArray[][];
  }

  return {
    signatureKey: opened.signatureKey,
    inputs: opened.inputs,
    outputs: opened.outputs,
    run: async (data) => (await runMany([data]))[0],
    runMany,
    delete() {
      if (!deleted) {
        deleted = true;
        if (instance.failure == null) {
          instance.call({op: 'delete', handle: opened.handle}, timeoutMs).catch(() => undefined);
        }
      }
    },
  };
}
