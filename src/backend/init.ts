/**
 * Picks the fastest TF.js backend that works here, so training runs on
 * native TensorFlow or wasm instead of the much slower pure-JS cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';
// Both register their backend factories on import; neither loads anything
// heavy until `tf.setBackend` selects it.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

import {checkOptionKeys, checkStringUnion, optionKeys, ValueError} from '../errors.js';
import {checkFastConvInputGradient, registerWasmTrainingKernels} from './register.js';
import type {WasmTrainingKernelOptions} from './register.js';

/** Backend names `init` accepts, fastest first. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** Allowed values of `InitOptions.backend`, in the order `init` tries them. */
export const VALID_BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/**
 * Options of `init`. `fastConvInputGradient` (default true) applies when
 * wasm is the backend started; see `WasmTrainingKernelOptions`.
 */
export interface InitOptions extends WasmTrainingKernelOptions {
  /**
   * Use exactly this backend and throw if it cannot start. Omit to take
   * the first that works of 'tensorflow' (tfjs-node), 'wasm', 'cpu'.
   */
  backend?: BackendName;
}

// A variable specifier keeps TypeScript from resolving this optional
// dependency at compile time; it is usually not installed.
const TFJS_NODE = '@tensorflow/tfjs-node';

/** Tries to make `name` the active backend; returns why it failed, or null. */
async function activate(name: BackendName, options: InitOptions): Promise<string | null> {
  if (name === 'tensorflow') {
    try {
      // tfjs-node registers the 'tensorflow' backend when imported.
      await import(TFJS_NODE);
    } catch (e) {
      return `importing ${TFJS_NODE} failed (${(e as Error).message}); ` +
          `it is an optional dependency that needs a native libtensorflow`;
    }
    if (tf.findBackendFactory('tensorflow') == null) {
      return `${TFJS_NODE} loaded but registered no 'tensorflow' backend with ` +
          `this copy of @tensorflow/tfjs-core (are their versions different?)`;
    }
  }
  if (name === 'wasm') {
    registerWasmTrainingKernels({fastConvInputGradient: options.fastConvInputGradient});
  }
  const before = processListeners();
  try {
    // Resolves false (after logging a warning) when initialization fails.
    if (await tf.setBackend(name)) {
      return null;
    }
    return `tf.setBackend('${name}') resolved false`;
  } catch (e) {
    return `tf.setBackend('${name}') threw: ${(e as Error).message}`;
  } finally {
    removeListenersAddedSince(before);
  }
}

type ProcessEvent = 'uncaughtException'|'unhandledRejection';
const PROCESS_EVENTS: ProcessEvent[] = ['uncaughtException', 'unhandledRejection'];

function processListeners(): Map<ProcessEvent, Function[]> {
  return new Map(PROCESS_EVENTS.map((e) => [e, [...process.listeners(e as 'uncaughtException')]]));
}

/**
 * The wasm module's Emscripten glue installs process handlers that rethrow
 * every error from inside its one-line, 1 MB source file, so Node prints that
 * whole file instead of the user's error. Removing them restores Node's own
 * reporting; nothing in the backend relies on them.
 */
function removeListenersAddedSince(before: Map<ProcessEvent, Function[]>): void {
  for (const event of PROCESS_EVENTS) {
    for (const listener of process.listeners(event as 'uncaughtException')) {
      if (!before.get(event)!.includes(listener)) {
        process.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
  }
}

async function initNow(options: InitOptions): Promise<BackendName> {
  checkOptionKeys(options, optionKeys<InitOptions>({backend: true, fastConvInputGradient: true}), 'init options');
  checkFastConvInputGradient(options.fastConvInputGradient);
  if (options.backend !== undefined) {
    const name = checkStringUnion(options.backend, VALID_BACKENDS, 'options.backend');
    const failure = await activate(name, options);
    if (failure !== null) {
      throw new ValueError(
          `init: backend '${name}' could not be started: ${failure}. ` +
          `Allowed backends are ${VALID_BACKENDS.map((b) => `'${b}'`).join(', ')}; ` +
          `omit options.backend to use the fastest one available.`);
    }
    return name;
  }
  const failures: string[] = [];
  for (const name of VALID_BACKENDS) {
    const failure = await activate(name, options);
    if (failure === null) {
      return name;
    }
    failures.push(`'${name}': ${failure}`);
  }
  throw new ValueError(`init: no backend could be started. ${failures.join('; ')}.`);
}

// Concurrent tf.setBackend calls cancel each other's pending initialization,
// so init calls run one after another.
let queue: Promise<unknown> = Promise.resolve();

/**
 * Selects and initializes the TF.js backend used for training:
 * tfjs-node ('tensorflow') if installed, otherwise wasm with this library's
 * gradient kernels registered (see `registerWasmTrainingKernels`), otherwise
 * the pure-JS 'cpu' backend. Safe to call more than once.
 *
 * @param options.backend Force one backend instead of picking the fastest.
 * @param options.fastConvInputGradient On wasm, replace tfjs-backend-wasm's
 *     slow Conv2DBackpropInput (conv2d input gradient, conv2dTranspose) with
 *     this library's XNNPACK-based one (faster; see BENCHMARKS.md); default
 *     true, `false` keeps (or puts back) wasm's own kernel. Calling `init`
 *     again never wraps the kernel twice.
 * @returns The name of the active backend.
 * @throws ValueError if `options.backend` is not one of `VALID_BACKENDS`
 *     (or `options.fastConvInputGradient` is not a boolean), or
 *     names a backend that cannot start here (the message says why).
 *
 * @example
 * ```ts
 * import * as tfmot from 'tfjs-model-optimization';
 *
 * const name = await tfmot.backend.init();  // 'tensorflow', 'wasm' or 'cpu'
 * await tfmot.backend.init({backend: 'cpu'});  // force the cpu backend
 * await tfmot.backend.init({fastConvInputGradient: false});  // wasm's own conv input gradient
 * ```
 */
export function init(options: InitOptions = {}): Promise<BackendName> {
  const result = queue.then(() => initNow(options));
  queue = result.catch(() => undefined);
  return result;
}
