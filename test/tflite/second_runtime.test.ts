/**
 * The exported files in a second Google runtime: the TFLite Web API of
 * @tensorflow/tfjs-tflite, a TensorFlow Lite of 2023 (LiteRT.js, which the
 * other export tests use, is of 2025). Every layer in every mode must load
 * there with no ERROR line and compute what LiteRT computes, so the files
 * do not depend on one runtime's leniency or on kernel versions only the
 * newest runtime has.
 */
import * as tf from '@tensorflow/tfjs-core';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {readModel} from '../../src/tflite/reader.js';
import {writeModel} from '../../src/tflite/writer.js';
import {maxAbsDiff} from '../helpers/compare.js';
import {expectNoLiteRtErrors, openTflite} from '../helpers/litert.js';
import {runTfliteWeb, tfliteWebErrors} from '../helpers/tflite_web.js';
import {converterFor, filesInEveryMode, outputStep} from './export_modes.js';
import {LAYER_MODELS} from './layer_models.js';

/** Both runtimes' outputs for each sample, run one at a time (the files have batch 1). */
async function bothRuntimes(bytes: Uint8Array, samples: Float32Array[]): Promise<{lite: number[], web: number[]}> {
  const runner = await openTflite(bytes);
  const lite: number[] = [];
  const web: number[] = [];
  try {
    for (const sample of samples) {
      const [out] = await runner.run([{data: sample, shape: [1, 28, 28, 1]}]);
      lite.push(...Array.from(out.data as ArrayLike<number>));
      const result = await runTfliteWeb(bytes, [sample]);
      expect(tfliteWebErrors(result.log)).toEqual([]);
      web.push(...result.outputs[0].data);
    }
    expectNoLiteRtErrors(runner.log);
  } finally {
    runner.delete();
  }
  return {lite, web};
}

const hasOp = (bytes: Uint8Array, name: string) => tfmot.tflite.inspect(bytes).operators.some((op) => op.opName === name);

describe('every layer in every mode runs in the TFLite Web API too and agrees with LiteRT', () => {
  let digits: tf.Tensor;
  let samples: Float32Array[];

  beforeAll(async () => {
    await tfmot.backend.init();
    const data = tfmot.data.loadMnist({numTrain: 64, numTest: 8, seed: 13});
    digits = tf.concat([data.train.xs, data.test.xs]);
    samples = tf.tidy(() => tf.split(data.test.xs, 8).map((t) => t.dataSync() as Float32Array));
  });

  for (const [name, build] of Object.entries(LAYER_MODELS)) {
    it(name, async () => {
      const report: string[] = [];
      for await (const {mode, bytes} of filesInEveryMode(build(), digits)) {
        const {lite, web} = await bothRuntimes(bytes, samples);
        const step = outputStep(bytes);
        const scale = lite.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
        const worst = maxAbsDiff(lite, web);
        report.push(`${mode} ${step > 0 ? `${(worst / step).toFixed(2)} steps` : (worst / scale).toExponential(2)}`);
        if (step === 0) {
          // Float kernels may sum in another order (measured: BENCHMARKS.md).
          expect(worst / scale, `${name}: ${mode}`).toBeLessThanOrEqual(1e-5);
        } else if (mode === 'int16x8') {
          // The int16 kernels' rounding changed between the two runtimes; a step
          // is 1/65536 of the output range (measured: BENCHMARKS.md).
          expect(worst / step, `${name}: ${mode}`).toBeLessThanOrEqual(2.001);
        } else if (hasOp(bytes, 'TRANSPOSE_CONV')) {
          // The two runtimes' int8 TRANSPOSE_CONV kernels round their output
          // differently (a lone one measured 1 step apart on 0.1% of its
          // values); a later layer may add a step of its own rounding that.
          expect(worst / step, `${name}: ${mode}`).toBeLessThanOrEqual(2.001);
        } else {
          // int8 arithmetic is the same integer arithmetic in both.
          expect(worst, `${name}: ${mode}`).toBe(0);
        }
      }
      console.log(`${name}: ${report.join(', ')}`);
    });
  }

  it('integer-only files (int8 and uint8 input and output) give the same integers in both', async () => {
    const model = LAYER_MODELS['Conv+BN+ReLU, DepthwiseConv2D, Add, Concatenate, GlobalAveragePooling2D']();
    for (const type of ['int8', 'uint8'] as const) {
      const converter = converterFor(model, 'int8', digits);
      converter.inferenceInputType = type;
      converter.inferenceOutputType = type;
      const bytes = await converter.convert();
      const {tensors, inputs} = tfmot.tflite.inspect(bytes);
      const {scale: [s], zeroPoint: [zp]} = tensors[inputs[0]].quantization!;
      const [lo, hi] = type === 'int8' ? [-128, 127] : [0, 255];
      const runner = await openTflite(bytes);
      try {
        for (const sample of samples) {
          const values = Array.from(sample, (v) => Math.min(hi, Math.max(lo, Math.round(v / s) + zp)));
          const q = type === 'int8' ? Int8Array.from(values) : Uint8Array.from(values);
          const [lite] = await runner.run([{data: q, shape: [1, 28, 28, 1]}]);
          const web = await runTfliteWeb(bytes, [q]);
          expect(tfliteWebErrors(web.log)).toEqual([]);
          expect(web.outputs[0].dtype).toBe(type);
          expect(Array.from(web.outputs[0].data)).toEqual(Array.from(lite.data as ArrayLike<number>));
        }
        expectNoLiteRtErrors(runner.log);
      } finally {
        runner.delete();
      }
    }
  });

  it('fails loudly on a file the runtime cannot run: garbage, or a kernel version it lacks', async () => {
    const garbage = new Uint8Array(64);
    garbage.set([0x54, 0x46, 0x4c, 0x33], 4);
    await expect(runTfliteWeb(garbage, [])).rejects.toThrow(/TFLite Web API: the model was refused/);
    const model = readModel(await converterFor(LAYER_MODELS['Dense, Flatten, Dropout'](), 'int8', digits).convert());
    model.operatorCodes[0].version = 99;
    await expect(runTfliteWeb(writeModel(model), [samples[0]])).rejects.toThrow(/opcode 'QUANTIZE' version '99'/);
  });
});
