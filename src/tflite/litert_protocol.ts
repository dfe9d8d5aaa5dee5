/**
 * What the LiteRT worker (litert_worker.ts) and its host (litert_loader.ts)
 * exchange: tensor types and the messages of each call. Shared by both
 * sides, so it holds only types and constants.
 */

/** Element types of input and output tensors, as LiteRT names them. */
export type TfliteDType = 'float32'|'int32'|'uint8'|'int64'|'bool'|'int16'|'int8'|'float16'|'float64'|'uint32'|
    'uint16';

/** The typed arrays tensors are exchanged in (`bool` as Uint8Array, `float16` as its raw bits in Uint16Array). */
export type TfliteTypedArray = Float32Array|Int32Array|Uint8Array|BigInt64Array|Int16Array|Int8Array|Uint16Array|
    Float64Array|Uint32Array;

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

/** One input or output of a compiled model's signature 0, as LiteRT sees it. */
export interface SessionTensor {
  /** The signature's name for it (LiteRT 2.5 lists them in the subgraph's order). */
  name: string;
  dtype: TfliteDType;
  shape: number[];
  /** Bytes of data. */
  bytes: number;
}

/** What opening a model tells about it. */
export interface OpenedModel {
  /** The worker's handle of the compiled model. */
  handle: number;
  signatureKey: string;
  inputs: SessionTensor[];
  outputs: SessionTensor[];
}

/** What the host asks of the worker. */
export type WorkerCall =
  {op: 'open', bytes: Uint8Array, numThreads: number}|
  {op: 'run', handle: number, batches: TfliteTypedArray[][]}|
  {op: 'delete', handle: number}|
  {op: 'heapBytes'};

/** A call as sent; `id` pairs it with its reply. */
export type WorkerRequest = WorkerCall & {id: number};

/**
 * The reply to one call, with the lines the runtime printed meanwhile.
 * `trapped` says the WebAssembly instance hit a trap or abort: its state can
 * no longer be trusted, and the host replaces the worker.
 */
export type WorkerReply = {id: number, log: string[]} & (
  {ok: true, value: unknown}|
  {ok: false, message: string, trapped: boolean});
