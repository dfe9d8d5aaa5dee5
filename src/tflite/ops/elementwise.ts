/** Elementwise arithmetic and activation functions. */
import * as tf from '@tensorflow/tfjs-core';

import type {IrOp, IrQuantization, IrTensor} from '../../graph/ir.js';
import {ActivationFunctionType} from '../schema.js';
import {ActivationType, broadcastShape, OpKind, sameShape, standardVersion} from './op_kind.js';

const act = (op: IrOp) => ActivationFunctionType[op.activation];

/** The int8 rescale in1 x in2 / out of a MUL. */
function mulRescale(op: IrOp): number {
  const scale = (t: IrTensor|null|undefined) => t?.quantization?.scale[0] ?? 0;
  const out = scale(op.outputs[0]);
  return out > 0 ? scale(op.inputs[0]) * scale(op.inputs[1]) / out : 0;
}

export const ADD: OpKind = {...broadcastShape, 
  fusesActivation: true,
  defaultOptionsMayBeOmitted: 'withoutInt16',
  version: (_op, a) => ({float: 1, int8: 2, int16: 3, hybrid: 1}[a]),
  // int16 ADD with arbitrary scales needs pot_scale_int16 off.
  options: (op, int16) => ({type: 'AddOptions', fusedActivationFunction: act(op), potScaleInt16: !int16}),
  evaluate: (_op, [a, b]) => tf.add(a, b),
  combineEnds: ([lo1, hi1], [lo2, hi2]) => [lo1 + lo2, hi1 + hi2],
};

export const MUL: OpKind = {...broadcastShape, 
  fusesActivation: true,
  // Version 3: an int8 rescale in1 x in2 / out of 1 or more.
  version: (op, a) => ({float: 1, int8: mulRescale(op) >= 1 ? 3 : 2, int16: 4, hybrid: 1}[a]),
  defaultOptionsMayBeOmitted: true,
  options: (op) => ({type: 'MulOptions', fusedActivationFunction: act(op)}),
  evaluate: (_op, [a, b]) => tf.mul(a, b),
  combineEnds: ([lo1, hi1], [lo2, hi2]) => [lo1 * lo2, lo1 * hi2, hi1 * lo2, hi1 * hi2],
};

export const RELU: OpKind = {...sameShape, version: standardVersion, evaluate: (_op, [x]) => tf.relu(x)};
export const RELU6: OpKind = {...sameShape, version: standardVersion, evaluate: (_op, [x]) => tf.relu6(x)};

/** Fixed output parameters: int8 [0, 1) or [-1, 1), and int16's one for all three. */
const fixed = (int8: IrQuantization) => (type: ActivationType): IrQuantization =>
  type === 'int16' ? {scale: [1 / 32768], zeroPoint: [0], quantizedDimension: 0} : int8;
const unitInterval = fixed({scale: [1 / 256], zeroPoint: [-128], quantizedDimension: 0});

export const SOFTMAX: OpKind = {...sameShape, 
  version: standardVersion,
  outputParams: unitInterval,
  defaultOptionsMayBeOmitted: true,
  options: () => ({type: 'SoftmaxOptions', beta: 1}),
  evaluate: (_op, [x]) => tf.softmax(x),
};

export const LOGISTIC: OpKind = {...sameShape, version: standardVersion, outputParams: unitInterval,
  evaluate: (_op, [x]) => tf.sigmoid(x)};

export const TANH: OpKind = {...sameShape, version: standardVersion,
  outputParams: fixed({scale: [1 / 128], zeroPoint: [0], quantizedDimension: 0}),
  evaluate: (_op, [x]) => tf.tanh(x)};
