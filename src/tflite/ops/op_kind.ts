/**
 * The one description of a TFLite builtin operator the converter writes:
 * its kernel version, its options table, how the float evaluator computes
 * it (calibration), and how full-integer quantization treats it. Read by
 * serialization, calibration and quantization through op_registry.ts;
 * adding an operator means adding a record (and its name to
 * TFLITE_OPERATORS in graph/ir.ts, which lowerings use).
 */
import * as tf from '@tensorflow/tfjs-core';

import type {IrOp, IrQuantization, IrTensor} from '../../graph/ir.js';
import type {BuiltinOptions} from '../schema.js';

/** Kind of arithmetic an op runs: decides its kernel version. */
export type Arithmetic = 'float'|'int8'|'int16'|'hybrid';

/** Element type of quantized activations: int8, or int16 (16x8 mode). */
export type ActivationType = 'int8'|'int16';

export interface OpKind {
  /** The kernel version TFLite's converter writes (tools/versioning/op_version.cc). */
  version(op: IrOp, arithmetic: Arithmetic): number;
  /** Its options table; none where the table has no fields (runtimes read nothing from it). */
  options?(op: IrOp, int16: boolean): BuiltinOptions;
  /**
   * A table whose fields all hold their schema defaults is left out: the
   * runtime's parser (core/api/flatbuffer_conversions.cc), given no table,
   * uses those same values. Not for ops whose parser then leaves a field zero
   * where the schema default is not (ADD/SUB pot_scale_int16 true, CONV_2D's
   * dilation 1 and padding SAME, FULLY_CONNECTED's quantized_bias_type
   * FLOAT32, which int16 kernels check). 'withoutInt16': left out only in
   * files with no int16 tensor, for ops whose differing field only int16
   * kernels read (ADD's pot_scale_int16). FULLY_CONNECTED keeps its table:
   * the 2023 TFLite runtime computed a different int8 result without it.
   */
  defaultOptionsMayBeOmitted?: boolean|'withoutInt16';
  /** The op in tfjs, on its input values (constants included), batch first. */
  evaluate?(op: IrOp, args: tf.Tensor[]): tf.Tensor;
  /** Its inputs in the file's order, where TFLite's differs from the IR's (TRANSPOSE_CONV). */
  fileInputs?(op: IrOp): Array<IrTensor|null>;
  /** The evaluated output takes the IR output's shape with the evaluated batch (FC, RESHAPE). */
  reshapesOutput?: boolean;
  /**
   * A weighted op: its input 1 is a kernel quantized per channel along this
   * axis of the TFLite layout (null: per tensor), its input 2 a bias.
   */
  weightChannelAxis?: number|null;
  /** RELU/RELU6 after it fuse into it (and a BatchNormalization folds into a weighted one). */
  fusesActivation?: boolean;
  /**
   * Dynamic-range mode leaves its weights float: runtimes of 2023 have no
   * hybrid (float input, int8 weights) kernel for it and refuse the file.
   */
  noHybridKernel?: boolean;
  /**
   * A RELU/RELU6 fused into it is written as its own op after it (a fused
   * one needs a kernel version runtimes of 2023 lack).
   */
  activationAsOp?: boolean;
  /**
   * The quantized output's parameters: 'input', the input's (the TFLite int8
   * spec, for ops that only move or select values), or fixed ones.
   */
  outputParams?: 'input'|((type: ActivationType) => IrQuantization);
  /** Its inputs are requantized to the output's parameters (CONCATENATION). */
  inputsTakeOutputParams?: boolean;
  /**
   * The integer activation types TFLite has kernels for, where not both
   * (ELU: int8 only); full-integer export in another fails naming the layer.
   */
  integerKernels?: readonly ActivationType[];
  /** The output's ends from one end of each input, for a range no data gave (ADD, MUL). */
  combineEnds?: (a: [number, number], b: [number, number]) => number[];
  /**
   * The shape its kernel gives output 0, from the input shapes (null for an
   * absent optional input), the file's options, and the values of constant
   * integer inputs (axes, sizes, paddings; null for others), all in the
   * file's input order: a file declaring another shape is refused, since the
   * runtime would hand back the declared number of values, most never
   * written. `{elements}` where only the size is fixed (RESHAPE); null when
   * the rule cannot tell.
   */
  outputShape?(inputs: ReadonlyArray<readonly number[]|null>, options: BuiltinOptions|undefined,
      values: ReadonlyArray<readonly number[]|null>): number[]|{elements: number}|null;
}

/** The output shape of elementwise ops on one input. */
export const sameShape: Pick<OpKind, 'outputShape'> = {outputShape: ([x]) => x == null ? null : [...x]};

/** The output shape of elementwise ops on two inputs, broadcast as numpy does; null if they do not broadcast. */
export const broadcastShape: Pick<OpKind, 'outputShape'> = {
  outputShape: ([a, b]) => {
    if (a == null || b == null) {
      return null;
    }
    const rank = Math.max(a.length, b.length);
    const out: number[] = [];
    for (let i = 0; i < rank; i++) {
      const x = a[a.length - rank + i] ?? 1;
      const y = b[b.length - rank + i] ?? 1;
      if (x !== y && x !== 1 && y !== 1) {
        return null;
      }
      out.push(x === 1 ? y : x);
    }
    return out;
  },
};

/** Output size of a sliding window along one axis (TFLite's ComputeOutSize). */
export function windowOutSize(padding: number, size: number, filter: number, stride: number, dilation = 1): number {
  const effective = (filter - 1) * dilation + 1;
  // Padding code 0 is SAME, 1 VALID (schema enum Padding).
  return stride < 1 ? 0 : padding === 0 ? Math.ceil(size / stride) : Math.ceil((size - effective + 1) / stride);
}

/** The versions most elementwise and pooling kernels have: float 1, int8 2, int16 3. */
export const standardVersion = (_op: IrOp, a: Arithmetic): number => ({float: 1, int8: 2, int16: 3, hybrid: 1}[a]);
