/**
 * The converter's modes as the export tests configure them, and how far an
 * integer file's output may fairly differ from its source model.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import * as tfmot from '../../src/index.js';
import {TFLiteConverter} from '../../src/tflite/converter.js';

/**
 * Rounding the integer kernels may do differently from float-then-quantize:
 * one step of the integer output, plus one step of the input to a final
 * tanh/logistic/softmax (their slope is at most 1). 0 for float outputs.
 */
export function integerSlack(bytes: Uint8Array): number {
  const {operators, tensors} = tfmot.tflite.inspect(bytes);
  const last = operators[operators.length - 1];
  if (last.opName !== 'DEQUANTIZE') {
    return 0;
  }
  const stepOf = (t: number) => tensors[t].quantization?.scale[0] ?? 0;
  const out = last.inputs[0];
  const producer = operators.find((op) => op.outputs.includes(out));
  const squashing = ['TANH', 'LOGISTIC', 'SOFTMAX'].includes(producer?.opName ?? '');
  return stepOf(out) + (squashing ? stepOf(producer!.inputs[0]) : 0);
}

/**
 * The step of the integer tensor a final DEQUANTIZE reads, one unit of the
 * file's output; 0 when the file ends in no DEQUANTIZE (a float output),
 * so a difference divided by it fails any bound.
 */
export function outputStep(bytes: Uint8Array): number {
  const {operators, tensors} = tfmot.tflite.inspect(bytes);
  const last = operators[operators.length - 1];
  return last.opName === 'DEQUANTIZE' ? tensors[last.inputs[0]].quantization?.scale[0] ?? 0 : 0;
}

export type Mode = 'float32'|'float16'|'dynamic'|'int8'|'int16x8'|'qat';

/** Allowed LiteRT-vs-tfjs error per mode, beyond one integer step, as a fraction of the largest reference output. */
export const TOLERANCE: Record<Mode, number> = {
  float32: 1e-5, float16: 3e-3, dynamic: 0.03, int8: 0.06, int16x8: 0.01, qat: 0.03,
};

/** The largest error of a file's outputs beyond its integer slack, relative to the reference's largest magnitude. */
export function worstError(bytes: Uint8Array, lite: Float32Array, ref: Float32Array): number {
  if (lite.length !== ref.length) {
    throw new Error(`${lite.length} outputs from the file, ${ref.length} from the reference`);
  }
  const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
  const step = integerSlack(bytes);
  return lite.reduce((m, v, i) => Math.max(m, Math.max(0, Math.abs(v - ref[i]) - step)), 0) / scale;
}

const MODES: readonly Mode[] = ['float32', 'float16', 'dynamic', 'int8', 'int16x8', 'qat'];

/**
 * `digits` calibrate: they include the probe digits, so this checks the
 * conversion, not how well a few samples cover the ranges.
 */
export function converterFor(model: tfl.LayersModel, mode: Mode, digits: tf.Tensor): TFLiteConverter {
  const c = TFLiteConverter.fromLayersModel(model);
  if (mode !== 'float32') {
    c.optimizations = ['DEFAULT'];
  }
  if (mode === 'float16') {
    c.targetSpec.supportedTypes = ['float16'];
  }
  if (mode === 'int8' || mode === 'int16x8') {
    c.representativeDataset = function* () {
      for (let i = 0; i < digits.shape[0]; i++) {
        yield tf.slice(digits, i, 1);
      }
    };
  }
  if (mode === 'int16x8') {
    c.targetSpec.supportedOps = ['EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8'];
  }
  return c;
}

/**
 * Digits for these tests, after the backend is up: `probe` (held-out samples
 * the files are compared on) and `digits` (training samples then the probe,
 * for calibration and QAT).
 */
export async function digitsAndProbe(numTrain: number, numTest: number, seed: number):
    Promise<{digits: tf.Tensor, probe: tf.Tensor}> {
  await tfmot.backend.init();
  const data = tfmot.data.loadMnist({numTrain, numTest, seed});
  const digits = tf.concat([data.train.xs, data.test.xs]);
  tf.dispose([data.train.xs, data.train.ys, data.test.ys]);
  return {digits, probe: data.test.xs};
}

/** A QAT copy whose ranges have seen the digits but whose weights did not move. */
export async function settledQat(model: tfl.LayersModel, digits: tf.Tensor): Promise<tfl.LayersModel> {
  const qat = tfmot.quantization.quantizeModel(model);
  qat.compile({optimizer: tf.train.sgd(0), loss: 'meanSquaredError'});
  const targets = model.predict(digits) as tf.Tensor;
  await qat.fit(digits, targets, {epochs: 20, batchSize: 32, verbose: 0});
  targets.dispose();
  return qat;
}

/** The model's file in every mode (QAT through a settled copy), with the model each came from. */
export async function* filesInEveryMode(model: tfl.LayersModel, digits: tf.Tensor):
    AsyncGenerator<{mode: Mode, source: tfl.LayersModel, bytes: Uint8Array}> {
  for (const mode of MODES) {
    const source = mode === 'qat' ? await settledQat(model, digits) : model;
    yield {mode, source, bytes: await converterFor(source, mode, digits).convert()};
  }
}
