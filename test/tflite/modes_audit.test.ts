/**
 * The three non-int8 modes checked against what TFLite's converter writes
 * (tools/versioning/op_version.cc) and what LiteRT computes: float16
 * (constants as FLOAT16 + DEQUANTIZE, but never a half that overflows or
 * flushes a tensor away), dynamic range (int8 weights of >= 1024 elements,
 * hybrid kernel versions) and 16x8 (int16 activations, int64 biases).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {expectNoLiteRtErrors, runTflite} from '../helpers/litert.js';
import {seeded} from '../helpers/models.js';

type ST = tfl.SymbolicTensor;
type Mode = 'float16'|'dynamic'|'int16x8';

const apply = (layer: tfl.layers.Layer, x: ST|ST[]) => layer.apply(x) as ST;

async function convert(model: tfl.LayersModel, mode: Mode, xs?: tf.Tensor): Promise<Uint8Array> {
  const c = tfmot.tflite.TFLiteConverter.fromLayersModel(model);
  c.optimizations = ['DEFAULT'];
  if (mode === 'float16') {
    c.targetSpec.supportedTypes = ['float16'];
  }
  if (mode === 'int16x8') {
    c.targetSpec.supportedOps = ['EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8'];
    c.representativeDataset = function* () {
      for (let i = 0; i < xs!.shape[0]; i++) {
        yield tf.slice(xs!, i, 1);
      }
    };
  }
  return c.convert();
}

/** Largest |LiteRT - tfjs| over the rows of `xs`, relative to the largest tfjs output. */
async function relativeError(bytes: Uint8Array, model: tfl.LayersModel, xs: tf.Tensor): Promise<number> {
  const ref = tf.tidy(() => (model.predict(xs) as tf.Tensor).dataSync() as Float32Array);
  const per = ref.length / xs.shape[0];
  let worst = 0;
  for (let i = 0; i < xs.shape[0]; i++) {
    const row = tf.slice(xs, i, 1);
    const {outputs, log} = await runTflite(bytes, [{data: row.dataSync() as Float32Array, shape: row.shape}]);
    row.dispose();
    expectNoLiteRtErrors(log);
    (outputs[0].data as Float32Array).forEach((v, j) => {
      worst = Math.max(worst, Math.abs(v - ref[i * per + j]));
    });
  }
  return worst / ref.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-30);
}

/** "OP vN" per operator, and the type of each operator's inputs. */
function summary(bytes: Uint8Array) {
  const {operators, tensors} = tfmot.tflite.inspect(bytes);
  return operators.map((o) => ({
    op: `${o.opName} v${o.version}`,
    inputs: o.inputs.map((i) => i < 0 ? 'NONE' : tensors[i].type),
    options: o.options,
  }));
}

/** A Dense of 4 -> 3 with the given kernel and bias. */
function dense(kernel: number[][], bias: number[]): tfl.LayersModel {
  const model = tfl.sequential({layers: [tfl.layers.dense({inputShape: [4], units: 3})]});
  model.layers[0].setWeights([tf.tensor2d(kernel), tf.tensor1d(bias)]);
  return model;
}

const KERNEL = [[1, -0.5, 0.25], [0.1, 0.2, -0.3], [0.7, 0.8, 0.9], [-1, 0.3, 0.01]];
const scaled = (k: number) => KERNEL.map((row) => row.map((v) => v * k));

describe('non-int8 modes against TFLite and LiteRT', () => {
  let images: tf.Tensor;

  beforeAll(async () => {
    await tfmot.backend.init();
    images = tf.randomUniform([3, 8, 8, 16], -1, 1, 'float32', 3);
  });

  describe('float16', () => {
    it('stores every float constant as FLOAT16 behind DEQUANTIZE v3 and leaves int32 constants alone', async () => {
      const input = tfl.input({shape: [8, 8, 16]});
      let x = apply(tfl.layers.zeroPadding2d({padding: [[1, 1], [1, 1]]}), input);
      x = apply(tfl.layers.depthwiseConv2d({kernelSize: 3, depthwiseInitializer: seeded(1), biasInitializer: 'ones'}), x);
      x = apply(tfl.layers.maxPooling2d({poolSize: 2}), x);
      x = apply(tfl.layers.batchNormalization({betaInitializer: 'ones'}), x);
      x = apply(tfl.layers.globalAveragePooling2d({}), x);
      x = apply(tfl.layers.dense({units: 5, kernelInitializer: seeded(2), biasInitializer: 'ones'}), x);
      const model = tfl.model({inputs: input, outputs: x});
      const bytes = await convert(model, 'float16');
      const ops = summary(bytes);
      expect(ops.map((o) => o.op)).toEqual(['PAD v1', 'DEQUANTIZE v3', 'DEQUANTIZE v3', 'DEPTHWISE_CONV_2D v1',
        'MAX_POOL_2D v1', 'DEQUANTIZE v3', 'DEQUANTIZE v3', 'DEPTHWISE_CONV_2D v1', 'MEAN v1',
        'DEQUANTIZE v3', 'DEQUANTIZE v3', 'FULLY_CONNECTED v1']);
      expect(ops.filter((o) => o.op.startsWith('DEQUANTIZE')).map((o) => o.inputs)).toEqual(
          Array(6).fill(['FLOAT16']));
      // Paddings and axes stay INT32; every other operand is computed at run time in float32.
      expect(ops.filter((o) => ['PAD v1', 'MEAN v1'].includes(o.op)).map((o) => o.inputs)).toEqual(
          [['FLOAT32', 'INT32'], ['FLOAT32', 'INT32']]);
      expect(await relativeError(bytes, model, images)).toBeLessThan(3e-3);
    });

    it('keeps a constant float32 where a half would overflow to Infinity', async () => {
      // |w| up to 1e5 and a bias of 2e5: past float16's 65504.
      const model = dense(scaled(1e5), [2e5, -2e5, 1]);
      const bytes = await convert(model, 'float16');
      const {tensors} = tfmot.tflite.inspect(bytes);
      expect(tensors.map((t) => t.type)).not.toContain('FLOAT16');
      expect(summary(bytes).map((o) => o.op)).toEqual(['FULLY_CONNECTED v1']);
      const xs = tf.tensor2d([[1, 2, 3, 4], [-0.5, 0.25, 1, -2]]);
      expect(await relativeError(bytes, model, xs)).toBeLessThan(1e-6);
      xs.dispose();
    });

    it('keeps float32 a tensor that lies in float16\'s subnormal range, converts the others', async () => {
      // Kernel ~1e-7 (halves there have a few bits, or none) beside a normal bias.
      const model = dense(scaled(1e-7), [0.5, 0, 1e-3]);
      const bytes = await convert(model, 'float16');
      // One DEQUANTIZE: the bias's; the kernel is read as float32 directly.
      expect(summary(bytes).map((o) => [o.op, o.inputs])).toEqual([['DEQUANTIZE v3', ['FLOAT16']],
        ['FULLY_CONNECTED v1', ['FLOAT32', 'FLOAT32', 'FLOAT32']]]);
      const xs = tf.tensor2d([[1, 2, 3, 4], [-0.5, 0.25, 1, -2]]);
      // Output ~1e-7 + bias: measure the kernel's part against float.
      const noBias = dense(scaled(1e-7), [0, 0, 0]);
      const noBiasBytes = await convert(noBias, 'float16');
      expect(await relativeError(noBiasBytes, noBias, xs)).toBeLessThan(1e-6);
      expect(await relativeError(bytes, model, xs)).toBeLessThan(1e-3);
      xs.dispose();
    });
  });

  describe('dynamic range', () => {
    it('writes the hybrid kernel versions op_version.cc gives and matches float in LiteRT', async () => {
      const input = tfl.input({shape: [8, 8, 16]});
      let x = apply(tfl.layers.conv2d({filters: 16, kernelSize: 3, padding: 'same', dilationRate: 2,
        kernelInitializer: seeded(3), biasInitializer: 'ones'}), input);
      x = apply(tfl.layers.depthwiseConv2d({kernelSize: 3, depthMultiplier: 8, padding: 'same',
        depthwiseInitializer: seeded(4)}), x);
      x = apply(tfl.layers.separableConv2d({filters: 16, kernelSize: 3, depthMultiplier: 8, padding: 'same',
        depthwiseInitializer: seeded(5), pointwiseInitializer: seeded(6)}), x);
      // 576 weights: stays float; dilation gives CONV_2D no version of its own.
      x = apply(tfl.layers.conv2d({filters: 4, kernelSize: 3, padding: 'same', dilationRate: 2,
        kernelInitializer: seeded(7)}), x);
      x = apply(tfl.layers.reshape({targetShape: [4, 64]}), x);
      x = apply(tfl.layers.dense({units: 32, kernelInitializer: seeded(8)}), x);  // rank 3: keep_num_dims
      x = apply(tfl.layers.flatten(), x);
      x = apply(tfl.layers.dense({units: 8, kernelInitializer: seeded(9)}), x);
      const model = tfl.model({inputs: input, outputs: x});
      const bytes = await convert(model, 'dynamic');
      const ops = summary(bytes).filter((o) => o.op !== 'RESHAPE v1');
      expect(ops.map((o) => [o.op, o.inputs[1]])).toEqual([
        ['CONV_2D v5', 'INT8'], ['DEPTHWISE_CONV_2D v6', 'INT8'], ['DEPTHWISE_CONV_2D v6', 'INT8'],
        ['CONV_2D v5', 'INT8'], ['CONV_2D v1', 'FLOAT32'], ['FULLY_CONNECTED v5', 'INT8'],
        ['FULLY_CONNECTED v9', 'INT8']]);
      expect(ops.filter((o) => o.op.startsWith('FULLY')).map((o) => o.options['asymmetricQuantizeInputs']))
          .toEqual([true, true]);
      // Biases stay float.
      expect(ops.every((o) => o.inputs[2] === 'FLOAT32')).toBe(true);
      // Six hybrid layers, each quantizing its input to int8 on the fly, each adding its rounding error.
      expect(await relativeError(bytes, model, images)).toBeLessThan(0.03);
    });

    it('keeps a standalone BatchNormalization float, as TFLite keeps its MUL float', async () => {
      const input = tfl.input({shape: [8, 8, 16]});
      const flat = apply(tfl.layers.reshape({targetShape: [1024]}), input);
      let x = apply(tfl.layers.add(), [flat, flat]);
      x = apply(tfl.layers.batchNormalization({
        gammaInitializer: tfl.initializers.randomUniform({minval: 0.5, maxval: 2, seed: 9}),
        betaInitializer: tfl.initializers.randomUniform({minval: -1, maxval: 1, seed: 10})}), x);
      const model = tfl.model({inputs: input, outputs: x});
      const bytes = await convert(model, 'dynamic');
      const bn = summary(bytes).find((o) => o.op.startsWith('DEPTHWISE'))!;
      expect(bn.op).toBe('DEPTHWISE_CONV_2D v1');
      expect(bn.inputs).toEqual(['FLOAT32', 'FLOAT32', 'FLOAT32']);
      expect(await relativeError(bytes, model, images)).toBeLessThan(1e-5);
    });
  });

  describe('16x8', () => {
    it('runs Add, Multiply, Concatenate, pooling and squashing ops in int16 and agrees with tfjs', async () => {
      const input = tfl.input({shape: [8, 8, 16]});
      const a = apply(tfl.layers.conv2d({filters: 8, kernelSize: 1, kernelInitializer: seeded(10)}), input);
      const b = apply(tfl.layers.conv2d({filters: 8, kernelSize: 1, activation: 'tanh', kernelInitializer: seeded(11)}),
          input);
      const sum = apply(tfl.layers.add(), [a, b]);
      const gated = apply(tfl.layers.multiply(), [sum, apply(tfl.layers.activation({activation: 'sigmoid'}), a)]);
      let x = apply(tfl.layers.concatenate(), [gated, b]);
      x = apply(tfl.layers.averagePooling2d({poolSize: 2}), x);
      x = apply(tfl.layers.globalAveragePooling2d({}), x);
      x = apply(tfl.layers.dense({units: 5, activation: 'softmax', kernelInitializer: seeded(12)}), x);
      const model = tfl.model({inputs: input, outputs: x});
      const bytes = await convert(model, 'int16x8', images);
      const {operators, tensors} = tfmot.tflite.inspect(bytes);
      expect(operators.map((o) => `${o.opName} v${o.version}`)).toEqual(['QUANTIZE v2', 'CONV_2D v4', 'CONV_2D v4',
        'TANH v3', 'ADD v3', 'LOGISTIC v3', 'MUL v4', 'QUANTIZE v2', 'CONCATENATION v3', 'AVERAGE_POOL_2D v3',
        'MEAN v3', 'FULLY_CONNECTED v7', 'SOFTMAX v3', 'DEQUANTIZE v3']);
      expect(operators.find((o) => o.opName === 'ADD')!.options['potScaleInt16']).toBe(false);
      const activations = tensors.filter((t) => t.type === 'INT16');
      expect(activations.every((t) => t.quantization!.zeroPoint.every((z) => z === 0))).toBe(true);
      for (const name of ['TANH', 'LOGISTIC', 'SOFTMAX']) {
        const out = tensors[operators.find((o) => o.opName === name)!.outputs[0]];
        expect(out.quantization!.scale).toEqual([1 / 32768]);
      }
      const weighted = operators.filter((o) => ['CONV_2D', 'FULLY_CONNECTED'].includes(o.opName));
      expect(weighted.map((o) => [tensors[o.inputs[1]].type, tensors[o.inputs[2]].type]))
          .toEqual(Array(3).fill(['INT8', 'INT64']));
      expect(await relativeError(bytes, model, images)).toBeLessThan(0.01);
    });
  });
});
