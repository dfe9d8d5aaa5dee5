/**
 * Weights at the ends of float32: kernels so small (1e-38) or zero that a
 * scale computed from them would be subnormal or zero, which LiteRT refuses
 * ("unsupported scale value"), export to files LiteRT runs with outputs
 * matching tfjs; weights so large that activations overflow fail at
 * calibration with an error naming the layer.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {expectNoLiteRtErrors, runTflite} from '../helpers/litert.js';
import {converterFor, Mode, settledQat, TOLERANCE, worstError} from './export_modes.js';

beforeAll(async () => {
  await tfmot.backend.init();
});

/** Sets the first weighted layer's kernel to `value`, and its bias to zero if `zeroBias`. */
function setKernel(model: tfl.LayersModel, value: number, zeroBias = false): void {
  const layer = model.layers.find((l) => l.getWeights().length > 0)!;
  // getWeights() returns the variables' own tensors: read them, never dispose them.
  const [kernel, bias] = layer.getWeights();
  const replaced = [tf.fill(kernel.shape, value), zeroBias ? tf.zerosLike(bias) : bias.clone()];
  layer.setWeights(replaced);
  tf.dispose(replaced);
}

const seeded = (seed: number) => tfl.initializers.randomUniform({minval: -0.5, maxval: 0.5, seed});

/** Dense 64 -> 32 (2048 weights: dynamic range quantizes it) -> Dense 4, weights and biases random. */
function denseModel(): tfl.LayersModel {
  return tfl.sequential({layers: [
    tfl.layers.dense({units: 32, inputShape: [64], activation: 'relu', name: 'tiny_dense',
      biasInitializer: seeded(1)}),
    tfl.layers.dense({units: 4, name: 'head', kernelInitializer: seeded(2), biasInitializer: seeded(3)}),
  ]});
}

/** Conv2D 3x3, 16 -> 16 channels (2304 weights), then a Dense head. */
function convModel(): tfl.LayersModel {
  return tfl.sequential({layers: [
    tfl.layers.conv2d({filters: 16, kernelSize: 3, inputShape: [5, 5, 16], name: 'tiny_conv',
      biasInitializer: seeded(4)}),
    tfl.layers.flatten(),
    tfl.layers.dense({units: 3, name: 'head', kernelInitializer: seeded(5), biasInitializer: seeded(6)}),
  ]});
}

/** LiteRT's outputs for each row of `xs`, concatenated; fails on any ERROR line. */
async function liteRt(bytes: Uint8Array, xs: tf.Tensor): Promise<Float32Array> {
  const values: number[] = [];
  for (let i = 0; i < xs.shape[0]; i++) {
    const row = tf.slice(xs, i, 1);
    const {outputs, log} = await runTflite(bytes, [{data: row.dataSync() as Float32Array, shape: row.shape}]);
    row.dispose();
    expectNoLiteRtErrors(log);
    values.push(...outputs[0].data as Float32Array);
  }
  return Float32Array.from(values);
}

/** Every scale of every tensor in the file is a normal positive float32. */
function expectNormalScales(bytes: Uint8Array, what: string): void {
  for (const t of tfmot.tflite.inspect(bytes).tensors) {
    for (const s of t.quantization?.scale ?? []) {
      expect(s >= 2 ** -126 && Number.isFinite(s), `${what}: scale ${s} of '${t.name}'`).toBe(true);
    }
  }
}

const MODES: Mode[] = ['int8', 'dynamic', 'int16x8'];

describe('kernels whose scales would be subnormal or zero', () => {
  const cases: Array<[string, () => tfl.LayersModel, number[], number, boolean]> = [
    ['Dense with a 1e-38 kernel', denseModel, [6, 64], 1e-38, false],
    ['Dense with a 1e-38 kernel and zero bias (all its outputs ~1e-37)', denseModel, [6, 64], 1e-38, true],
    ['Dense with an all-zero kernel and zero bias', denseModel, [6, 64], 0, true],
    ['Conv2D with a 1e-38 kernel', convModel, [4, 5, 5, 16], 1e-38, false],
    ['Conv2D with a 1e-30 kernel and zero bias', convModel, [4, 5, 5, 16], 1e-30, true],
  ];
  for (const [what, make, shape, value, zeroBias] of cases) {
    it(`${what}: every mode runs in LiteRT and matches tfjs`, async () => {
      const model = make();
      setKernel(model, value, zeroBias);
      const xs = tf.randomUniform(shape, 0, 1, 'float32', 9);
      const expected = tf.tidy(() => (model.predict(xs) as tf.Tensor).dataSync() as Float32Array);
      for (const mode of MODES) {
        const bytes = await converterFor(model, mode, xs).convert();
        expectNormalScales(bytes, `${what} ${mode}`);
        const got = await liteRt(bytes, xs);
        expect(worstError(bytes, got, expected), `${what} ${mode}`).toBeLessThanOrEqual(TOLERANCE[mode]);
        // The public Interpreter too: it throws on any LiteRT ERROR line.
        const interpreter = await tfmot.tflite.Interpreter.create(bytes);
        const predicted = await interpreter.predict(xs);
        expect(Array.from(await predicted.data()), `${what} ${mode} Interpreter`).toEqual(Array.from(got));
        predicted.dispose();
        interpreter.dispose();
      }
      xs.dispose();
      model.dispose();
    });
  }
});

describe('QAT models at the same extremes', () => {
  it('a QAT Dense with a 1e-38 kernel: normal scales, LiteRT matches the QAT model', async () => {
    const model = denseModel();
    setKernel(model, 1e-38, true);
    const xs = tf.randomUniform([6, 64], 0, 1, 'float32', 11);
    const qat = await settledQat(model, xs);
    const expected = tf.tidy(() => (qat.predict(xs) as tf.Tensor).dataSync() as Float32Array);
    const bytes = await converterFor(qat, 'qat', xs).convert();
    expectNormalScales(bytes, 'qat');
    expect(worstError(bytes, await liteRt(bytes, xs), expected)).toBeLessThanOrEqual(TOLERANCE.qat);
    tf.dispose(xs);
    qat.dispose();
    model.dispose();
  });

  it('a QAT model whose ranges overflowed: the converter names the tensor and layer', async () => {
    const model = denseModel();
    setKernel(model, 1e38);
    const xs = tf.randomUniform([2, 64], 0.5, 1, 'float32', 12);
    const qat = tfmot.quantization.quantizeModel(model);
    // A training-mode forward pass moves the quantizers' ranges, not the weights (whose gradients would be NaN).
    tf.dispose(tf.tidy(() => qat.apply(xs, {training: true}) as tf.Tensor));
    await expect(converterFor(qat, 'qat', xs).convert()).rejects.toThrow(
        /Tensor 'tiny_dense\/out' \(from layer 'tiny_dense'\) has the range \[.*(Infinity|NaN)\]: its values overflow float32/);
    tf.dispose(xs);
    qat.dispose();
    model.dispose();
  });
});

describe('weights so large that activations overflow', () => {
  it('calibration names the layer whose outputs are not finite, instead of a BigInt RangeError', async () => {
    const model = denseModel();
    setKernel(model, 1e38);
    const xs = tf.randomUniform([2, 64], 0.5, 1, 'float32', 10);
    for (const mode of ['int8', 'int16x8'] as Mode[]) {
      await expect(converterFor(model, mode, xs).convert(), mode).rejects.toThrow(
          /Calibration: layer 'tiny_dense' gives non-finite values \((-?Infinity|NaN) to (-?Infinity|NaN)\) on representativeDataset sample 0/);
    }
    xs.dispose();
    model.dispose();
  });
});
