/**
 * Where each field of the modelled option tables sits in the flatbuffer: one
 * declarative table used by both the writer and the reader, so the two cannot
 * disagree. Slots, kinds and defaults are generated from the .fbs
 * (generated/options_fields.ts); the type below checks that every generated
 * field name is a field of the hand-written options interface.
 */
import type {BuiltinOperatorName} from './builtin_operators.js';
import {OPTIONS_FIELDS} from './generated/options_fields.js';
import type {BuiltinOptions, BuiltinOptionsName} from './schema.js';

/** How a field is stored: byte enums, bools, 32-bit scalars or an int vector. */
export type FieldKind = 'int8'|'bool'|'int32'|'uint32'|'float32'|'int32[]';

/** One field of an options table. */
export interface FieldLayout<T> {
  name: Exclude<keyof T, 'type'> & string;
  slot: number;
  kind: FieldKind;
  /** Schema default, applied by the reader and left out by the writer. Vectors have none. */
  default?: number|boolean;
  /**
   * Vectors only: absent in the file reads as `undefined` (kept distinct from
   * `[]`) instead of `[]`.
   */
  optional?: boolean;
}

type OptionsOf<K extends BuiltinOptionsName> = Extract<BuiltinOptions, {type: K}>;

/** The fields of every modelled options table, in slot order. */
export const OPTIONS_LAYOUT: {readonly [K in BuiltinOptionsName]: ReadonlyArray<FieldLayout<OptionsOf<K>>>} = {
  ...OPTIONS_FIELDS,
  // An absent new_shape and an empty one (a scalar target) mean different things.
  ReshapeOptions: OPTIONS_FIELDS.ReshapeOptions.map((field) => field.name === 'newShape' ? {...field, optional: true} : field),
};

/**
 * The options table each operator reads. Writing another table for one of
 * these ops makes the runtime misread the bytes, so the writer rejects it.
 */
export const OPTIONS_OF_OPERATOR: Readonly<Partial<Record<BuiltinOperatorName, BuiltinOptionsName>>> = {
  CONV_2D: 'Conv2DOptions',
  DEPTHWISE_CONV_2D: 'DepthwiseConv2DOptions',
  AVERAGE_POOL_2D: 'Pool2DOptions',
  MAX_POOL_2D: 'Pool2DOptions',
  L2_POOL_2D: 'Pool2DOptions',
  FULLY_CONNECTED: 'FullyConnectedOptions',
  SOFTMAX: 'SoftmaxOptions',
  CONCATENATION: 'ConcatenationOptions',
  ADD: 'AddOptions',
  SUB: 'SubOptions',
  MUL: 'MulOptions',
  RESHAPE: 'ReshapeOptions',
  PAD: 'PadOptions',
  TRANSPOSE: 'TransposeOptions',
  MEAN: 'ReducerOptions',
  SUM: 'ReducerOptions',
  REDUCE_MAX: 'ReducerOptions',
  REDUCE_MIN: 'ReducerOptions',
  REDUCE_PROD: 'ReducerOptions',
  REDUCE_ANY: 'ReducerOptions',
  SQUEEZE: 'SqueezeOptions',
  DEQUANTIZE: 'DequantizeOptions',
  QUANTIZE: 'QuantizeOptions',
  HARD_SWISH: 'HardSwishOptions',
  TRANSPOSE_CONV: 'TransposeConvOptions',
  RESIZE_BILINEAR: 'ResizeBilinearOptions',
  RESIZE_NEAREST_NEIGHBOR: 'ResizeNearestNeighborOptions',
  SLICE: 'SliceOptions',
  LEAKY_RELU: 'LeakyReluOptions',
  GELU: 'GeluOptions',
  DIV: 'DivOptions',
};
