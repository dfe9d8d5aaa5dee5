/**
 * Runs a converted model in LiteRT over many samples (batch 1 each) and
 * dequantizes integer outputs, for comparing with the tfjs model.
 */
import * as tf from '@tensorflow/tfjs-core';

import {readModel} from '../../src/tflite/reader.js';
import {TensorType} from '../../src/tflite/schema.js';
import {expectNoLiteRtErrors, openTflite} from './litert.js';

/** Outputs of every sample, dequantized to float, concatenated: [n, ...outShape]. */
export async function runLiteRt(bytes: Uint8Array, xs: tf.Tensor): Promise<Float32Array> {
  const model = readModel(bytes);
  const graph = model.subgraphs[0];
  const input = graph.tensors[graph.inputs[0]];
  const output = graph.tensors[graph.outputs[0]];
  const runner = await openTflite(bytes);
  try {
    const n = xs.shape[0];
    const sampleSize = xs.size / n;
    const all = xs.dataSync() as Float32Array;
    const outSize = output.shape.reduce((a, b) => a * b, 1);
    const result = new Float32Array(n * outSize);
    for (let i = 0; i < n; i++) {
      const sample = all.subarray(i * sampleSize, (i + 1) * sampleSize);
      const data = input.type === TensorType.FLOAT32 ? Float32Array.from(sample) :
          quantizeInput(sample, input.type, input.quantization!.scale[0], input.quantization!.zeroPoint[0]);
      const [out] = await runner.run([{data, shape: input.shape}]);
      const values = out.data as ArrayLike<number>;
      const q = output.quantization;
      for (let k = 0; k < outSize; k++) {
        result[i * outSize + k] = output.type === TensorType.FLOAT32 ? values[k] :
            (Number(values[k]) - q!.zeroPoint[0]) * q!.scale[0];
      }
    }
    expectNoLiteRtErrors(runner.log);
    return result;
  } finally {
    runner.delete();
  }
}

function quantizeInput(x: Float32Array, type: number, scale: number, zeroPoint: number) {
  const [lo, hi, Arr] = type === TensorType.INT8 ? [-128, 127, Int8Array] as const :
      type === TensorType.UINT8 ? [0, 255, Uint8Array] as const : [-32768, 32767, Int16Array] as const;
  return (Arr as unknown as {from(a: ArrayLike<number>, f: (v: number) => number): Int8Array}).from(
      x, (v: number) => Math.max(lo, Math.min(hi, Math.round(v / scale) + zeroPoint)));
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

/** The file's size and its gzip size (what users compare). */
export function sizes(bytes: Uint8Array): {raw: number} {
  return {raw: bytes.length};
}
