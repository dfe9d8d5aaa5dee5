/**
 * Node's LiteRT host: runs Google's LiteRT.js (`@litertjs/core`) in a worker
 * thread (litert_worker.ts) that is replaced when it fails. A corrupt or
 * hostile file can trap LiteRT's WebAssembly instance ("memory access out of
 * bounds", "null function or function signature mismatch", "Aborted()"),
 * after which every later call on that instance spins at 100% CPU; here the
 * trapped worker is discarded and the next call starts a fresh one, and a
 * call that does not answer within its time limit is stopped the same way.
 *
 * Node-only (worker threads): the Node entry installs it through
 * litert_node_host.ts; nothing the browser entry imports reaches this file.
 * Re-exports the session API (litert_session.ts) for Node-side tests.
 */
import {createRequire} from 'node:module';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {Worker} from 'node:worker_threads';

import type {WorkerCall, WorkerReply} from './litert_protocol.js';
import {LiteRtCrash, replyValue} from './litert_host.js';
import type {LiteRtHost, RuntimeInstance} from './litert_host.js';

export * from './litert_session.js';

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
class RuntimeWorker implements RuntimeInstance {
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
    const pending = this.pending.get(reply.id);
    if (pending != null) {
      this.forget(reply.id, pending);
    }
    try {
      const value = replyValue(reply, (reason) => this.retire(reason));
      pending?.resolve(value);
    } catch (e) {
      pending?.reject(e as Error);
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

/** LiteRT in a worker thread, with time limits enforced by stopping the worker. */
export const nodeWorkerHost: LiteRtHost = {
  start: () => new RuntimeWorker(),
  stopsOverruns: true,
};
