/**
 * A typed model of the part of the TFLite flatbuffer schema
 * (tflite_schema.fbs, file identifier "TFL3", schema version 3) that this
 * library writes and reads. Plain data: `writeModel` turns a `Model` into
 * bytes, `readModel` turns bytes back into the same `Model`.
 *
 * Enum-valued fields hold the numeric codes stored in the file; the literal
 * tables (`TensorType.INT8`, `Padding.SAME`, ...) give them names. They are
 * generated from schema/tflite_schema.fbs (generated/schema_codes.ts, `npm run
 * gen:schema`); the types and helpers here are written by hand.
 */
import type {BuiltinOperatorCode} from './builtin_operators.js';
import {
  ActivationFunctionType, BuiltinOptionsType, FullyConnectedOptionsWeightsFormat, Padding, TensorType,
} from './generated/schema_codes.js';

export {BuiltinOperator, builtinOperatorName} from './builtin_operators.js';
export type {BuiltinOperatorCode, BuiltinOperatorName} from './builtin_operators.js';
export {TFLITE_FILE_IDENTIFIER} from './generated/schema_codes.js';
export {ActivationFunctionType, BuiltinOptionsType, FullyConnectedOptionsWeightsFormat, Padding, TensorType};

/**
 * The schema version TFLite runtimes expect in `Model.version`: the digit of
 * the file identifier "TFL3" (the .fbs states it only in comments).
 */
export const TFLITE_SCHEMA_VERSION = 3;

export type TensorTypeName = keyof typeof TensorType;
export type TensorTypeCode = (typeof TensorType)[TensorTypeName];

export type ActivationFunctionTypeName = keyof typeof ActivationFunctionType;
export type ActivationFunctionTypeCode = (typeof ActivationFunctionType)[ActivationFunctionTypeName];

export type PaddingName = keyof typeof Padding;
export type PaddingCode = (typeof Padding)[PaddingName];

export type FullyConnectedOptionsWeightsFormatCode =
    (typeof FullyConnectedOptionsWeightsFormat)[keyof typeof FullyConnectedOptionsWeightsFormat];

/** The name of a modelled options table, e.g. `'Conv2DOptions'`. */
export type BuiltinOptionsName = Exclude<keyof typeof BuiltinOptionsType, 'NONE'>;

// ---------------------------------------------------------------------------
// Option tables. Field names are the schema's in camelCase; every scalar is
// present (the reader fills in the schema default) so a read model always has
// the same shape as a fully written one.

export interface Conv2DOptions {
  type: 'Conv2DOptions';
  padding: PaddingCode;
  strideW: number;
  strideH: number;
  fusedActivationFunction: ActivationFunctionTypeCode;
  /** Schema default 1. */
  dilationWFactor: number;
  /** Schema default 1. */
  dilationHFactor: number;
  /** Op version 8+ only; FLOAT32 (0) means "not set". */
  quantizedBiasType: TensorTypeCode;
}

export interface DepthwiseConv2DOptions {
  type: 'DepthwiseConv2DOptions';
  padding: PaddingCode;
  strideW: number;
  strideH: number;
  /** Redundant with the filter shape, but older kernels read it: set it right. */
  depthMultiplier: number;
  fusedActivationFunction: ActivationFunctionTypeCode;
  /** Schema default 1. */
  dilationWFactor: number;
  /** Schema default 1. */
  dilationHFactor: number;
}

/** Options of AVERAGE_POOL_2D, MAX_POOL_2D and L2_POOL_2D. */
export interface Pool2DOptions {
  type: 'Pool2DOptions';
  padding: PaddingCode;
  strideW: number;
  strideH: number;
  filterWidth: number;
  filterHeight: number;
  fusedActivationFunction: ActivationFunctionTypeCode;
}

export interface FullyConnectedOptions {
  type: 'FullyConnectedOptions';
  fusedActivationFunction: ActivationFunctionTypeCode;
  weightsFormat: FullyConnectedOptionsWeightsFormatCode;
  /** Keep the input rank (op version 5+); false flattens to [batch, units]. */
  keepNumDims: boolean;
  /** Dynamic-range (weights-only) quantization detail (op version 7+). */
  asymmetricQuantizeInputs: boolean;
  /** Op version 11+ only; FLOAT32 (0) means "not set". */
  quantizedBiasType: TensorTypeCode;
}

export interface SoftmaxOptions {
  type: 'SoftmaxOptions';
  beta: number;
}

export interface ConcatenationOptions {
  type: 'ConcatenationOptions';
  axis: number;
  fusedActivationFunction: ActivationFunctionTypeCode;
}

export interface AddOptions {
  type: 'AddOptions';
  fusedActivationFunction: ActivationFunctionTypeCode;
  /** int16 kernels only; schema default true. */
  potScaleInt16: boolean;
}

export interface SubOptions {
  type: 'SubOptions';
  fusedActivationFunction: ActivationFunctionTypeCode;
  /** int16 kernels only; schema default true. */
  potScaleInt16: boolean;
}

export interface MulOptions {
  type: 'MulOptions';
  fusedActivationFunction: ActivationFunctionTypeCode;
}

export interface ReshapeOptions {
  type: 'ReshapeOptions';
  /**
   * The target shape. Runtimes prefer the second (shape tensor) input; an
   * absent vector (`undefined`) and an empty one (a scalar) differ.
   */
  newShape?: number[];
}

/** Options of MEAN, SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD, ... */
export interface ReducerOptions {
  type: 'ReducerOptions';
  keepDims: boolean;
}

export interface SqueezeOptions {
  type: 'SqueezeOptions';
  /** Axes to drop; empty drops every dimension of size 1. */
  squeezeDims: number[];
}

export interface TransposeConvOptions {
  type: 'TransposeConvOptions';
  padding: PaddingCode;
  strideW: number;
  strideH: number;
  /** Op version 4+ only. */
  fusedActivationFunction: ActivationFunctionTypeCode;
  /** Op version 5+ only; FLOAT32 (0) means "not set". */
  quantizedBiasType: TensorTypeCode;
}

/** Options of RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR (the deprecated new_height/new_width left out). */
export interface ResizeOptions {
  type: 'ResizeBilinearOptions'|'ResizeNearestNeighborOptions';
  alignCorners: boolean;
  /** Op version 3+ only. */
  halfPixelCenters: boolean;
}

export interface LeakyReluOptions {
  type: 'LeakyReluOptions';
  alpha: number;
}

export interface DivOptions {
  type: 'DivOptions';
  fusedActivationFunction: ActivationFunctionTypeCode;
}

export interface GeluOptions {
  type: 'GeluOptions';
  /** The tanh approximation instead of the exact erf form. */
  approximate: boolean;
}

/** Option tables without fields: still written, as the TFLite converter does. */
export interface EmptyOptions {
  type: 'PadOptions'|'TransposeOptions'|'DequantizeOptions'|'QuantizeOptions'|'HardSwishOptions'|
      'SliceOptions';
}

/** The options of one operator: a union discriminated by the table name. */
export type BuiltinOptions =
    Conv2DOptions|DepthwiseConv2DOptions|Pool2DOptions|FullyConnectedOptions|SoftmaxOptions|
    ConcatenationOptions|AddOptions|SubOptions|MulOptions|ReshapeOptions|ReducerOptions|
    SqueezeOptions|EmptyOptions|
    TransposeConvOptions|ResizeOptions|LeakyReluOptions|GeluOptions|
    DivOptions;

/**
 * Options of a table this model does not describe, kept by `readModel` so
 * files from other converters can still be inspected. `writeModel` rejects it.
 */
export interface UnknownOptions {
  type: 'UnknownOptions';
  /** The `BuiltinOptions` union type code found in the file. */
  typeCode: number;
}

// ---------------------------------------------------------------------------
// Tables.

/** `table QuantizationParameters`: real = (q - zeroPoint) * scale. */
export interface QuantizationParameters {
  /** Float ranges, for importing back into TensorFlow; runtimes ignore them. */
  min?: number[];
  max?: number[];
  /** Stored as float32: pass `Math.fround` values to compare after a round trip. */
  scale: number[];
  /** Stored as int64; per tensor (length 1) or one per channel. */
  zeroPoint: number[];
  /** The axis scale/zeroPoint run along when per-channel (0 otherwise). */
  quantizedDimension: number;
}

/** `table DimensionMetadata` of a sparse tensor. */
export interface DimensionMetadata {
  format: 'DENSE'|'SPARSE_CSR';
  /** For DENSE dimensions. */
  denseSize: number;
  /** For SPARSE_CSR dimensions: CSR row pointers and column indices (written as int32). */
  arraySegments?: number[];
  arrayIndices?: number[];
}

/** `table SparsityParameters` (TACO-style sparse weights). */
export interface SparsityParameters {
  traversalOrder: number[];
  blockMap: number[];
  dimMetadata: DimensionMetadata[];
}

export interface Tensor {
  /** Static shape (NHWC for images); `[]` is a scalar. */
  shape: number[];
  /** Shape with -1 for unknown dimensions (e.g. a dynamic batch). */
  shapeSignature?: number[];
  type: TensorTypeCode;
  /** Index into `Model.buffers`; 0 (the empty sentinel) for non-constant tensors. */
  buffer: number;
  name: string;
  quantization?: QuantizationParameters;
  sparsity?: SparsityParameters;
  /** Read/write state (e.g. RNN state); absent means false. */
  isVariable?: boolean;
}

export interface OperatorCode {
  builtinCode: BuiltinOperatorCode;
  /** Kernel version; the runtime rejects versions it does not implement. */
  version: number;
  /** The op name when `builtinCode` is CUSTOM (32); such ops need a registered kernel. */
  customCode?: string;
}

export interface Operator {
  /** Index into `Model.operatorCodes`. */
  opcodeIndex: number;
  /** Tensor indices; -1 marks an omitted optional input (e.g. no bias). */
  inputs: number[];
  outputs: number[];
  /** Absent for ops without options (RELU, LOGISTIC, TANH, ...). */
  builtinOptions?: BuiltinOptions|UnknownOptions;
}

export interface SubGraph {
  tensors: Tensor[];
  /** Indices of the non-constant tensors fed at inference. */
  inputs: number[];
  outputs: number[];
  /** In execution order. */
  operators: Operator[];
  name: string;
}

/** Raw little-endian tensor data (constant weights), written 16-byte aligned. */
export interface Buffer {
  data: Uint8Array;
}

/** `table TensorMap`: a signature's name for one tensor of the subgraph. */
export interface TensorMap {
  name: string;
  tensorIndex: number;
}

export interface SignatureDef {
  inputs: TensorMap[];
  outputs: TensorMap[];
  /** `'serving_default'` for the single signature of a converted model. */
  signatureKey: string;
  subgraphIndex: number;
}

/** `table Metadata`: named extra data kept in one of the buffers. */
export interface Metadata {
  name: string;
  buffer: number;
}

export interface Model {
  /** Schema version: `TFLITE_SCHEMA_VERSION` (3). */
  version: number;
  description: string;
  operatorCodes: OperatorCode[];
  /** Subgraph 0 is the main model. */
  subgraphs: SubGraph[];
  /**
   * Buffer 0 must be the empty sentinel (`{data: new Uint8Array(0)}`): tensors
   * without data point at it. `writeModel` checks this rather than inserting
   * it, so buffer indices in the model and in the file are the same.
   */
  buffers: Buffer[];
  signatureDefs: SignatureDef[];
  metadata?: Metadata[];
}

/** Name of a tensor type code, or `UNKNOWN(<code>)`. */
export function tensorTypeName(code: number): string {
  return TENSOR_TYPE_NAMES.get(code) ?? `UNKNOWN(${code})`;
}

const TENSOR_TYPE_NAMES: ReadonlyMap<number, string> =
    new Map(Object.entries(TensorType).map(([name, code]) => [code, name]));

/** Name of an activation code, or `UNKNOWN(<code>)`. */
export function activationName(code: number): string {
  return ACTIVATION_NAMES.get(code) ?? `UNKNOWN(${code})`;
}

const ACTIVATION_NAMES: ReadonlyMap<number, string> =
    new Map(Object.entries(ActivationFunctionType).map(([name, code]) => [code, name]));

/** Bytes per element of the fixed-width tensor types (undefined for STRING, INT4, ...). */
export const TENSOR_TYPE_BYTES: Readonly<Partial<Record<TensorTypeName, number>>> = {
  FLOAT32: 4, FLOAT16: 2, INT32: 4, UINT8: 1, INT64: 8, BOOL: 1, INT16: 2, COMPLEX64: 8,
  INT8: 1, FLOAT64: 8, COMPLEX128: 16, UINT64: 8, UINT32: 4, UINT16: 2, BFLOAT16: 2,
};
