/**
 * Runs the float IR with tfjs ops. Calibration uses it to see every tensor
 * the TFLite graph will have (fused and folded ones included), and tests use
 * it to check a lowering against the original model.
 */
import * as tf from '@tensorflow/tfjs-core';

import {ValueError} from '../errors.js';
import {FusedActivation, IrGraph, IrOp, IrTensor} from '../graph/ir.js';
import {opKind} from './op_registry.js';

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
  const kind = opKind(op.type);
  if (kind.evaluate == null) {
    throw new ValueError(`Internal: the float evaluator has no ${op.type}.`);
  }
  let y = kind.evaluate(op, args);
  if (kind.reshapesOutput) {
    // Shapes in the IR have batch 1; keep the evaluated batch.
    y = tf.reshape(y, [batch, ...op.outputs[0].shape.slice(1)]);
  }
  return activate(y, op.activation);
}
