/**
 * Runs a layer's own `call` with some of its attributes (weights, the
 * activation) temporarily replaced: how wrappers make any layer compute with
 * quantized or clustered weights without reimplementing it. Weights are
 * replaced by an object whose `read()` returns the given tensor, which is
 * all that tfjs-layers' `call` methods use.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type Fields = Record<string, unknown>;

/** A stand-in for a LayerVariable that reads as `value`. */
export function weightValue(value: tf.Tensor): {read(): tf.Tensor} {
  return {read: () => value};
}

/** Calls `layer` with `replacements` swapped in, restoring them afterwards. */
export function callWithAttributes(layer: tfl.layers.Layer, replacements: Array<[string, unknown]>,
    inputs: tf.Tensor|tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor|tf.Tensor[] {
  const fields = layer as unknown as Fields;
  const saved: Array<[string, unknown]> = [];
  try {
    for (const [attr, value] of replacements) {
      saved.push([attr, fields[attr]]);
      fields[attr] = value;
    }
    return layer.call(inputs, kwargs);
  } finally {
    for (const [attr, value] of saved.reverse()) {
      fields[attr] = value;
    }
  }
}
