/**
 * LiteRT.js (`@litertjs/core`) driven in the current thread: compiled models
 * ("sessions"), load/compile, run and the runtime's printed lines, over the
 * low-level `liteRtWasm` bindings rather than the high-level `Tensor` API,
 * which only takes float32/int32/uint8 tensors (int8 I/O fails there).
 *
 * Platform-neutral: the Node worker thread (litert_worker.ts) and the browser
 * host (litert_browser.ts) each bring their own way of loading LiteRT's
 * Emscripten glue and hand it to `LiteRtRuntime`.
 */
import type {LiteRt} from '@litertjs/core';

import {TYPED_ARRAYS} from './litert_protocol.js';
import type {OpenedModel, SessionTensor, TfliteDType, TfliteTypedArray, WorkerCall, WorkerReply} from
    './litert_protocol.js';

/** LiteRT `ElementType` codes (litert_model_types.h; they differ from TFLite's TensorType codes). */
const ELEMENT_TYPES: ReadonlyMap<number, TfliteDType> = new Map([
  [1, 'float32'], [2, 'int32'], [3, 'uint8'], [4, 'int64'], [6, 'bool'], [7, 'int16'], [9, 'int8'],
  [10, 'float16'], [11, 'float64'], [16, 'uint32'], [17, 'uint16'],
]);

/** Loads a LiteRT instance whose printed lines go to `print`. */
export type LiteRtLoader = (print: (line: string) => void) => Promise<LiteRt>;

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

/**
 * A trap (WebAssembly.RuntimeError: out-of-bounds access, a bad indirect
 * call, `unreachable`) or an Emscripten abort leaves the instance in a state
 * no later call can trust.
 */
export function isTrap(e: unknown): boolean {
  const {RuntimeError} = (globalThis as unknown as {WebAssembly: {RuntimeError: ErrorConstructor}}).WebAssembly;
  return e instanceof RuntimeError || /\bAborted\(/.test(String((e as Error)?.message ?? e));
}

/**
 * One LiteRT instance and the models compiled on it. Calls run one at a
 * time, so the log of each is what the runtime printed during it. After a
 * trap the owner must drop this object (its instance cannot be trusted).
 */
export class LiteRtRuntime {
  private printed: string[] = [];
  private loading: Promise<LiteRt>|undefined;
  private readonly sessions = new Map<number, Session>();
  private nextHandle = 1;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly loader: LiteRtLoader) {}

  /** Performs `call` after every earlier one; never rejects (failures are in the reply). */
  handle(call: WorkerCall & {id: number}): Promise<WorkerReply> {
    const reply = this.queue.then(async (): Promise<WorkerReply> => {
      this.printed = [];
      try {
        const value = await this.perform(call);
        return {id: call.id, log: this.printed, ok: true, value};
      } catch (e) {
        return {id: call.id, log: this.printed, ok: false, message: e instanceof Error ? e.message : String(e),
          trapped: isTrap(e)};
      }
    });
    this.queue = reply;
    return reply;
  }

  /** Loads LiteRT once; a failed load is retried on the next call. */
  private liteRt(): Promise<LiteRt> {
    this.loading ??= this.loader((line) => this.printed.push(line)).catch((e: unknown) => {
      this.loading = undefined;
      throw e;
    });
    return this.loading;
  }

  private async perform(call: WorkerCall): Promise<unknown> {
    switch (call.op) {
      case 'open':
        return this.open(call.bytes, call.numThreads);
      case 'run': {
        // One call for many runs: a round trip between threads costs more than running a small model.
        const outputs: TfliteTypedArray[][] = [];
        for (const inputs of call.batches) {
          outputs.push(await this.run(call.handle, inputs));
        }
        return outputs;
      }
      case 'delete':
        return this.remove(call.handle);
      case 'heapBytes':
        return (await this.liteRt()).liteRtWasm.HEAPU8.length;
    }
  }

  /** Loads and compiles `bytes` on the wasm CPU path. */
  private async open(bytes: Uint8Array, numThreads: number): Promise<OpenedModel> {
    const runtime = await this.liteRt();
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
      const handle = this.nextHandle++;
      this.sessions.set(handle, session);
      return {handle, signatureKey, inputs: session.inputs, outputs: session.outputs};
    } catch (e) {
      compiled?.delete();
      model?.delete();
      wasm._free(modelPtr);
      throw e;
    }
  }

  private sessionOf(handle: number): Session {
    const session = this.sessions.get(handle);
    if (session == null) {
      throw new Error(`no compiled model ${handle} in this LiteRT instance`);
    }
    return session;
  }

  /** Runs signature 0 of a compiled model on inputs the host has checked. */
  private async run(handle: number, data: TfliteTypedArray[]): Promise<TfliteTypedArray[]> {
    const runtime = await this.liteRt();
    const wasm = runtime.liteRtWasm;
    const environment = runtime.getDefaultEnvironment().liteRtEnvironment;
    const {model, compiled, inputs, outputs} = this.sessionOf(handle);
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

  private async remove(handle: number): Promise<void> {
    const session = this.sessions.get(handle);
    if (session != null) {
      this.sessions.delete(handle);
      session.compiled.delete();
      session.model.delete();
      (await this.liteRt()).liteRtWasm._free(session.modelPtr);
    }
  }
}
