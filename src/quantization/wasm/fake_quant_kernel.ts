/**
 * Runs fake_quant.wat on tensors of the tfjs wasm backend, in its own heap.
 * It reaches into tfjs-backend-wasm 4.x internals (the exported memory, each
 * tensor's heap offset); wherever they are not as expected it returns null
 * and callers use tfjs ops instead.
 */
import * as tf from '@tensorflow/tfjs-core';

import {FAKE_QUANT_WASM_BASE64} from './fake_quant_wasm.js';

// The ES2022 lib has no WebAssembly types; these are the parts used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
declare const WebAssembly: {
  Memory: new (descriptor: {initial: number}) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => {exports: object};
};

interface WasmBackendInternals {
  wasm?: {asm?: {memory?: WasmMemory}};
  dataIdMap?: {get(dataId: object): {memoryOffset: number}|undefined};
  makeOutput?(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap?(info: tf.TensorInfo): Float32Array;
}

interface FakeQuantExports {
  fake_quant(x: number, out: number, mask: number, n: number, lo: number, hi: number,
      scale: number, quantZero: number): void;
  min_max(x: number, n: number, out: number): void;
}

let cached: {memory: WasmMemory, exports: FakeQuantExports}|null = null;

function internals(x: tf.Tensor): {backend: Required<WasmBackendInternals>, exports: FakeQuantExports}|null {
  if (tf.getBackend() !== 'wasm' || x.dtype !== 'float32' || x.size === 0) {
    return null;
  }
  const backend = tf.backend() as unknown as WasmBackendInternals;
  const memory = backend.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory) || backend.dataIdMap == null ||
      backend.makeOutput == null || backend.typedArrayFromHeap == null ||
      backend.dataIdMap.get(x.dataId) == null) {
    return null;
  }
  if (cached?.memory !== memory) {
    const bytes = Uint8Array.from(atob(FAKE_QUANT_WASM_BASE64), (c) => c.charCodeAt(0));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {env: {memory}});
    cached = {memory, exports: instance.exports as unknown as FakeQuantExports};
  }
  return {backend: backend as Required<WasmBackendInternals>, exports: cached.exports};
}

function offset(backend: Required<WasmBackendInternals>, info: tf.TensorInfo): number {
  return backend.dataIdMap.get(info.dataId)!.memoryOffset;
}

/** Per-tensor nudged parameters, as NudgedRange in fake_quant_ops.ts. */
export interface WasmFakeQuantParams {
  nudgedMin: number;
  nudgedMax: number;
  scale: number;
  quantZero: number;
}

/**
 * One pass over `x`: the fake-quantized values and the straight-through
 * mask (1 inside the nudged range, else 0), or null off the wasm backend.
 */
export function wasmFakeQuant(x: tf.Tensor, p: WasmFakeQuantParams): [tf.Tensor, tf.Tensor]|null {
  const env = internals(x);
  if (env == null) {
    return null;
  }
  const {backend, exports} = env;
  // Allocate both outputs before taking any offset: allocation may move memory.
  const out = backend.makeOutput(x.shape, 'float32');
  const mask = backend.makeOutput(x.shape, 'float32');
  exports.fake_quant(offset(backend, x), offset(backend, out), offset(backend, mask), x.size,
      p.nudgedMin, p.nudgedMax, p.scale, p.quantZero);
  // The engine's tensor takes over the single reference makeOutput created.
  const engine = tf.engine();
  return [engine.makeTensorFromTensorInfo(out), engine.makeTensorFromTensorInfo(mask)];
}

/** [min, max] of all of `x` in one pass, or null off the wasm backend. */
export function wasmMinMax(x: tf.Tensor): [number, number]|null {
  const env = internals(x);
  if (env == null) {
    return null;
  }
  const {backend, exports} = env;
  const result = tf.engine().makeTensorFromTensorInfo(backend.makeOutput([2], 'float32'));
  try {
    exports.min_max(offset(backend, x), x.size, offset(backend, result));
    const [lo, hi] = backend.typedArrayFromHeap(result);
    return [lo, hi];
  } finally {
    result.dispose();
  }
}
