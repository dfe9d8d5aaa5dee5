/**
 * Every layer the converter lowers, in every mode, run by LiteRT on real
 * digits and compared with the tfjs model (no ERROR line allowed).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {TFLiteConverter} from '../../src/tflite/converter.js';
import {runLiteRt} from '../helpers/tflite_eval.js';
import {LAYER_MODELS} from './layer_models.js';

/**
 * Rounding the integer kernels may do differently from float-then-quantize:
 * one step of the integer output, plus one step of the input to a final
 * tanh/logistic/softmax (their slope is at most 1). 0 for float outputs.
 */
function integerSlack(bytes: Uint8Array): number {
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

type Mode = 'float32'|'float16'|'dynamic'|'int8'|'int16x8'|'qat';

/** Allowed error as a fraction of the largest reference output. */
const TOLERANCE: Record<Mode, number> = {
  float32: 1e-5, float16: 3e-3, dynamic: 0.03, int8: 0.06, int16x8: 0.01, qat: 0.03,
};

/**
 * `digits` calibrate: they include the probe digits, so this checks the
 * conversion, not how well a few samples cover the ranges.
 */
function converterFor(model: tfl.LayersModel, mode: Mode, digits: tf.Tensor): TFLiteConverter {
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

/** A QAT copy whose ranges have seen the digits but whose weights did not move. */
async function settledQat(model: tfl.LayersModel, digits: tf.Tensor): Promise<tfl.LayersModel> {
  const qat = tfmot.quantization.quantizeModel(model);
  qat.compile({optimizer: tf.train.sgd(0), loss: 'meanSquaredError'});
  const targets = model.predict(digits) as tf.Tensor;
  await qat.fit(digits, targets, {epochs: 20, batchSize: 32, verbose: 0});
  targets.dispose();
  return qat;
}

describe('every layer in every mode runs in LiteRT and agrees with tfjs', () => {
  let digits: tf.Tensor;
  let probe: tf.Tensor;

  beforeAll(async () => {
    await tfmot.backend.init();
    const data = tfmot.data.loadMnist({numTrain: 64, numTest: 16, seed: 13});
    probe = data.test.xs;
    digits = tf.concat([data.train.xs, probe]);
  });

  for (const [name, build] of Object.entries(LAYER_MODELS)) {
    it(name, async () => {
      const model = build();
      const modes: Mode[] = ['float32', 'float16', 'dynamic', 'int8', 'int16x8', 'qat'];
      const report: string[] = [];
      for (const mode of modes) {
        const source = mode === 'qat' ? await settledQat(model, digits) : model;
        const bytes = await converterFor(source, mode, digits).convert();
        const lite = await runLiteRt(bytes, probe);
        const ref = tf.tidy(() => (source.predict(probe) as tf.Tensor).dataSync() as Float32Array);
        const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
        const step = integerSlack(bytes);
        const worst = lite.reduce((m, v, i) => Math.max(m, Math.max(0, Math.abs(v - ref[i]) - step)), 0) / scale;
        report.push(`${mode} ${worst.toExponential(2)}`);
        expect(worst, `${name}: ${mode}`).toBeLessThanOrEqual(TOLERANCE[mode]);
      }
      console.log(`${name}: ${report.join(', ')}`);
    });
  }

  it('covers every convertible layer', () => {
    const used = new Set<string>();
    for (const build of Object.values(LAYER_MODELS)) {
      for (const layer of build().layers) {
        used.add(layer.getClassName());
      }
    }
    const missing = tfmot.tflite.CONVERTIBLE_LAYERS.filter(
        (c) => !used.has(c) && c !== 'SpatialDropout1D');
    expect(missing).toEqual([]);
  });
});
