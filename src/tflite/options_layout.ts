/**
 * Where each field of the modelled option tables sits in the flatbuffer: one
 * declarative table used by both the writer and the reader, so the two cannot
 * disagree. Slot numbers are field positions in the .fbs table (0-based, in
 * declaration order); none of these tables has deprecated or union fields, so
 * slot = field index.
 */
import type {BuiltinOperatorName} from './builtin_operators.js';
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
  Conv2DOptions: [
    {name: 'padding', slot: 0, kind: 'int8', default: 0},
    {name: 'strideW', slot: 1, kind: 'int32', default: 0},
    {name: 'strideH', slot: 2, kind: 'int32', default: 0},
    {name: 'fusedActivationFunction', slot: 3, kind: 'int8', default: 0},
    {name: 'dilationWFactor', slot: 4, kind: 'int32', default: 1},
    {name: 'dilationHFactor', slot: 5, kind: 'int32', default: 1},
    {name: 'quantizedBiasType', slot: 6, kind: 'int8', default: 0},
  ],
  DepthwiseConv2DOptions: [
    {name: 'padding', slot: 0, kind: 'int8', default: 0},
    {name: 'strideW', slot: 1, kind: 'int32', default: 0},
    {name: 'strideH', slot: 2, kind: 'int32', default: 0},
    {name: 'depthMultiplier', slot: 3, kind: 'int32', default: 0},
    {name: 'fusedActivationFunction', slot: 4, kind: 'int8', default: 0},
    {name: 'dilationWFactor', slot: 5, kind: 'int32', default: 1},
    {name: 'dilationHFactor', slot: 6, kind: 'int32', default: 1},
  ],
  Pool2DOptions: [
    {name: 'padding', slot: 0, kind: 'int8', default: 0},
    {name: 'strideW', slot: 1, kind: 'int32', default: 0},
    {name: 'strideH', slot: 2, kind: 'int32', default: 0},
    {name: 'filterWidth', slot: 3, kind: 'int32', default: 0},
    {name: 'filterHeight', slot: 4, kind: 'int32', default: 0},
    {name: 'fusedActivationFunction', slot: 5, kind: 'int8', default: 0},
  ],
  FullyConnectedOptions: [
    {name: 'fusedActivationFunction', slot: 0, kind: 'int8', default: 0},
    {name: 'weightsFormat', slot: 1, kind: 'int8', default: 0},
    {name: 'keepNumDims', slot: 2, kind: 'bool', default: false},
    {name: 'asymmetricQuantizeInputs', slot: 3, kind: 'bool', default: false},
    {name: 'quantizedBiasType', slot: 4, kind: 'int8', default: 0},
  ],
  SoftmaxOptions: [
    {name: 'beta', slot: 0, kind: 'float32', default: 0},
  ],
  ConcatenationOptions: [
    {name: 'axis', slot: 0, kind: 'int32', default: 0},
    {name: 'fusedActivationFunction', slot: 1, kind: 'int8', default: 0},
  ],
  AddOptions: [
    {name: 'fusedActivationFunction', slot: 0, kind: 'int8', default: 0},
    {name: 'potScaleInt16', slot: 1, kind: 'bool', default: true},
  ],
  SubOptions: [
    {name: 'fusedActivationFunction', slot: 0, kind: 'int8', default: 0},
    {name: 'potScaleInt16', slot: 1, kind: 'bool', default: true},
  ],
  MulOptions: [
    {name: 'fusedActivationFunction', slot: 0, kind: 'int8', default: 0},
  ],
  ReshapeOptions: [
    {name: 'newShape', slot: 0, kind: 'int32[]', optional: true},
  ],
  ReducerOptions: [
    {name: 'keepDims', slot: 0, kind: 'bool', default: false},
  ],
  SqueezeOptions: [
    {name: 'squeezeDims', slot: 0, kind: 'int32[]'},
  ],
  PadOptions: [],
  TransposeOptions: [],
  DequantizeOptions: [],
  QuantizeOptions: [],
  HardSwishOptions: [],
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
};
