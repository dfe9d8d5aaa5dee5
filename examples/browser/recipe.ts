/**
 * The demo's recipe, shared by the page's worker and the Node side of its
 * test so both make the same model and the same file: the tutorial CNN, its
 * training settings, the int8 converter setup, and running a file in LiteRT
 * with int8 inputs and outputs. No DOM and no Node API here.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

import * as tfmot from '../../src/index.js';

export {BUNDLED, DEMO_DEFAULTS} from './settings.js';
export type {DemoSettings} from './settings.js';

/** Adam at 1e-3 on logits with one-hot targets, as examples/common.ts compiles the tutorial model. */
export function compileForLogits(model: tfl.LayersModel): void {
  model.compile({optimizer: 'adam', loss: tfmot.data.categoricalCrossentropyFromLogits, metrics: ['accuracy']});
}

/**
 * The int8 file: Optimize.DEFAULT calibrated on `samples` (each [1, 28, 28, 1];
 * a QAT model's own ranges take precedence), with int8 input and output as an
 * integer-only device wants them.
 */
export function int8Converter(model: tfl.LayersModel, samples: tf.Tensor[]): tfmot.tflite.TFLiteConverter {
  const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(model);
  converter.optimizations = [tfmot.tflite.Optimize.DEFAULT];
  converter.representativeDataset = () => samples;
  converter.inferenceInputType = 'int8';
  converter.inferenceOutputType = 'int8';
  return converter;
}

/** The first `n` of `[N, 28, 28, 1]` digits, one tensor each (the caller disposes them). */
export function calibrationSamples(xs: tf.Tensor4D, n: number): tf.Tensor[] {
  return tf.tidy(() => tf.split(tf.slice(xs, 0, n), n));
}

/** TFLite's float-to-int8 input quantization: round half away from zero, then clamp. */
function quantize(x: number, scale: number, zeroPoint: number): number {
  const q = Math.sign(x / scale) * Math.round(Math.abs(x / scale)) + zeroPoint;
  return Math.min(127, Math.max(-128, q));
}

/**
 * Runs an int8-in, int8-out classifier on `count` digits (784 float pixels
 * each) one by one; returns the raw int8 outputs, `count * classes`.
 */
export async function runInt8(interpreter: tfmot.tflite.Interpreter, pixels: Float32Array,
    count: number): Promise<Int8Array> {
  const [input] = interpreter.getInputDetails();
  const [output] = interpreter.getOutputDetails();
  const size = pixels.length / count;
  const classes = output.shape[output.shape.length - 1];
  const {scale, zeroPoint} = input.quantization;
  const outputs = new Int8Array(count * classes);
  const sample = new Int8Array(size);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < size; j++) {
      sample[j] = quantize(pixels[i * size + j], scale, zeroPoint);
    }
    interpreter.setTensor(input.index, sample);
    await interpreter.invoke();
    outputs.set(interpreter.getTensor(output.index) as Int8Array, i * classes);
  }
  return outputs;
}

/** Fraction of rows of `scores` (`classes` each) whose argmax is the label. */
export function argmaxAccuracy(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const classes = scores.length / labels.length;
  let right = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (scores[i * classes + c] > scores[i * classes + best]) {
        best = c;
      }
    }
    right += best === labels[i] ? 1 : 0;
  }
  return right / labels.length;
}
