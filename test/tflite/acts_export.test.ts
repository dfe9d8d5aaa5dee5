/**
 * The activation and structure models that do not convert in every mode,
 * or need kernels only recent TFLite has: run in LiteRT in the modes they
 * convert in and compared with tfjs, with the early error of the others
 * (ELU, PRELU, GELU in 16x8, TimeDistributed in QAT) checked.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {runLiteRt} from '../helpers/tflite_eval.js';
import {converterFor, digitsAndProbe, Mode, settledQat, TOLERANCE, worstError} from './export_modes.js';
import {NO_INT16_MODELS, NO_QAT_MODELS, LITERT_ONLY_MODELS} from './layer_models_acts.js';


describe('activation and structure layers in the modes TFLite runs them in', () => {
  let digits: tf.Tensor;
  let probe: tf.Tensor;

  beforeAll(async () => {
    ({digits, probe} = await digitsAndProbe(64, 16, 13));
  });

  async function agreement(name: string, model: tfl.LayersModel, mode: Mode): Promise<string> {
    const source = mode === 'qat' ? await settledQat(model, digits) : model;
    const bytes = await converterFor(source, mode, digits).convert();
    const lite = await runLiteRt(bytes, probe);
    const ref = tf.tidy(() => (source.predict(probe) as tf.Tensor).dataSync() as Float32Array);
    const worst = worstError(bytes, lite, ref);
    expect(worst, `${name}: ${mode}`).toBeLessThanOrEqual(TOLERANCE[mode]);
    return `${mode} ${worst.toExponential(2)}`;
  }

  for (const [name, build] of Object.entries(LITERT_ONLY_MODELS)) {
    it(`${name}: every mode (LiteRT only)`, async () => {
      const report: string[] = [];
      for (const mode of ['float32', 'float16', 'dynamic', 'int8', 'int16x8', 'qat'] as Mode[]) {
        report.push(await agreement(name, build(), mode));
      }
      console.log(`${name}: ${report.join(', ')}`);
    });
  }

  for (const [name, build] of Object.entries(NO_INT16_MODELS)) {
    it(`${name}: every mode but 16x8, which fails at conversion naming the layer`, async () => {
      const report: string[] = [];
      for (const mode of ['float32', 'float16', 'dynamic', 'int8', 'qat'] as Mode[]) {
        report.push(await agreement(name, build(), mode));
      }
      await expect(converterFor(build(), 'int16x8', digits).convert()).rejects.toThrow(
          /Layer '[^']+' lowers to (ELU|PRELU|GELU), which TFLite runs in float32 and int8 only: 16x8 export/);
      console.log(`${name}: ${report.join(', ')}`);
    });
  }

  for (const [name, build] of Object.entries(NO_QAT_MODELS)) {
    it(`${name}: every mode but QAT, which rejects it as TFMOT does`, async () => {
      const report: string[] = [];
      for (const mode of ['float32', 'float16', 'dynamic', 'int8', 'int16x8'] as Mode[]) {
        report.push(await agreement(name, build(), mode));
      }
      expect(() => tfmot.quantization.quantizeModel(build())).toThrow(
          /Layer '[^']+' of class TimeDistributed is not supported by the default 8-bit/);
      console.log(`${name}: ${report.join(', ')}`);
    });
  }

  it('rejects a ReLU maxValue of 0 or less, naming the layer', async () => {
    const input = tfl.input({shape: [4]});
    const output = tfl.layers.reLU({maxValue: 0, name: 'flat'}).apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({inputs: input, outputs: output});
    await expect(converterFor(model, 'float32', digits).convert()).rejects.toThrow(
        /Layer 'flat': ReLU maxValue 0 .*maxValue > 0/);
  });
});
