/**
 * Runs Google's LiteRT.js (`@litertjs/core`) for `Interpreter`, in a worker
 * thread (litert_worker.ts) that this module replaces when it fails. A corrupt
 * or hostile file can trap LiteRT's WebAssembly instance ("memory access out
 * of bounds", "null function or function signature mismatch", "Aborted()"),
 * after which every later call on that instance spins at 100% CPU; here the
 * trapped worker is discarded and the next call starts a fresh one, and a
 * call that does not answer within its time limit is stopped the same way.
 * Models compiled on a discarded worker are compiled again on the new one
 * when next run. Internal: its types name LiteRT.js, an optional peer
 * dependency, so it is not exported from the package.
 */
import {createRequire} from 'node:module';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {Worker} from 'node:worker_threads';

import type {OpenedModel, SessionTensor, TfliteTypedArray, WorkerCall, WorkerReply} from './litert_protocol.js';

import {TYPED_ARRAYS} from './litert_protocol.js';

export {TYPED_ARRAYS};
export type {SessionTensor, TfliteDType, TfliteTypedArray, TypedArrayClass} from './litert_protocol.js';

/** How long one load, compile or run may take before its worker is stopped (ms), unless the caller says. */
export const DEFAULT_TIMEOUT_MS = 120_000;

/** Every line the runtime printed in this process, in order. */
const runtimeLog: string[] = [];

/** Lines the runtime printed since `start` (a previous `logLength()`). */
export function logSince(start: number): string[] {
  return runtimeLog.slice(start);
}

/** Where the runtime log ends now, to collect what one call prints. */
export function logLength(): number {
  return runtimeLog.length;
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

/** The runtime's error lines: it reports a model that fails to prepare only this way. */
export function liteRtErrors(log: readonly string[]): string[] {
  return log.filter((line) => /\bERROR\b/.test(line));
}

/**
 * LiteRT trapped, crashed or overran its time limit. Its WebAssembly instance
 * was discarded: the next call starts a new one, and interpreters created
 * before compile their model again when next run.
 */
export class LiteRtCrash extends Error {
  /**
   * Made by `Interpreter.create`, `invoke` and `predict`.
   *
   * @param message What happened, and that the runtime was restarted.
   */
  constructor(message: string) {
    super(message);
    this.name = 'LiteRtCrash';
  }
}

/** The worker thread for this module's source form: compiled JavaScript, or TypeScript run through tsx. */
function startWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) {
    return new Worker(new URL('./litert_worker.js', here));
  }
  // From the TypeScript sources (tests, tsx scripts): the worker imports its TypeScript through tsx's API.
  const tsxPackage = createRequire(here).resolve('tsx/package.json');
  const tsxApi = pathToFileURL(path.join(path.dirname(tsxPackage), 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./litert_worker.ts', here).href;
  return new Worker(`import(${JSON.stringify(tsxApi)}).then((api) => api.tsImport(` +
      `${JSON.stringify(entry)}, ${JSON.stringify(entry)}));`, {eval: true});
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** One LiteRT worker; once `failure` is set it takes no more calls. */
class RuntimeWorker {
  private readonly worker = startWorker();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  failure: string|undefined;

  constructor() {
    this.worker.on('message', (reply: WorkerReply) => this.settle(reply));
    this.worker.on('error', (e: Error) => this.retire(`LiteRT's worker failed: ${e.message}`));
    this.worker.on('exit', (code: number) => this.retire(`LiteRT's worker exited with code ${code}`));
    // An idle worker must not keep the process alive.
    this.worker.unref();
  }

  /** Sends `request` and settles with its value, or rejects after `timeoutMs` (stopping this worker). */
  call(request: WorkerCall, timeoutMs: number): Promise<unknown> {
    if (this.failure != null) {
      return Promise.reject(new LiteRtCrash(this.failure));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.retire(`LiteRT did not finish a ${request.op} call within ` +
          `${timeoutMs} ms; its worker was stopped and the next call starts a new one`), timeoutMs);
      this.pending.set(id, {resolve, reject, timer});
      this.worker.ref();
      this.worker.postMessage({...request, id});
    });
  }

  private settle(reply: WorkerReply): void {
    runtimeLog.push(...reply.log);
    const pending = this.pending.get(reply.id);
    if (pending == null) {
      return;
    }
    this.forget(reply.id, pending);
    if (reply.ok) {
      pending.resolve(reply.value);
    } else if (reply.trapped) {
      const message = `LiteRT's WebAssembly instance trapped (${reply.message}); it was discarded and the next ` +
          'call starts a new one';
      pending.reject(new LiteRtCrash(message));
      this.retire(message);
    } else {
      pending.reject(new Error(reply.message));
    }
  }

  private forget(id: number, pending: Pending): void {
    clearTimeout(pending.timer);
    this.pending.delete(id);
    if (this.pending.size === 0) {
      this.worker.unref();
    }
  }

  /** Stops the worker and fails every call still waiting on it with `reason`. */
  private retire(reason: string): void {
    if (this.failure != null) {
      return;
    }
    this.failure = reason;
    for (const [id, pending] of this.pending) {
      this.forget(id, pending);
      pending.reject(new LiteRtCrash(reason));
    }
    void this.worker.terminate();
  }
}

let current: RuntimeWorker|undefined;
let restarts = 0;

/** The live worker, started on first use and after each failure. */
function runtime(): RuntimeWorker {
  if (current?.failure != null) {
    restarts++;
    current = undefined;
  }
  current ??= new RuntimeWorker();
  return current;
}

/** How many times a failed LiteRT worker has been replaced in this process. */
export function runtimeRestarts(): number {
  return restarts;
}

/** The size of the live worker's WebAssembly heap in bytes (loads LiteRT if needed). */
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

async function compile(worker: RuntimeWorker, bytes: Uint8Array, numThreads: number, timeoutMs: number):
    Promise<OpenedModel> {
  const logStart = logLength();
  try {
    return await worker.call({op: 'open', bytes, numThreads}, timeoutMs) as OpenedModel;
  } catch (e) {
    const message = `LiteRT could not load/compile the model: ${(e as Error).message}; ` +
        `log: ${logSince(logStart).join(' | ')}`;
    throw e instanceof LiteRtCrash ? new LiteRtCrash(message) : new Error(message);
  }
}

/**
 * Loads and compiles `bytes` on the wasm CPU path.
 *
 * @param timeoutMs How long each load, compile or run may take.
 * @throws Error with the runtime's message when LiteRT cannot load or compile
 *     the model (garbage bytes, an operator version it lacks); LiteRtCrash
 *     when it trapped or overran `timeoutMs`.
 */
export async function openSession(bytes: Uint8Array, numThreads = 1, timeoutMs = DEFAULT_TIMEOUT_MS):
    Promise<LiteRtSession> {
  // Kept to compile again should this worker be replaced; a copy, as the caller may reuse its array.
  const model = bytes.slice();
  let worker = runtime();
  let opened = await compile(worker, model, numThreads, timeoutMs);
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
    if (worker.failure != null) {
      // Its worker was replaced since: compile the model on the new one.
      worker = runtime();
      opened = {...await compile(worker, model, numThreads, timeoutMs), inputs: opened.inputs,
        outputs: opened.outputs};
    }
    // The time limit is per run.
    return await worker.call({op: 'run', handle: opened.handle, batches: batches.map((b) => [...b])},
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
        if (worker.failure == null) {
          worker.call({op: 'delete', handle: opened.handle}, timeoutMs).catch(() => undefined);
        }
      }
    },
  };
}
