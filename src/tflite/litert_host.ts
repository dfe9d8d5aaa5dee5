/**
 * What every LiteRT host shares: the interface a host implements, the
 * runtime's log, and how a reply becomes a value or an error.
 */
import type {WorkerCall, WorkerReply} from './litert_protocol.js';

/** How long one load, compile or run may take before its worker is stopped (ms), unless the caller says. */
export const DEFAULT_TIMEOUT_MS = 120_000;

/** One LiteRT instance; once `failure` is set it takes no more calls. */
export interface RuntimeInstance {
  /** Why this instance was discarded, or undefined while it is usable. */
  readonly failure: string|undefined;
  /** Performs `request`: its value, or a rejection (LiteRtCrash when the instance trapped or overran `timeoutMs`). */
  call(request: WorkerCall, timeoutMs: number): Promise<unknown>;
}

/** Where LiteRT runs on this platform. */
export interface LiteRtHost {
  /** Starts a fresh LiteRT instance (loaded lazily, on its first call). */
  start(): RuntimeInstance;
  /**
   * Whether a call that overruns its time limit is stopped. False when LiteRT
   * runs in the calling thread: a synchronous WebAssembly call cannot be interrupted there.
   */
  readonly stopsOverruns: boolean;
}

declare module '../platform.js' {
  interface NodeHooks {
    /** LiteRT in a worker thread (src/tflite/litert_node_host.ts). */
    liteRtHost: LiteRtHost;
  }
}

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

/**
 * A host's handling of one reply: records its log, and returns its value or
 * throws (LiteRtCrash after calling `retire` when the instance trapped).
 */
export function replyValue(reply: WorkerReply, retire: (reason: string) => void): unknown {
  runtimeLog.push(...reply.log);
  if (reply.ok) {
    return reply.value;
  }
  if (reply.trapped) {
    const message = `LiteRT's WebAssembly instance trapped (${reply.message}); it was discarded and the next ` +
        'call starts a new one';
    retire(message);
    throw new LiteRtCrash(message);
  }
  throw new Error(reply.message);
}
