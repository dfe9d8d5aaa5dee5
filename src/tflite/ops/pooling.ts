/** Pooling and reductions. */
import * as tf from '@tensorflow/tfjs-core';

import type {IrOp} from '../../graph/ir.js';
import {pad, strides, windowOptions} from './op_options.js';
import {OpKind, standardVersion, windowOutSize} from './op_kind.js';

function pool2d(type: 'max'|'average'): OpKind {
  return {
    version: standardVersion,
    // A max or average stays within its input's range: the int8 spec keeps the input's parameters.
    outputParams: 'input',
    options: (op) => ({type: 'Pool2DOptions', ...windowOptions(op),
      filterWidth: op.options['filterWidth'] as number, filterHeight: op.options['filterHeight'] as number}),
    evaluate: (op, [x]) => {
      const size: [number, number] = [op.options['filterHeight'] as number, op.options['filterWidth'] as number];
      return (type === 'max' ? tf.maxPool : tf.avgPool)(x as tf.Tensor4D, size, strides(op), pad(op));
    },
    outputShape: ([x], o) => x?.length !== 4 || o?.type !== 'Pool2DOptions' ? null :
      [x[0], windowOutSize(o.padding, x[1], o.filterHeight, o.strideH),
        windowOutSize(o.padding, x[2], o.filterWidth, o.strideW), x[3]],
  };
}

export const MAX_POOL_2D = pool2d('max');
export const AVERAGE_POOL_2D = pool2d('average');

/** MEAN and REDUCE_MAX: the axes go, or stay as 1 with keep_dims. */
const reducedShape: OpKind['outputShape'] = ([x], options, [, axes]) => {
  if (x == null || axes == null) {
    return null;
  }
  const reduced = new Set(axes.map((a) => a < 0 ? a + x.length : a));
  const keep = options?.type === 'ReducerOptions' && options.keepDims;
  return x.flatMap((d, i) => reduced.has(i) ? (keep ? [1] : []) : [d]);
};

const reducerOptions = (op: IrOp) => ({type: 'ReducerOptions' as const, keepDims: Boolean(op.options['keepDims'])});
const axes = (t: tf.Tensor) => Array.from(t.dataSync());

export const MEAN: OpKind = {
  outputShape: reducedShape,
  version: standardVersion,
  defaultOptionsMayBeOmitted: true,
  options: reducerOptions,
  evaluate: (op, [x, a]) => tf.mean(x, axes(a), op.options['keepDims'] as boolean),
};

export const REDUCE_MAX: OpKind = {
  outputShape: reducedShape,
  version: standardVersion,
  outputParams: 'input',
  defaultOptionsMayBeOmitted: true,
  options: reducerOptions,
  evaluate: (op, [x, a]) => tf.max(x, axes(a), op.options['keepDims'] as boolean),
};
