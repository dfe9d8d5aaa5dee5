/**
 * Loads Google's LiteRT.js (`@litertjs/core`, the WebAssembly build of
 * LiteRT with XNNPACK) in Node and opens compiled models with it: the runtime
 * under `Interpreter`. Internal: its types name LiteRT.js, an optional peer
 * dependency, so it is not exported from the package.
 *
 * LiteRT.js is browser-first: its loader fetches its Emscripten glue with
 * `importScripts`. We provide that global (evaluating the glue as CommonJS via
 * node:vm), capture the runtime's print/printErr output in one log, and use
 * the low-level `liteRtWasm` bindings rather than the high-level `Tensor`
 * API, which only takes float32/int32/uint8 tensors (int8 I/O fails there).
 */
import fs from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

import type {LiteRt} from '@litertjs/core';

/** Element types of input and output tensors, as LiteRT names them. */
export type TfliteDType = 'float32'|'int32'|'uint8'|'int64'|'bool'|'int16'|'int8'|'float16'|'float64'|'uint32'|
    'uint16';

/** The typed arrays tensors are exchanged in (`bool` as Uint8Array, `float16` as its raw bits in Uint16Array). */
export type TfliteTypedArray = Float32Array|Int32Array|Uint8Array|BigInt64Array|Int16Array|Int8Array|Uint16Array|
    Float64Array|Uint32Array;

/** LiteRT `ElementType` codes (litert_model_types.h; they differ from TFLite's TensorType codes). */
const ELEMENT_TYPES: ReadonlyMap<number, TfliteDType> = new Map([
  [1, 'float32'], [2, 'int32'], [3, 'uint8'], [4, 'int64'], [6, 'bool'], [7, 'int16'], [9, 'int8'],
  [10, 'float16'], [11, 'float64'], [16, 'uint32'], [17, 'uint16'],
]);

/** A typed array constructor: by length, or over bytes. */
export interface TypedArrayClass {
  new (length: number): TfliteTypedArray;
  new (buffer: ArrayBuffer): TfliteTypedArray;
}

/** The typed array class that holds each dtype's elements (float16 as raw bits: Node 20 has no Float16Array). */
export const TYPED_ARRAYS: Readonly<Record<TfliteDType, TypedArrayClass>> = {
  float32: Float32Array, int32: Int32Array, uint8: Uint8Array, int64: BigInt64Array, bool: Uint8Array,
  int16: Int16Array, int8: Int8Array, float16: Uint16Array, float64: Float64Array, uint32: Uint32Array,
  uint16: Uint16Array,
};

/** Every line the runtime printed in this process, in order. */
const runtimeLog: string[] = [];
let loading: Promise<LiteRt>|undefined;

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
 * Loads LiteRT.js once per process and returns it (the non-relaxed-SIMD
 * "compat" wasm on Node 20, by its own feature detection). A failed load is
 * retried on the next call.
 *
 * @throws Error saying to `npm install @litertjs/core` when it is missing.
 */
export function loadLiteRtOnce(): Promise<LiteRt> {
  loading ??= loadLiteRtForNode().catch((e: unknown) => {
    loading = undefined;
    throw e;
  });
  return loading;
}

async function loadLiteRtForNode(): Promise<LiteRt> {
  const require = createRequire(import.meta.url);
  let packageJson: string;
  try {
    packageJson = require.resolve('@litertjs/core/package.json');
  } catch {
    throw new Error('tfmot.tflite.Interpreter runs models in LiteRT.js, an optional peer dependency that is not ' +
        'installed: npm install @litertjs/core');
  }
  const wasmDir = path.join(path.dirname(packageJson), 'wasm') + path.sep;
  const global = globalThis as Record<string, unknown>;
  global.self ??= globalThis;
  // What the browser loader calls to run the glue script: evaluate it as the CommonJS module it also is.
  global.importScripts = (file: string) => {
    const module = {exports: {} as unknown};
    const glue = vm.compileFunction(fs.readFileSync(file, 'utf8'),
        ['require', '__dirname', '__filename', 'module', 'exports'], {filename: file});
    glue(require, path.dirname(file), file, module, module.exports);
    global.ModuleFactory = module.exports;
  };
  // Read by the loader as the Emscripten module's settings: route the runtime's output to our log.
  global.Module = {
    print: (line: string) => runtimeLog.push(line),
    printErr: (line: string) => runtimeLog.push(line),
  };
  // Environment.create() probes WebGPU and warns once that `navigator` is missing: keep that in the log.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => runtimeLog.push(args.map(String).join(' '));
  try {
    const {loadLiteRt} = await import('@litertjs/core');
    return await loadLiteRt(wasmDir);
  } finally {
    console.warn = warn;
  }
}

/** One input or output of a compiled model's signature 0, as LiteRT sees it. */
export interface SessionTensor {
  /** The signature's name for it (LiteRT 2.5 lists them in the subgraph's order). */
  name: string;
  dtype: TfliteDType;
  shape: number[];
  /** Bytes of data. */
  bytes: number;
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
  delete(): void;
}

/**
 * Loads and compiles `bytes` on the wasm CPU path.
 *
 * @throws Error with the runtime log when LiteRT cannot load or compile the
 *     model (garbage bytes, an operator version it lacks).
 */
export async function openSession(bytes: Uint8Array, numThreads = 1): Promise<LiteRtSession> {
  const liteRt = await loadLiteRtOnce();
  const wasm = liteRt.liteRtWasm;
  const environment = liteRt.getDefaultEnvironment().liteRtEnvironment;
  const logStart = logLength();
  // The runtime reads the model in place: the copy lives until the model is deleted.
  const modelPtr = wasm._malloc(bytes.length);
  wasm.HEAPU8.set(bytes, modelPtr);
  let model: ReturnType<typeof wasm.loadModel>|undefined;
  let compiled: Awaited<ReturnType<typeof wasm.compileModel>>|undefined;
  try {
    model = wasm.loadModel(environment, modelPtr, bytes.length);
    // cpuOptions is read by the bindings although LiteRtCompileOptions does not declare it.
    compiled = await wasm.compileModel(environment, model,
        {accelerator: 'wasm', cpuOptions: {numThreads}} as Parameters<typeof wasm.compileModel>[2]);
  } catch (e) {
    model?.delete();
    wasm._free(modelPtr);
    throw new Error(`LiteRT could not load/compile the model: ${e instanceof Error ? e.message : String(e)}; ` +
        `log: ${logSince(logStart).join(' | ')}`);
  }
  const loadedModel = model;
  const compiledModel = compiled;
  type TensorType = ReturnType<typeof loadedModel.getInputTensorType>;
  type Buffer = InstanceType<typeof wasm.LiteRtTensorBuffer>;

  function describe(name: string, tensorType: TensorType): SessionTensor {
    try {
      const code = tensorType.elementType().value;
      const dtype = ELEMENT_TYPES.get(code);
      if (dtype == null) {
        throw new Error(`LiteRT element type ${code} of '${name}' is not handled`);
      }
      const layout = tensorType.layout();
      const dims = layout.dimensions();
      try {
        const shape = Array.from({length: dims.size()}, (_, i) => dims.get(i) as number);
        return {name, dtype, shape, bytes: tensorType.bytes()};
      } finally {
        dims.delete();
        layout.delete();
      }
    } finally {
      tensorType.delete();
    }
  }

  function signatureTensors(side: 'input'|'output'): SessionTensor[] {
    const signature = loadedModel.getSignature(0);
    const names = side === 'input' ? signature.inputNames() : signature.outputNames();
    try {
      return Array.from({length: names.size()}, (_, i) => describe(String(names.get(i)),
          side === 'input' ? loadedModel.getInputTensorType(0, i) : loadedModel.getOutputTensorType(0, i)));
    } finally {
      names.delete();
      signature.delete();
    }
  }

  let signatureKey: string;
  let inputs: SessionTensor[];
  let outputs: SessionTensor[];
  try {
    const signature = loadedModel.getSignature(0);
    signatureKey = signature.key();
    signature.delete();
    inputs = signatureTensors('input');
    outputs = signatureTensors('output');
  } catch (e) {
    compiledModel.delete();
    loadedModel.delete();
    wasm._free(modelPtr);
    throw e;
  }
  let deleted = false;

  function createInputBuffer(index: number, data: TfliteTypedArray): Buffer {
    const expected = inputs[index];
    if (!(data instanceof TYPED_ARRAYS[expected.dtype]) || data.byteLength !== expected.bytes) {
      throw new Error(`input ${index}: the model wants ${expected.dtype} [${expected.shape}] ` +
          `(${expected.bytes} bytes), got ${data.constructor.name} of ${data.byteLength} bytes`);
    }
    const tensorType = loadedModel.getInputTensorType(0, index);
    try {
      const buffer = wasm.LiteRtTensorBuffer.createManaged(
          environment, wasm.LiteRtTensorBufferType.HOST_MEMORY, tensorType, expected.bytes);
      const ptr = buffer.lock(wasm.LiteRtTensorBufferLockMode.WRITE);
      try {
        wasm.HEAPU8.set(new Uint8Array(data.buffer, data.byteOffset, expected.bytes), ptr);
      } finally {
        buffer.unlock();
      }
      return buffer;
    } finally {
      tensorType.delete();
    }
  }

  function readOutputBuffer(buffer: Buffer, index: number): TfliteTypedArray {
    const ptr = buffer.lock(wasm.LiteRtTensorBufferLockMode.READ);
    try {
      // slice() copies out of the wasm heap, which can move when it grows.
      const data = wasm.HEAPU8.slice(ptr, ptr + buffer.packedSize());
      return new TYPED_ARRAYS[outputs[index].dtype](data.buffer);
    } finally {
      buffer.unlock();
    }
  }

  return {
    signatureKey,
    inputs,
    outputs,
    async run(data) {
      if (deleted) {
        throw new Error('run() after delete()');
      }
      if (data.length !== inputs.length) {
        throw new Error(`the model's signature has ${inputs.length} input(s); got ${data.length}`);
      }
      const buffers: Buffer[] = [];
      try {
        data.forEach((d, i) => buffers.push(createInputBuffer(i, d)));
        const results = await compiledModel.run(0, buffers);
        try {
          return results.map(readOutputBuffer);
        } finally {
          results.forEach((b) => b.delete());
        }
      } finally {
        buffers.forEach((b) => b.delete());
      }
    },
    delete() {
      if (!deleted) {
        deleted = true;
        compiledModel.delete();
        loadedModel.delete();
        wasm._free(modelPtr);
      }
    },
  };
}
