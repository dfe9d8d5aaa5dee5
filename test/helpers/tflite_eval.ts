/**
 * Runs a converted model in LiteRT over many samples (batch 1 each) with
 * `tfmot.tflite.Interpreter.predict`, which dequantizes integer outputs, for
 * comparing with the tfjs model; and compares two files' graphs.
 */
import {isDeepStrictEqual} from 'node:util';

import * as tf from '@tensorflow/tfjs-core';

import {Interpreter} from '../../src/tflite/interpreter.js';
import {readModel} from '../../src/tflite/reader.js';
import {expectNoLiteRtErrors} from './litert.js';

/**
 * Outputs of every sample, dequantized to float, concatenated: [n, ...outShape].
 * `xs` is [n, ...] with the model's input size per sample, in any shape.
 */
export async function runLiteRt(bytes: Uint8Array, xs: tf.Tensor): Promise<Float32Array> {
  const interpreter = await Interpreter.create(bytes);
  try {
    const [input] = interpreter.getInputDetails();
    const n = xs.shape[0];
    const batch = tf.tidy(() => tf.reshape(xs, [n, ...input.shape.slice(1)]));
    let outputs: tf.Tensor;
    try {
      outputs = await interpreter.predict(batch);
    } finally {
      batch.dispose();
    }
    const result = await outputs.data() as Float32Array;
    outputs.dispose();
    // The interpreter throws on ERROR lines; this names them in the test output if that ever changes.
    expectNoLiteRtErrors(interpreter.log);
    return result;
  } finally {
    interpreter.dispose();
  }
}

/** argmax per row of a [n, k] array. */
export function argmaxRows(values: Float32Array|Int32Array, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length / k; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) {
      if (values[i * k + j] > values[i * k + best]) {
        best = j;
      }
    }
    out.push(best);
  }
  return out;
}

/** True if two files hold the same buffers, tensors and operators (signature names may differ). */
export function sameGraph(a: Uint8Array, b: Uint8Array): boolean {
  const graph = (bytes: Uint8Array) => {
    const model = readModel(bytes);
    return {buffers: model.buffers, operatorCodes: model.operatorCodes, subgraphs: model.subgraphs};
  };
  return isDeepStrictEqual(graph(a), graph(b));
}
