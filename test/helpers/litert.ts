/**
 * Runs .tflite bytes in Google's runtime (LiteRT.js, @litertjs/core: the
 * WebAssembly build of LiteRT with XNNPACK) from Node, to check that files we
 * write load and compute what we expect.
 *
 * LiteRT.js is browser-first: its loader fetches its Emscripten glue with
 * `importScripts`. We provide that global (evaluating the glue as CommonJS via
 * node:vm), capture the runtime's print/printErr output, and use the
 * low-level `liteRtWasm` bindings rather than the high-level `Tensor` API,
 * which only takes float32/int32/uint8 tensors (int8 I/O fails there).
 * The runtime is loaded once per process (vitest runs each test file in its
 * own fork) and reused by every call.
 */
import fs from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

import type {LiteRt} from '@litertjs/core';
import {expect} from 'vitest';

/** The element types we exchange with the runtime, named as LiteRT's `ElementType`. */
export type LiteRtTypeName = 'float32'|'int32'|'uint8'|'int64'|'bool'|'int16'|'int8'|'float16'|'float64'|
    'uint32'|'uint16';

export type LiteRtTypedArray =
    Float32Array|Int32Array|Uint8Array|BigInt64Array|Int16Array|Int8Array|Uint16Array|Float64Array|Uint32Array;

export interface LiteRtInput {
  data: LiteRtTypedArray;
  /** Must equal the model's input shape (no resizing). */
  shape: number[];
}

export interface LiteRtOutput {
  data: LiteRtTypedArray;
  shape: number[];
  type: LiteRtTypeName;
}

export interface LiteRtResult {
  outputs: LiteRtOutput[];
  /** Everything the runtime printed while loading, compiling and running this model. */
  log: string[];
}

/** LiteRT `ElementType` codes (litert_model_types.h; differ from TFLite's TensorType codes). */
const ELEMENT_TYPES: ReadonlyMap<number, {name: LiteRtTypeName, array: new (buffer: ArrayBuffer) => LiteRtTypedArray}> =
    new Map([
      [1, {name: 'float32', array: Float32Array}],
      [2, {name: 'int32', array: Int32Array}],
      [3, {name: 'uint8', array: Uint8Array}],
      [4, {name: 'int64', array: BigInt64Array}],
      [6, {name: 'bool', array: Uint8Array}],
      [7, {name: 'int16', array: Int16Array}],
      [9, {name: 'int8', array: Int8Array}],
      // float16 as raw bits: JS has no Float16Array on Node 20.
      [10, {name: 'float16', array: Uint16Array}],
      [11, {name: 'float64', array: Float64Array}],
      [16, {name: 'uint32', array: Uint32Array}],
      [17, {name: 'uint16', array: Uint16Array}],
    ]);

const runtimeLog: string[] = [];
let loading: Promise<LiteRt>|undefined;

/**
 * Loads LiteRT.js once per process and returns it. Picks the non-relaxed-SIMD
 * ("compat") wasm on Node 20 by its own feature detection.
 */
export function loadLiteRtOnce(): Promise<LiteRt> {
  loading ??= loadLiteRtForNode();
  return loading;
}

async function loadLiteRtForNode(): Promise<LiteRt> {
  const require = createRequire(import.meta.url);
  const wasmDir = path.join(path.dirname(require.resolve('@litertjs/core/package.json')), 'wasm') + path.sep;
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
  // Environment.create() probes WebGPU and warns once that `navigator` is missing: keep that out of test output.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => runtimeLog.push(args.map(String).join(' '));
  try {
    const {loadLiteRt} = await import('@litertjs/core');
    return await loadLiteRt(wasmDir);
  } finally {
    console.warn = warn;
  }
}

/** A compiled model, for running many inputs through one compilation. Call `delete()` when done. */
export interface TfliteRunner {
  /** Runs signature 0 with `inputs` in signature order. */
  run(inputs: LiteRtInput[]): Promise<LiteRtOutput[]>;
  /** Everything the runtime printed since this runner was opened. */
  readonly log: string[];
  delete(): void;
}

/**
 * Loads and compiles `bytes` on the wasm CPU path with 1 thread.
 *
 * Note: a model that fails to *prepare* (bad shapes, unsupported op version)
 * does not throw; the runtime logs `ERROR: ...` lines and computes zeros.
 * Check `log` with `expectNoLiteRtErrors`. Garbage bytes do throw.
 */
export async function openTflite(bytes: Uint8Array): Promise<TfliteRunner> {
  const liteRt = await loadLiteRtOnce();
  const wasm = liteRt.liteRtWasm;
  const environment = liteRt.getDefaultEnvironment().liteRtEnvironment;
  const logStart = runtimeLog.length;
  // The runtime reads the model in place: the copy lives until the model is deleted.
  const modelPtr = wasm._malloc(bytes.length);
  wasm.HEAPU8.set(bytes, modelPtr);
  let model: ReturnType<typeof wasm.loadModel>|undefined;
  let compiled: Awaited<ReturnType<typeof wasm.compileModel>>|undefined;
  try {
    model = wasm.loadModel(environment, modelPtr, bytes.length);
    // cpuOptions is read by the bindings although LiteRtCompileOptions does not declare it.
    compiled = await wasm.compileModel(environment, model,
        {accelerator: 'wasm', cpuOptions: {numThreads: 1}} as Parameters<typeof wasm.compileModel>[2]);
  } catch (e) {
    model?.delete();
    wasm._free(modelPtr);
    throw new Error(`LiteRT could not load/compile the model: ${describeError(e)}; log: ${
        runtimeLog.slice(logStart).join(' | ')}`);
  }
  const loadedModel = model;
  const compiledModel = compiled;
  const signature = loadedModel.getSignature(0);
  const inputNames = signature.inputNames();
  const inputCount = inputNames.size();
  inputNames.delete();
  signature.delete();
  let deleted = false;

  async function run(inputs: LiteRtInput[]): Promise<LiteRtOutput[]> {
    if (deleted) {
      throw new Error('run() after delete()');
    }
    if (inputs.length !== inputCount) {
      throw new Error(`the model's signature has ${inputCount} input(s); got ${inputs.length}`);
    }
    const buffers: Array<InstanceType<typeof wasm.LiteRtTensorBuffer>> = [];
    try {
      inputs.forEach((input, i) => buffers.push(createInputBuffer(i, input)));
      const outputs = await compiledModel.run(0, buffers);
      try {
        return outputs.map(readOutputBuffer);
      } finally {
        outputs.forEach((b) => b.delete());
      }
    } finally {
      buffers.forEach((b) => b.delete());
    }
  }

  function createInputBuffer(index: number, input: LiteRtInput) {
    const tensorType = loadedModel.getInputTensorType(0, index);
    try {
      const {name, shape} = describeTensorType(tensorType);
      const expected = ELEMENT_TYPES.get(tensorType.elementType().value)!;
      if (!(input.data instanceof expected.array) || String(input.shape) !== String(shape)) {
        throw new Error(`input ${index}: the model wants ${name} [${shape}], got ${input.data.constructor.name} ` +
            `[${input.shape}]`);
      }
      const byteLength = tensorType.bytes();
      if (input.data.byteLength !== byteLength) {
        throw new Error(`input ${index}: ${input.data.byteLength} bytes of data for a ${byteLength}-byte tensor`);
      }
      const buffer = wasm.LiteRtTensorBuffer.createManaged(
          environment, wasm.LiteRtTensorBufferType.HOST_MEMORY, tensorType, byteLength);
      const ptr = buffer.lock(wasm.LiteRtTensorBufferLockMode.WRITE);
      try {
        wasm.HEAPU8.set(new Uint8Array(input.data.buffer, input.data.byteOffset, byteLength), ptr);
      } finally {
        buffer.unlock();
      }
      return buffer;
    } finally {
      tensorType.delete();
    }
  }

  function readOutputBuffer(buffer: InstanceType<typeof wasm.LiteRtTensorBuffer>): LiteRtOutput {
    const tensorType = buffer.tensorType();
    try {
      const {name, shape} = describeTensorType(tensorType);
      const ptr = buffer.lock(wasm.LiteRtTensorBufferLockMode.READ);
      try {
        // slice() copies out of the wasm heap, which can move when it grows.
        const bytes = wasm.HEAPU8.slice(ptr, ptr + buffer.packedSize());
        return {data: new (ELEMENT_TYPES.get(tensorType.elementType().value)!.array)(bytes.buffer), shape, type: name};
      } finally {
        buffer.unlock();
      }
    } finally {
      tensorType.delete();
    }
  }

  function describeTensorType(tensorType: ReturnType<typeof loadedModel.getInputTensorType>):
      {name: LiteRtTypeName, shape: number[]} {
    const code = tensorType.elementType().value;
    const type = ELEMENT_TYPES.get(code);
    if (type == null) {
      throw new Error(`LiteRT element type ${code} is not handled by this helper`);
    }
    const layout = tensorType.layout();
    const dims = layout.dimensions();
    try {
      return {name: type.name, shape: Array.from({length: dims.size()}, (_, i) => dims.get(i) as number)};
    } finally {
      dims.delete();
      layout.delete();
    }
  }

  return {
    run,
    get log() {
      return runtimeLog.slice(logStart);
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

/** Loads, compiles and runs `bytes` once on `inputs`, freeing everything afterwards. */
export async function runTflite(bytes: Uint8Array, inputs: LiteRtInput[]): Promise<LiteRtResult> {
  const runner = await openTflite(bytes);
  try {
    const outputs = await runner.run(inputs);
    return {outputs, log: runner.log};
  } finally {
    runner.delete();
  }
}

/** The runtime's error lines: it reports failed preparation only this way. */
export function liteRtErrors(log: readonly string[]): string[] {
  return log.filter((line) => /\bERROR\b/.test(line));
}

/** Fails the test with the runtime's error lines, if it printed any. */
export function expectNoLiteRtErrors(log: readonly string[]): void {
  expect(liteRtErrors(log), 'LiteRT reported errors').toEqual([]);
}

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
