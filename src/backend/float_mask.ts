/**
 * 0/1 float32 masks from boolean tensors, safe on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * 1 where `condition` is true, else 0, as float32. Not `tf.cast(condition,
 * 'float32')`: on webgl a widening cast shares the input's data, which then
 * reads back as the bool tensor's Uint8Array, so a mask stored in a variable
 * was saved by `model.save()` with one byte per value and failed to load.
 */
export function floatMask(condition: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.where(condition, tf.ones(condition.shape), tf.zeros(condition.shape)));
}
