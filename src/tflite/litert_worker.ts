/**
 * The worker thread that runs Google's LiteRT.js (`@litertjs/core`, the
 * WebAssembly build of LiteRT with XNNPACK) for `Interpreter`. LiteRT runs
 * here rather than in the caller's thread because a hostile or corrupt file
 * can trap its WebAssembly instance, after which every call spins forever:
 * the host (litert_loader.ts) then throws this worker away, and a stuck call
 * can be stopped at all only from another thread.
 *
 * LiteRT.js is browser-first: its loader fetches its Emscripten glue with
 * `importScripts`. We provide that global (evaluating the glue as CommonJS via
 * node:vm), capture the runtime's print/printErr output, and use the
 * low-level `liteRtWasm` bindings rather than the high-level `Tensor` API,
 * which only takes float32/int32/uint8 tensors (int8 I/O fails there).
 */
import fs from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import {parentPort} from 'node:worker_threads';

import type {LiteRt} from '@litertjs/core';

import {TYPED_ARRAYS} from './litert_protocol.js';
import type {OpenedModel, SessionTensor, TfliteDType, TfliteTypedArray, WorkerReply, WorkerRequest} from
    './litert_protocol.js';

/** LiteRT `ElementType` codes (litert_model_types.h; they differ from TFLite's TensorType codes). */
const ELEMENT_TYPES: ReadonlyMap<number, TfliteDType> = new Map([
  [1, 'float32'], [2, 'int32'], [3, 'uint8'], [4, 'int64'], [6, 'bool'], [7, 'int16'], [9, 'int8'],
  [10, 'float16'], [11, 'float64'], [16, 'uint32'], [17, 'uint16'],
]);

/** What the runtime printed since the current call began. */
let printed: string[] = [];

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
  // Read by the loader as the Emscripten module's settings: route the runtime's output to the call's log.
  global.Module = {
    print: (line: string) => printed.push(line),
    printErr: (line: string) => printed.push(line),
  };
  // Environment.create() probes WebGPU and warns once that `navigator` is missing: keep that in the log.
  console.warn = (...args: unknown[]) => printed.push(args.map(String).join(' '));
  const {loadLiteRt} = await import('@litertjs/core');
  return await loadLiteRt(wasmDir);
}

let loading: Promise<LiteRt>|undefined;

/** Loads LiteRT once per worker; a failed load is retried on the next call. */
function liteRt(): Promise<LiteRt> {
  loading ??= loadLiteRtForNode().catch((e: unknown) => {
    loading = undefined;
    throw e;
  });
  return loading;
}

type Wasm = LiteRt['liteRtWasm'];
type LoadedModel = ReturnType<Wasm['loadModel']>;
type CompiledModel = Awaited<ReturnType<Wasm['compileModel']>>;
type Buffer = InstanceType<Wasm['LiteRtTensorBuffer']>;

interface Session {
  model: LoadedModel;
  compiled: CompiledModel;
  modelPtr: number;
  inputs: SessionTensor[];
  outputs: SessionTensor[];
}

const sessions = new Map<number, Session>();
let nextHandle = 1;

function describe(name: string, tensorType: ReturnType<LoadedModel['getInputTensorType']>): SessionTensor {
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

function signatureTensors(model: LoadedModel, side: 'input'|'output'): SessionTensor[] {
  const signature = model.getSignature(0);
  const names = side === 'input' ? signature.inputNames() : signature.outputNames();
  try {
    return Array.from({length: names.size()}, (_, i) => describe(String(names.get(i)),
        side === 'input' ? model.getInputTensorType(0, i) : model.getOutputTensorType(0, i)));
  } finally {
    names.delete();
    signature.delete();
  }
}

/** Loads and compiles `bytes` on the wasm CPU path. */
async function open(bytes: Uint8Array, numThreads: number): Promise<OpenedModel> {
  const runtime = await liteRt();
  const wasm = runtime.liteRtWasm;
  const environment = runtime.getDefaultEnvironment().liteRtEnvironment;
  // The runtime reads the model in place: the copy lives until the model is deleted.
  const modelPtr = wasm._malloc(bytes.length);
  wasm.HEAPU8.set(bytes, modelPtr);
  let model: LoadedModel|undefined;
  let compiled: CompiledModel|undefined;
  try {
    model = wasm.loadModel(environment, modelPtr, bytes.length);
    // cpuOptions is read by the bindings although LiteRtCompileOptions does not declare it.
    compiled = await wasm.compileModel(environment, model,
        {accelerator: 'wasm', cpuOptions: {numThreads}} as Parameters<Wasm['compileModel']>[2]);
    const signature = model.getSignature(0);
    const signatureKey = signature.key();
    signature.delete();
    const session = {model, compiled, modelPtr, inputs: signatureTensors(model, 'input'),
      outputs: signatureTensors(model, 'output')};
    const handle = nextHandle++;
    sessions.set(handle, session);
    return {handle, signatureKey, inputs: session.inputs, outputs: session.outputs};
  } catch (e) {
    compiled?.delete();
    model?.delete();
    wasm._free(modelPtr);
    throw e;
  }
}

function sessionOf(handle: number): Session {
  const session = sessions.get(handle);
  if (session == null) {
    throw new Error(`no compiled model ${handle} in this LiteRT worker`);
  }
  return session;
}

/** Runs signature 0 of a compiled model on inputs the host has checked. */
async function run(handle: number, data: TfliteTypedArray[]): Promise<TfliteTypedArray[]> {
  const runtime = await liteRt();
  const wasm = runtime.liteRtWasm;
  const environment = runtime.getDefaultEnvironment().liteRtEnvironment;
  const {model, compiled, inputs, outputs} = sessionOf(handle);
  const buffers: Buffer[] = [];
  try {
    data.forEach((d, i) => {
      const tensorType = model.getInputTensorType(0, i);
      try {
        const buffer = wasm.LiteRtTensorBuffer.createManaged(
            environment, wasm.LiteRtTensorBufferType.HOST_MEMORY, tensorType, inputs[i].bytes);
        buffers.push(buffer);
        const ptr = buffer.lock(wasm.LiteRtTensorBufferLockMode.WRITE);
        try {
          wasm.HEAPU8.set(new Uint8Array(d.buffer, d.byteOffset, inputs[i].bytes), ptr);
        } finally {
          buffer.unlock();
        }
      } finally {
        tensorType.delete();
      }
    });
    const results = await compiled.run(0, buffers);
    try {
      return results.map((buffer, i) => {
        const ptr = buffer.lock(wasm.LiteRtTensorBufferLockMode.READ);
        try {
          // slice() copies out of the wasm heap, which can move when it grows.
          const bytes = wasm.HEAPU8.slice(ptr, ptr + buffer.packedSize());
          return new TYPED_ARRAYS[outputs[i].dtype](bytes.buffer);
        } finally {
          buffer.unlock();
        }
      });
    } finally {
      results.forEach((b) => b.delete());
    }
  } finally {
    buffers.forEach((b) => b.delete());
  }
}

async function remove(handle: number): Promise<void> {
  const session = sessions.get(handle);
  if (session != null) {
    sessions.delete(handle);
    session.compiled.delete();
    session.model.delete();
    (await liteRt()).liteRtWasm._free(session.modelPtr);
  }
}

async function perform(request: WorkerRequest): Promise<unknown> {
  switch (request.op) {
    case 'open':
      return open(request.bytes, request.numThreads);
    case 'run': {
      // One message for many runs: a round trip between threads costs more than running a small model.
      const outputs: TfliteTypedArray[][] = [];
      for (const inputs of request.batches) {
        outputs.push(await run(request.handle, inputs));
      }
      return outputs;
    }
    case 'delete':
      return remove(request.handle);
    case 'heapBytes':
      return (await liteRt()).liteRtWasm.HEAPU8.length;
  }
}

/**
 * A trap (WebAssembly.RuntimeError: out-of-bounds access, a bad indirect
 * call, `unreachable`) or an Emscripten abort leaves the instance in a state
 * no later call can trust.
 */
function isTrap(e: unknown): boolean {
  const {RuntimeError} = (globalThis as unknown as {WebAssembly: {RuntimeError: ErrorConstructor}}).WebAssembly;
  return e instanceof RuntimeError || /\bAborted\(/.test(String((e as Error)?.message ?? e));
}

/** Calls run one at a time: the log of each is what the runtime printed during it. */
let queue: Promise<void> = Promise.resolve();

parentPort!.on('message', (request: WorkerRequest) => {
  queue = queue.then(async () => {
    printed = [];
    let reply: WorkerReply;
    try {
      const value = await perform(request);
      reply = {id: request.id, log: printed, ok: true, value};
    } catch (e) {
      reply = {id: request.id, log: printed, ok: false, message: e instanceof Error ? e.message : String(e),
        trapped: isTrap(e)};
    }
    // Outputs are fresh copies out of the heap: hand them over rather than copy them again.
    const outputs = request.op === 'run' && reply.ok ? (reply.value as TfliteTypedArray[][]).flat() : [];
    parentPort!.postMessage(reply, outputs.map((o) => o.buffer as ArrayBuffer));
  });
});
