/**
 * The converter's intermediate graph: TFLite operators over float tensors,
 * before any quantization is chosen. Lowering builds it from a LayersModel,
 * calibration runs it, quantization annotates its tensors, serialization
 * turns it into schema objects.
 */

/**
 * The TFLite builtin operators the converter can write (each in float32 and
 * the quantized modes); a file holds only these, so any runtime that has
 * them runs it.
 */
export const TFLITE_OPERATORS = [
  'ABS', 'ADD', 'AVERAGE_POOL_2D', 'CONCATENATION', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'DEQUANTIZE', 'DIV',
  'ELU', 'EXP', 'FULLY_CONNECTED', 'GATHER', 'GELU', 'LEAKY_RELU', 'LOG', 'LOGISTIC', 'MAXIMUM',
  'MAX_POOL_2D', 'MEAN', 'MINIMUM', 'MUL', 'PAD', 'PRELU', 'QUANTIZE', 'REDUCE_MAX', 'RELU', 'RELU6',
  'RESHAPE', 'RESIZE_BILINEAR', 'RESIZE_NEAREST_NEIGHBOR', 'RSQRT', 'SLICE', 'SOFTMAX', 'SUB', 'TANH',
  'TRANSPOSE', 'TRANSPOSE_CONV',
] as const;

/** One of {@link TFLITE_OPERATORS}. */
export type IrOpType = typeof TFLITE_OPERATORS[number];

/** Activations TFLite fuses into the op that produces a tensor. */
export type FusedActivation = 'NONE'|'RELU'|'RELU6';

/** Element types of serialized tensors. */
export type IrDType = 'float32'|'float16'|'int32'|'int64'|'int8'|'uint8'|'int16';

/** Quantization of one tensor, TFLite style: real = (q - zeroPoint) * scale. */
export interface IrQuantization {
  scale: number[];
  zeroPoint: number[];
  /** The axis `scale`/`zeroPoint` run along when per-channel. */
  quantizedDimension: number;
}

/** How a constant is used; decides how each mode stores it. */
export type ConstantRole = 'weights'|'bias'|'shape';

export interface IrTensor {
  id: number;
  name: string;
  /** Static shape; activations have batch 1. */
  shape: number[];
  /** Element type in the file (float32 until quantization changes it). */
  dtype: IrDType;
  /** Constant values (float32 before quantization). */
  data?: Float32Array|Int32Array|Int8Array|Int16Array|Uint8Array|Uint16Array|BigInt64Array;
  /** For constants: what they are, so each mode knows how to store them. */
  role?: ConstantRole;
  /** For per-channel weights: the output-channel axis in the TFLite layout. */
  channelAxis?: number;
  /** Activation range [min, max], from QAT quantizers or calibration. */
  range?: [number, number];
  quantization?: IrQuantization;
}

export interface IrOp {
  type: IrOpType;
  /** null marks an omitted optional input (e.g. no bias). */
  inputs: Array<IrTensor|null>;
  outputs: IrTensor[];
  options: Record<string, unknown>;
  activation: FusedActivation;
  /** The layer it came from, for error messages and debugging. */
  source: string;
}

export interface IrGraph {
  inputs: IrTensor[];
  outputs: IrTensor[];
  ops: IrOp[];
  tensors: IrTensor[];
  /** Names for the signature, in input/output order. */
  inputNames: string[];
  outputNames: string[];
}

/** Creates tensors with unique ids and names. */
export class IrBuilder {
  readonly tensors: IrTensor[] = [];
  readonly ops: IrOp[] = [];
  private readonly names = new Set<string>();

  tensor(name: string, shape: number[], init: Partial<IrTensor> = {}): IrTensor {
    let unique = name;
    for (let i = 1; this.names.has(unique); i++) {
      unique = `${name}_${i}`;
    }
    this.names.add(unique);
    const t: IrTensor = {id: this.tensors.length, name: unique, shape: [...shape], dtype: 'float32', ...init};
    this.tensors.push(t);
    return t;
  }

  constant(name: string, shape: number[], data: Float32Array|Int32Array, role: ConstantRole,
      channelAxis?: number): IrTensor {
    const dtype = data instanceof Int32Array ? 'int32' : 'float32';
    return this.tensor(name, shape, {data, dtype, role, channelAxis});
  }

  op(type: IrOpType, inputs: Array<IrTensor|null>, outputs: IrTensor[], source: string,
      options: Record<string, unknown> = {}, activation: FusedActivation = 'NONE'): IrOp {
    const op: IrOp = {type, inputs, outputs, options, activation, source};
    this.ops.push(op);
    return op;
  }
}

/** The op producing each tensor, and the ops reading it. */
export function graphIndex(graph: IrGraph): {
  producer: Map<IrTensor, IrOp>,
  consumers: Map<IrTensor, IrOp[]>,
} {
  const producer = new Map<IrTensor, IrOp>();
  const consumers = new Map<IrTensor, IrOp[]>();
  for (const op of graph.ops) {
    for (const t of op.outputs) {
      producer.set(t, op);
    }
    for (const t of op.inputs) {
      if (t != null) {
        consumers.set(t, [...(consumers.get(t) ?? []), op]);
      }
    }
  }
  return {producer, consumers};
}
