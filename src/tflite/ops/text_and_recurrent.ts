/**
 * Operators of the text and recurrent lowerings: GATHER (Embedding), SUB and
 * RSQRT (LayerNormalization); recurrent layers also take timesteps with SLICE.
 */
import * as tf from '@tensorflow/tfjs-core';

import type {IrOp} from '../../graph/ir.js';
import {ActivationFunctionType} from '../schema.js';
import {Arithmetic, broadcastShape, OpKind, sameShape, standardVersion} from './op_kind.js';

/** op_version.cc: GATHER's int16 kernel came with version 4. */
const int16At4 = (_op: IrOp, a: Arithmetic) => ({float: 1, int8: 2, int16: 4, hybrid: 1}[a]);

/**
 * Rows of a table (input 0) by int32 indices (input 1), on axis 0: GATHER
 * without options, which runtimes read as axis 0, batch_dims 0. The int8
 * kernel copies bytes, so the output keeps the table's parameters.
 */
export const GATHER: OpKind = {
  // Axis 0 (no options table): rows of the table picked by each index.
  outputShape: ([table, indices]) => table == null || indices == null ? null : [...indices, ...table.slice(1)],
  version: int16At4,
  outputParams: 'input',
  evaluate: (_op, [table, indices]) => tf.gather(table, tf.cast(indices, 'int32'), 0),
};

export const SUB: OpKind = {...broadcastShape, 
  fusesActivation: true,
  // Version 5: int16 with arbitrary scales (pot_scale_int16 off), as ADD's 3.
  version: (_op, a) => ({float: 1, int8: 2, int16: 5, hybrid: 1}[a]),
  options: (op, int16) => ({type: 'SubOptions', fusedActivationFunction: ActivationFunctionType[op.activation],
    potScaleInt16: !int16}),
  evaluate: (_op, [a, b]) => tf.sub(a, b),
  combineEnds: ([lo1, hi1], [lo2, hi2]) => [lo1 - hi2, hi1 - lo2],
};

export const RSQRT: OpKind = {...sameShape, version: standardVersion, evaluate: (_op, [x]) => tf.rsqrt(x)};
