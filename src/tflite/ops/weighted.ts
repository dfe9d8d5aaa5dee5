/** The operators with kernels: convolutions and fully connected. */
import * as tf from '@tensorflow/tfjs-core';

import {ActivationFunctionType, TensorType} from '../schema.js';
import type {IrOp} from '../../graph/ir.js';
import {pad, strides, windowOptions} from './op_options.js';
import {type OpKind, windowOutSize} from './op_kind.js';

const act = (op: IrOp) => ActivationFunctionType[op.activation];
const perChannel = (op: IrOp) => (op.inputs[1]?.quantization?.scale.length ?? 1) > 1;

// int16 (16x8): the versions that added those kernels (CONV_2D 4,
// DEPTHWISE_CONV_2D 5, FULLY_CONNECTED 7), so an older runtime refuses the
// file by version; op_version.cc's own int16 tests look for int16
// weights and fall through to 1.

export const CONV_2D: OpKind = {
  weightChannelAxis: 0,
  fusesActivation: true,
  // Dilation needs no version of its own for CONV_2D (2 is the per-tensor hybrid).
  version: (op, a) => ({float: 1, int8: 3, int16: 4, hybrid: perChannel(op) ? 5 : 2}[a]),
  options: (op) => ({type: 'Conv2DOptions', ...windowOptions(op), dilationWFactor: op.options['dilationW'] as number,
    dilationHFactor: op.options['dilationH'] as number, quantizedBiasType: TensorType.FLOAT32}),
  evaluate: (op, [x, w, b]) => {
    const hwio = tf.transpose(w, [1, 2, 3, 0]) as tf.Tensor4D;
    const y = tf.conv2d(x as tf.Tensor4D, hwio, strides(op), pad(op), 'NHWC',
        [op.options['dilationH'] as number, op.options['dilationW'] as number]);
    return tf.add(y, b);
  },
  outputShape: ([x, w], o) => x?.length !== 4 || w?.length !== 4 || o?.type !== 'Conv2DOptions' ? null :
    [x[0], windowOutSize(o.padding, x[1], w[1], o.strideH, o.dilationHFactor),
      windowOutSize(o.padding, x[2], w[2], o.strideW, o.dilationWFactor), w[0]],
};

export const DEPTHWISE_CONV_2D: OpKind = {
  weightChannelAxis: 3,
  fusesActivation: true,
  // Float 1: the lowering never dilates a depthwise conv (tfjs runs DepthwiseConv2D undilated).
  version: (op, a) => ({float: 1, int8: 3, int16: 5, hybrid: perChannel(op) ? 6 : 4}[a]),
  options: (op) => ({type: 'DepthwiseConv2DOptions', ...windowOptions(op),
    depthMultiplier: op.options['depthMultiplier'] as number, dilationWFactor: 1, dilationHFactor: 1}),
  evaluate: (op, [x, w, b]) => {
    const [, h, wd, cm] = w.shape;
    const m = op.options['depthMultiplier'] as number;
    const filter = tf.reshape(w, [h, wd, (cm as number) / m, m]) as tf.Tensor4D;
    return tf.add(tf.depthwiseConv2d(x as tf.Tensor4D, filter, strides(op), pad(op)), b);
  },
  outputShape: ([x, w], o) => x?.length !== 4 || w?.length !== 4 || o?.type !== 'DepthwiseConv2DOptions' ? null :
    [x[0], windowOutSize(o.padding, x[1], w[1], o.strideH, o.dilationHFactor),
      windowOutSize(o.padding, x[2], w[2], o.strideW, o.dilationWFactor), w[3]],
};

export const FULLY_CONNECTED: OpKind = {
  weightChannelAxis: null,
  fusesActivation: true,
  reshapesOutput: true,
  version: (op, a) => {
    // op_version.cc's order: per-channel hybrid (12), then keep_num_dims (5),
    // then the int8 (4) and hybrid (9 with asymmetric_quantize_inputs, else 3) kernels.
    const keep = Boolean(op.options['keepNumDims']);
    const hybrid = perChannel(op) ? 12 : keep ? 5 : op.options['asymmetricQuantizeInputs'] ? 9 : 3;
    return {float: keep ? 5 : 1, int8: keep ? 5 : 4, int16: 7, hybrid}[a];
  },
  options: (op) => ({type: 'FullyConnectedOptions', fusedActivationFunction: act(op), weightsFormat: 0,
    keepNumDims: Boolean(op.options['keepNumDims']),
    asymmetricQuantizeInputs: Boolean(op.options['asymmetricQuantizeInputs']),
    quantizedBiasType: TensorType.FLOAT32}),
  evaluate: (_op, [x, w, b]) => {
    // Reshaped to the output shape (with the batch) by the caller.
    const flat = tf.reshape(x, [-1, w.shape[1] as number]) as tf.Tensor2D;
    return tf.add(tf.matMul(flat, w as tf.Tensor2D, false, true), b);
  },
  // [..., depth] x [units, depth]: the rows of depth become rows of units, in whatever dims keep_num_dims says.
  outputShape: ([x, w]) => x == null || w?.length !== 2 || w[1] === 0 ? null :
    {elements: x.reduce((a, b) => a * b, 1) / w[1] * w[0]},
};
