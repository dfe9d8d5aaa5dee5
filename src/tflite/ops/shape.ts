/** Operators that move values: reshape, pad, concatenate. */
import * as tf from '@tensorflow/tfjs-core';

import {ActivationFunctionType} from '../schema.js';
import {OpKind, standardVersion} from './op_kind.js';

export const RESHAPE: OpKind = {
  version: () => 1,
  outputParams: 'input',
  reshapesOutput: true,
  defaultOptionsMayBeOmitted: true,
  options: (op) => ({type: 'ReshapeOptions', newShape: op.options['newShape'] as number[]}),
  evaluate: (_op, [x]) => x,
  outputShape: ([x]) => x == null ? null : {elements: x.reduce((a, b) => a * b, 1)},
};

export const PAD: OpKind = {
  // Paddings [rank, 2]: before and after each axis.
  outputShape: ([x], _options, [, pads]) => x == null || pads?.length !== 2 * x.length ? null :
    x.map((d, i) => d + pads[2 * i] + pads[2 * i + 1]),
  version: standardVersion,
  outputParams: 'input',
  evaluate: (_op, [x, paddings]) =>
    tf.pad(x, (paddings.arraySync() as number[][]).map(([a, c]) => [a, c] as [number, number])),
};

export const CONCATENATION: OpKind = {
  version: standardVersion,
  inputsTakeOutputParams: true,
  defaultOptionsMayBeOmitted: true,
  options: (op) => ({type: 'ConcatenationOptions', axis: op.options['axis'] as number,
    fusedActivationFunction: ActivationFunctionType[op.activation]}),
  evaluate: (op, args) => tf.concat(args, op.options['axis'] as number),
  outputShape: (inputs, options) => {
    const [first] = inputs;
    if (first == null || options?.type !== 'ConcatenationOptions' || inputs.some((x) => x?.length !== first.length)) {
      return null;
    }
    const axis = options.axis < 0 ? options.axis + first.length : options.axis;
    return first.map((d, i) => i === axis ? inputs.reduce((sum, x) => sum + x![i], 0) : d);
  },
  // A range no data gave (RepeatVector's copies after QAT): the union of the inputs'.
  combineEnds: ([lo1, hi1], [lo2, hi2]) => [Math.min(lo1, lo2), Math.max(hi1, hi2)],
};

/**
 * A block of its input: inputs begin and size (int32; size -1 takes the
 * rest, as the batch does, so any evaluated batch passes). Timesteps of a
 * sequence, Cropping2D. No options table: SliceOptions has no fields.
 */
export const SLICE: OpKind = {
  outputShape: ([x], _options, [, begin, size]) => x == null || begin?.length !== x.length ||
      size?.length !== x.length ? null : size.map((s, i) => s === -1 ? x[i] - begin[i] : s),
  // op_version.cc: the int16 kernel came with version 4.
  version: (_op, a) => ({float: 1, int8: 2, int16: 4, hybrid: 1}[a]),
  outputParams: 'input',
  evaluate: (_op, [x, begin, size]) => tf.slice(x, Array.from(begin.dataSync()), Array.from(size.dataSync())),
};
