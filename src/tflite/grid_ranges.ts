/**
 * Ranges for the inner tensors of a QAT layer lowered to several ops (a
 * composed activation: softplus's EXP, LOG...), which no quantizer covers:
 * the layer's quantized input can only take the 256 values of its int8
 * grid, so running the layer's ops on exactly those values gives each inner
 * tensor's range in full.
 */
import * as tf from '@tensorflow/tfjs-core';

import type {IrOp, IrTensor} from '../graph/ir.js';
import {opKind} from './op_registry.js';
import {int8Params} from './quant_params.js';

/** [256, ...shape]: sample i holds the i-th int8 grid value of `t`'s range everywhere. */
function grid(t: IrTensor): tf.Tensor {
  const q = int8Params(t.range![0], t.range![1]);
  const values = Float32Array.from({length: 256}, (_, i) => (i - 128 - q.zeroPoint[0]) * q.scale[0]);
  const rest = t.shape.slice(1);
  return tf.broadcastTo(tf.tensor(values, [256, ...rest.map(() => 1)]), [256, ...rest]);
}

function evaluate(op: IrOp, args: tf.Tensor[]): tf.Tensor {
  const kind = opKind(op.type);
  let y = kind.evaluate!(op, args);
  if (kind.reshapesOutput) {
    y = tf.reshape(y, [args[0].shape[0], ...op.outputs[0].shape.slice(1)]);
  }
  return op.activation === 'RELU' ? tf.relu(y) : op.activation === 'RELU6' ? tf.relu6(y) : y;
}

/**
 * A tensor without a range that only a MUL by a positive scalar constant
 * reads (Average's sum before its 1/n) takes the MUL's output range over
 * that constant: its int8 grid is then the output's, scaled, so the MUL
 * rescales exactly and the layer rounds once, as QAT did.
 */
function rangesBackThroughScale(ops: IrOp[]): void {
  for (const op of ops) {
    const [x, c] = op.inputs;
    const out = op.outputs[0];
    const readers = ops.filter((o) => o.inputs.includes(x ?? null));
    if (op.type === 'MUL' && x != null && x.range == null && readers.length === 1 && out.range != null &&
        c?.data instanceof Float32Array && c.data.length === 1 && c.data[0] > 0 &&
        ops.some((o) => o.outputs[0] === x)) {
      x.range = [out.range[0] / c.data[0], out.range[1] / c.data[0]];
    }
  }
}

/**
 * Sets the range of every inner tensor of one layer's `ops` that needs one
 * and has none, from the latest tensor with a range that it is computed from
 * (with constants) alone. Tensors with set parameters (their input's, or
 * fixed ones as LOGISTIC's) need none; the layer's `outputs` are left to the
 * layers after it (a Concatenate that takes them over).
 */
export function gridRanges(ops: IrOp[], inputs: IrTensor[], outputs: IrTensor[]): void {
  rangesBackThroughScale(ops);
  const targets = ops.map((op) => op.outputs[0]).filter((t) => !outputs.includes(t) && t.range == null &&
      opKind(ops.find((op) => op.outputs[0] === t)!.type).outputParams == null);
  const seeds = [...inputs, ...ops.map((op) => op.outputs[0])].filter((t) => t.range != null).reverse();
  for (const seed of seeds) {
    if (targets.every((t) => t.range != null)) {
      return;
    }
    tf.tidy(() => {
      const values = new Map<IrTensor, tf.Tensor>([[seed, grid(seed)]]);
      for (const op of ops) {
        if (!values.has(op.outputs[0]) && op.inputs.every((t) => t == null || t.data != null || values.has(t))) {
          const args = op.inputs.map((t) => t == null ? tf.scalar(0) :
            values.get(t) ?? tf.tensor(t.data as Float32Array|Int32Array, t.shape));
          values.set(op.outputs[0], evaluate(op, args));
        }
      }
      for (const t of targets) {
        const v = values.get(t);
        if (t.range == null && v != null) {
          t.range = [tf.min(v).dataSync()[0], tf.max(v).dataSync()[0]];
        }
      }
    });
  }
}
