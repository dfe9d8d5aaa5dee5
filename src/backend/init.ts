/**
 * Picks the fastest TF.js backend that works here, so training runs on
 * native TensorFlow, the GPU or wasm instead of the much slower pure-JS cpu
 * backend.
 */
import * as tf from '@tensorflow/tfjs-core';
// Each registers its backend factory on import (webgl only in a browser);
// none loads anything heavy until `tf.setBackend` selects it.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgl';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';

import {checkOptionKeys, checkStringUnion, describeValue, optionKeys, ValueError} from '../errors.js';
import {isNode} from '../platform.js';
import {checkFastConvInputGradient, registerWasmTrainingKernels} from './register.js';
import type {WasmTrainingKernelOptions} from './register.js';

/** Backend names `init` accepts. */
export type BackendName = 'tensorflow' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Allowed values of `InitOptions.backend`. */
export const VALID_BACKENDS: readonly BackendName[] = ['tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'];

/** What `init` tries, in order, when no backend is named: in Node, and in a browser (page or Web Worker). */
const NODE_ORDER: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];
const BROWSER_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/**
 * Options of `init`. `fastConvInputGradient` (default true) applies when
 * wasm is the backend started; see `WasmTrainingKernelOptions`.
 */
export interface InitOptions extends WasmTrainingKernelOptions {
  /**
   * Use exactly this backend and throw if it cannot start. Omit to take the
   * first that works: in Node 'tensorflow' (tfjs-node), 'wasm', 'cpu'; in a
   * browser 'webgpu' (if its backend was imported, e.g.
   * `import '@tensorflow/tfjs-backend-webgpu'`), 'webgl', 'wasm', 'cpu'.
   * 'webgl' and 'webgpu' start only where their backend registered itself
   * (a browser with WebGL; an imported WebGPU backend).
   */
  backend?: BackendName;
  /**
   * Where tfjs-backend-wasm's .wasm files are served (a folder URL ending in
   * `/`, or a map from file name to URL), passed to its `setWasmPaths` before
   * the wasm backend starts. Needed in a browser bundle: serve the files of
   * `node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm` and pass their
   * folder's URL. Not needed in Node.
   */
  wasmPaths?: string | Record<string, string>;
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
  if ((name === 'webgl' || name === 'webgpu') && tf.findBackendFactory(name) == null) {
    return name === 'webgl' ? 'no WebGL backend is registered here (@tensorflow/tfjs-backend-webgl registers ' +
        'it only in a browser)' : `no WebGPU backend is registered: import '@tensorflow/tfjs-backend-webgpu' first`;
  }
  if (name === 'wasm') {
    registerWasmTrainingKernels({fastConvInputGradient: options.fastConvInputGradient});
    if (options.wasmPaths !== undefined && tf.findBackend('wasm') == null) {
      try {
        setWasmPaths(options.wasmPaths);
      } catch (e) {
        return `setWasmPaths failed: ${(e as Error).message}`;
      }
    }
  }
  const before = processListeners();
  try {
    // Resolves false (after logging a warning) when initialization fails.
    if (await tf.setBackend(name)) {
      return null;
    }
    return `tf.setBackend('${name}') resolved false${wasmHint(name, options)}`;
  } catch (e) {
    return `tf.setBackend('${name}') threw: ${(e as Error).message}${wasmHint(name, options)}`;
  } finally {
    removeListenersAddedSince(before);
  }
}

/** Why wasm most likely failed in a browser: its .wasm files were not found. */
function wasmHint(name: BackendName, options: InitOptions): string {
  return name === 'wasm' && !isNode() && options.wasmPaths === undefined ?
    ' (in a browser, serve node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm and pass their folder\'s URL ' +
        'as options.wasmPaths)' :
    '';
}

type ProcessEvent = 'uncaughtException'|'unhandledRejection';
const PROCESS_EVENTS: ProcessEvent[] = ['uncaughtException', 'unhandledRejection'];

type Listener = (...args: unknown[]) => void;

/** Node's `process`, or undefined in a browser. */
function nodeProcess(): {listeners(event: string): Listener[], removeListener(event: string, l: Listener): void}|
    undefined {
  return isNode() ? (globalThis as unknown as {process: ReturnType<typeof nodeProcess>}).process : undefined;
}

function processListeners(): Map<ProcessEvent, Function[]> {
  const process = nodeProcess();
  return new Map(PROCESS_EVENTS.map((e) => [e, process == null ? [] : [...process.listeners(e)]]));
}

/**
 * The wasm module's Emscripten glue installs process handlers that rethrow
 * every error from inside its one-line, 1 MB source file, so Node prints that
 * whole file instead of the user's error. Removing them restores Node's own
 * reporting; nothing in the backend relies on them.
 */
function removeListenersAddedSince(before: Map<ProcessEvent, Function[]>): void {
  const process = nodeProcess();
  for (const event of process == null ? [] : PROCESS_EVENTS) {
    for (const listener of process!.listeners(event)) {
      if (!before.get(event)!.includes(listener)) {
        process!.removeListener(event, listener);
      }
    }
  }
}

function checkWasmPaths(value: unknown): void {
  const isMap = value != null && typeof value === 'object' && !Array.isArray(value) &&
      Object.values(value).every((v) => typeof v === 'string');
  if (value !== undefined && !(typeof value === 'string' && value.length > 0) && !isMap) {
    throw new ValueError(`options.wasmPaths must be the URL of the folder serving tfjs-backend-wasm's .wasm files ` +
        `(a non-empty string) or a map from file name to URL; received ${describeValue(value)}.`);
  }
}

async function initNow(options: InitOptions): Promise<BackendName> {
  checkOptionKeys(options, optionKeys<InitOptions>({backend: true, fastConvInputGradient: true, wasmPaths: true}),
      'init options');
  checkFastConvInputGradient(options.fastConvInputGradient);
  checkWasmPaths(options.wasmPaths);
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
  for (const name of isNode() ? NODE_ORDER : BROWSER_ORDER) {
    if (name === 'webgpu' && tf.findBackendFactory(name) == null) {
      continue;  // Only tried when the user imported a WebGPU backend.
    }
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
 * Selects and initializes the TF.js backend used for training. In Node:
 * tfjs-node ('tensorflow') if installed, otherwise wasm with this library's
 * gradient kernels registered (see `registerWasmTrainingKernels`), otherwise
 * the pure-JS 'cpu' backend. In a browser (page or Web Worker): 'webgpu' if a
 * WebGPU backend was imported, otherwise 'webgl', otherwise wasm (pass
 * `wasmPaths`: a bundle must serve tfjs-backend-wasm's .wasm files),
 * otherwise 'cpu'. Safe to call more than once.
 *
 * @param options.backend Force one backend instead of picking the fastest.
 * @param options.wasmPaths Where tfjs-backend-wasm's .wasm files are served
 *     (its `setWasmPaths`); needed for wasm in a browser bundle.
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
 * const name = await tfmot.backend.init();  // 'tensorflow', 'wasm' or 'cpu' in Node; 'webgl' in most browsers
 * // In a browser bundle, with node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm served at /tfjs-wasm/:
 * await tfmot.backend.init({backend: 'wasm', wasmPaths: '/tfjs-wasm/'});
 * await tfmot.backend.init({backend: 'cpu'});  // force the cpu backend
 * await tfmot.backend.init({fastConvInputGradient: false});  // wasm's own conv input gradient
 * ```
 */
export function init(options: InitOptions = {}): Promise<BackendName> {
  const result = queue.then(() => initNow(options));
  queue = result.catch(() => undefined);
  return result;
}
