/**
 * Activation functions beyond the fused ones, and the elementwise ops the
 * converter composes the others from (versions as
 * tools/versioning/op_version.cc gives them).
 */
import * as tf from '@tensorflow/tfjs-core';

import type {IrOp} from '../../graph/ir.js';
import {ActivationFunctionType} from '../schema.js';
import type {Arithmetic, OpKind} from './op_kind.js';
import {broadcastShape, sameShape} from './op_kind.js';

const act = (op: IrOp) => ActivationFunctionType[op.activation];
/** Ops whose int8 or int16 kernel is version 2 (EXP, LOG, GELU's int8). */
const quantizedIs2 = (_op: IrOp, a: Arithmetic) => (a === 'int8' || a === 'int16' ? 2 : 1);

export const LEAKY_RELU: OpKind = {...sameShape, 
  version: (_op, a) => (a === 'int16' ? 2 : 1),
  defaultOptionsMayBeOmitted: true,
  options: (op) => ({type: 'LeakyReluOptions', alpha: op.options['alpha'] as number}),
  evaluate: (op, [x]) => tf.leakyRelu(x, op.options['alpha'] as number),
};

/**
 * Input 1 is the alpha constant, broadcast against the input (per channel
 * with sharedAxes). kernels/activations.cc's PreluEval: float32, uint8, int8.
 */
export const PRELU: OpKind = {...broadcastShape, 
  version: () => 1,
  integerKernels: ['int8'],
  evaluate: (_op, [x, alpha]) => tf.prelu(x, alpha),
};

/** elu_op (activations.cc) runs float32 and int8 only ("got INT16" in 16x8). */
export const ELU: OpKind = {...sameShape, version: () => 1, integerKernels: ['int8'], evaluate: (_op, [x]) => tf.elu(x)};

/** kernels/gelu.cc: float32, int8 and uint8 (a lookup table). */
export const GELU: OpKind = {...sameShape, 
  version: (_op, a) => (a === 'int8' ? 2 : 1),
  integerKernels: ['int8'],
  defaultOptionsMayBeOmitted: true,
  options: (op) => ({type: 'GeluOptions', approximate: Boolean(op.options['approximate'])}),
  evaluate: (op, [x]) => op.options['approximate'] ?
    tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI),
        tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))))) :
    tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))))),
};

export const EXP: OpKind = {...sameShape, version: quantizedIs2, evaluate: (_op, [x]) => tf.exp(x)};
export const LOG: OpKind = {...sameShape, version: quantizedIs2, evaluate: (_op, [x]) => tf.log(x)};

export const ABS: OpKind = {...sameShape, 
  version: (_op, a) => ({float: 1, int8: 2, int16: 3, hybrid: 1}[a]),
  evaluate: (_op, [x]) => tf.abs(x),
};

/** kernels/div.cc runs int8 and int16 as well (softsign in every mode). */
export const DIV: OpKind = {...broadcastShape, 
  fusesActivation: true,
  version: () => 1,
  defaultOptionsMayBeOmitted: true,
  options: (op) => ({type: 'DivOptions', fusedActivationFunction: act(op)}),
  evaluate: (_op, [a, b]) => tf.div(a, b),
};

/** MAXIMUM/MINIMUM: the int8 kernels compare raw values, so inputs share the output's parameters. */
function extremum(f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, pick: (...v: number[]) => number): OpKind {
  return {
    version: (_op, a) => ({float: 1, int8: 2, int16: 4, hybrid: 1}[a]),
    ...broadcastShape,
    inputsTakeOutputParams: true,
    evaluate: (_op, [a, b]) => f(a, b),
    combineEnds: ([lo1, hi1], [lo2, hi2]) => [pick(lo1, lo2), pick(hi1, hi2)],
  };
}

export const MAXIMUM = extremum(tf.maximum, Math.max);
export const MINIMUM = extremum(tf.minimum, Math.min);
