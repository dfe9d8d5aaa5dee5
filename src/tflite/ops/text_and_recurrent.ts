/**
 * Operators of the text and recurrent lowerings: GATHER (Embedding), SLICE
 * (one timestep of a sequence), SUB and RSQRT (LayerNormalization).
 */
import * as tf from '@tensorflow/tfjs-core';

import type {IrOp} from '../../graph/ir.js';
import {ActivationFunctionType} from '../schema.js';
import {Arithmetic, OpKind, standardVersion} from './op_kind.js';

const ints = (t: tf.Tensor) => Array.from(t.dataSync());

/** Versions of the ops whose int16 kernel came later (op_version.cc: GATHER and SLICE 4). */
const int16At4 = (_op: IrOp, a: Arithmetic) => ({float: 1, int8: 2, int16: 4, hybrid: 1}[a]);

/**
 * Rows of a table (input 0) by int32 indices (input 1), on axis 0: GATHER
 * without options, which runtimes read as axis 0, batch_dims 0. The int8
 * kernel copies bytes, so the output keeps the table's parameters.
 */
export const GATHER: OpKind = {
  version: int16At4,
  outputParams: 'input',
  evaluate: (_op, [table, indices]) => tf.gather(table, tf.cast(indices, 'int32'), 0),
};

/** A block of its input: inputs begin and size (int32; size -1 takes the rest, used for the batch). */
export const SLICE: OpKind = {
  version: int16At4,
  outputParams: 'input',
  evaluate: (_op, [x, begin, size]) => tf.slice(x, ints(begin), ints(size)),
};

export const SUB: OpKind = {
  fusesActivation: true,
  // Version 5: int16 with arbitrary scales (pot_scale_int16 off), as ADD's 3.
  version: (_op, a) => ({float: 1, int8: 2, int16: 5, hybrid: 1}[a]),
  options: (op, int16) => ({type: 'SubOptions', fusedActivationFunction: ActivationFunctionType[op.activation],
    potScaleInt16: !int16}),
  evaluate: (_op, [a, b]) => tf.sub(a, b),
  combineEnds: ([lo1, hi1], [lo2, hi2]) => [lo1 - hi2, hi1 - lo2],
};

export const RSQRT: OpKind = {version: standardVersion, evaluate: (_op, [x]) => tf.rsqrt(x)};
