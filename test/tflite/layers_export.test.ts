/**
 * Every layer the converter lowers, in every mode, run by LiteRT on real
 * digits and compared with the tfjs model (no ERROR line allowed).
 */
import * as tf from '@tensorflow/tfjs-core';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {runLiteRt} from '../helpers/tflite_eval.js';
import {digitsAndProbe, filesInEveryMode, TOLERANCE, worstError} from './export_modes.js';
import {LAYER_MODELS} from './layer_models.js';
import {COVERED_BY_TEXT_AND_RECURRENT} from './text_and_recurrent_models.js';
import {PARTIAL_MODE_MODELS} from './layer_models_acts.js';


describe('every layer in every mode runs in LiteRT and agrees with tfjs', () => {
  let digits: tf.Tensor;
  let probe: tf.Tensor;

  beforeAll(async () => {
    ({digits, probe} = await digitsAndProbe(64, 16, 13));
  });

  for (const [name, build] of Object.entries(LAYER_MODELS)) {
    it(name, async () => {
      const report: string[] = [];
      for await (const {mode, source, bytes} of filesInEveryMode(build(), digits)) {
        const lite = await runLiteRt(bytes, probe);
        const ref = tf.tidy(() => (source.predict(probe) as tf.Tensor).dataSync() as Float32Array);
        const worst = worstError(bytes, lite, ref);
        report.push(`${mode} ${worst.toExponential(2)}`);
        expect(worst, `${name}: ${mode}`).toBeLessThanOrEqual(TOLERANCE[mode]);
      }
      console.log(`${name}: ${report.join(', ')}`);
    });
  }

  it('covers every convertible layer', () => {
    const used = new Set<string>();
    for (const build of Object.values({...LAYER_MODELS, ...PARTIAL_MODE_MODELS})) {
      for (const layer of build().layers) {
        used.add(layer.getClassName());
      }
    }
    const missing = tfmot.tflite.CONVERTIBLE_LAYERS.filter(
        (c) => !used.has(c) && c !== 'SpatialDropout1D' && !COVERED_BY_TEXT_AND_RECURRENT.includes(c));
    expect(missing).toEqual([]);
  });
});
