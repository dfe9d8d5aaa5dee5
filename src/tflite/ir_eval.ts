/**
 * Runs the float IR with tfjs ops. Calibration uses it to see every tensor
 * the TFLite graph will have (fused and folded ones included), and tests use
 * it to check a lowering against the original model.
 */
import * as tf from '@tensorflow/tfjs-core';

import {ValueError} from '../errors.js';
import {FusedActivation, IrGraph, IrOp, IrTensor} from '../graph/ir.js';

function constant(t: IrTensor): tf.Tensor {
  if (t.data == null) {
    throw new ValueError(`Internal: tensor '${t.name}' has no value.`);
  }
  if (t.data instanceof Float32Array || t.data instanceof Int32Array) {
    return tf.tensor(t.data, t.shape);
  }
  throw new ValueError(`Internal: the float evaluator cannot read ${t.dtype} tensor '${t.name}'.`);
}

function activate(x: tf.Tensor, act: FusedActivation): tf.Tensor {
  return act === 'RELU' ? tf.relu(x) : act === 'RELU6' ? tf.relu6(x) : x;
}

type Pad = 'same'|'valid';
const pad = (op: IrOp) => (op.options['padding'] as string).toLowerCase() as Pad;
const strides = (op: IrOp): [number, number] =>
  [op.options['strideH'] as number, op.options['strideW'] as number];

function evalOp(op: IrOp, args: tf.Tensor[]): tf.Tensor {
  const [x, w, b] = args;
  switch (op.type) {
    case 'CONV_2D': {
      const hwio = tf.transpose(w, [1, 2, 3, 0]) as tf.Tensor4D;
      const y = tf.conv2d(x as tf.Tensor4D, hwio, strides(op), pad(op), 'NHWC',
          [op.options['dilationH'] as number, op.options['dilationW'] as number]);
      return tf.add(y, b);
    }
    case 'DEPTHWISE_CONV_2D': {
      const [, h, wd, cm] = w.shape;
      const m = op.options['depthMultiplier'] as number;
      const filter = tf.reshape(w, [h, wd, (cm as number) / m, m]) as tf.Tensor4D;
      return tf.add(tf.depthwiseConv2d(x as tf.Tensor4D, filter, strides(op), pad(op)), b);
    }
    case 'FULLY_CONNECTED': {
      // Reshaped to the output shape (with the batch) by the caller.
      const flat = tf.reshape(x, [-1, w.shape[1] as number]) as tf.Tensor2D;
      return tf.add(tf.matMul(flat, w as tf.Tensor2D, false, true), b);
    }
    case 'MAX_POOL_2D':
    case 'AVERAGE_POOL_2D': {
      const size: [number, number] =
          [op.options['filterHeight'] as number, op.options['filterWidth'] as number];
      const pool = op.type === 'MAX_POOL_2D' ? tf.maxPool : tf.avgPool;
      return pool(x as tf.Tensor4D, size, strides(op), pad(op));
    }
    case 'MEAN':
      return tf.mean(x, Array.from(w.dataSync()), op.options['keepDims'] as boolean);
    case 'REDUCE_MAX':
      return tf.max(x, Array.from(w.dataSync()), op.options['keepDims'] as boolean);
    case 'RESHAPE':
      return x;
    case 'ADD':
      return tf.add(x, w);
    case 'MUL':
      return tf.mul(x, w);
    case 'CONCATENATION':
      return tf.concat(args, op.options['axis'] as number);
    case 'PAD':
      return tf.pad(x, (w.arraySync() as number[][]).map(([a, c]) => [a, c] as [number, number]));
    case 'RELU':
      return tf.relu(x);
    case 'RELU6':
      return tf.relu6(x);
    case 'SOFTMAX':
      return tf.softmax(x);
    case 'LOGISTIC':
      return tf.sigmoid(x);
    case 'TANH':
      return tf.tanh(x);
    default:
      throw new ValueError(`Internal: the float evaluator has no ${op.type}.`);
  }
}

/**
 * Evaluates the graph on a batch of inputs (batch size may differ from the
 * IR's 1) and returns the value of every activation tensor by id. The
 * caller disposes the returned tensors.
 */
export function evaluateIr(graph: IrGraph, inputs: tf.Tensor[]): Map<number, tf.Tensor> {
  if (inputs.length !== graph.inputs.length) {
    throw new ValueError(
        `The model has ${graph.inputs.length} input(s); received ${inputs.length} tensor(s).`);
  }
  const values = new Map<number, tf.Tensor>();
  graph.inputs.forEach((t, i) => values.set(t.id, tf.clone(inputs[i])));
  try {
    for (const op of graph.ops) {
      values.set(op.outputs[0].id, tf.tidy(() => evalWithActivation(op, values)));
    }
  } catch (e) {
    // The caller never sees the map when an op fails (e.g. mismatched shapes): free it here.
    tf.dispose([...values.values()]);
    throw e;
  }
  return values;
}

/** One op on the values so far (the tidy around it frees its temporaries). */
function evalWithActivation(op: IrOp, values: Map<number, tf.Tensor>): tf.Tensor {
  const args = op.inputs.map((t) => t == null ? tf.scalar(0) :
      values.get(t.id) ?? constant(t));
  const batch = args[0].shape[0];
  let y = evalOp(op, args);
  if (op.type === 'FULLY_CONNECTED' || op.type === 'RESHAPE') {
    // Shapes in the IR have batch 1; keep the evaluated batch.
    y = tf.reshape(y, [batch, ...op.outputs[0].shape.slice(1)]);
  }
  return activate(y, op.activation);
}
