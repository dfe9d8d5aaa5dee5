/**
 * End-to-end check of the exporter on two realistic architectures, trained
 * briefly on real digits (seeded, shuffle off, so the measured values repeat):
 * every mode runs in LiteRT with no ERROR line (runLiteRt fails otherwise).
 * Checked on 2000 held-out digits (16x8 on the first 500); the values each
 * bound was set against are in BENCHMARKS.md ("Measured agreement behind the
 * test bounds").
 *
 * QAT vs the fake-quant model, and why the tutorial model's criteria (argmax
 * >= 99.5%, >= 99% of outputs within 1 step) do not hold here:
 * - MobileNetV2-style: every layer's int32 bias is rounded to
 *   s_in * s_w (the TFLite spec; QAT, like TFMOT, trains with the float
 *   bias), which flips a pre-activation lying within half a bias step times
 *   s_in * s_w / s_out of a rounding tie. Probing the first depthwise block
 *   (stride 2, BN folded, ReLU6): of the outputs that differ from fake-quant,
 *   most have exactly equal inputs, and every one of those lies within that
 *   window of a tie (an integer emulation from the file's weights and bias).
 *   The rest are inherited from earlier layers. Eleven quantized layers deep,
 *   these 1-step flips accumulate, so the logits get looser step bounds.
 * - ResNet/Inception-style: the output is an int8 SOFTMAX with step 1/256,
 *   and one logit step s moves a probability by up to p(1-p)s, i.e. many
 *   output steps; "within 1 step" of a softmax output is not a
 *   bound the int8 kernel can meet whenever a logit rounds differently.
 *   (Not probed layer by layer like the MobileNet-style net; the logits'
 *   flips are presumably the same bias-rounding effect.)
 * Both files keep argmax agreement high.
 *
 * 16x8 vs int8: both files carry the same int8 weights (asserted). On the
 * Inception-style net 16x8 is several times closer to float. On the
 * MobileNet-style net it is closer at every probed layer up to the last
 * residual Add, but after GlobalAveragePooling2D averages the activation
 * rounding away, what is left is the common weight quantization error
 * (per-channel systematic), so the logits are closer in the worst case but
 * not on average. Measured in review against the same net with int8 weights
 * and float activations: the 16x8 file is close to it, the int8 file about
 * as far as float; int8's activation rounding happens to cancel part of the
 * weight error on average.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {TFLiteConverter} from '../../src/tflite/converter.js';
import {readModel} from '../../src/tflite/reader.js';
import {maxAbsDiff, maxRelativeDiff} from '../helpers/compare.js';
import {argmaxRows, runLiteRt} from '../helpers/tflite_eval.js';

type ST = tfl.SymbolicTensor;
let seedN = 100;
const init = () => tfl.initializers.glorotUniform({seed: seedN++});
const A = (l: tfl.layers.Layer, x: ST|ST[]) => l.apply(x) as ST;

function convBn(x: ST, filters: number, k: number, stride: number, relu6: boolean): ST {
  x = A(tfl.layers.conv2d({filters, kernelSize: k, strides: stride, padding: 'same', useBias: false,
    kernelInitializer: init()}), x);
  x = A(tfl.layers.batchNormalization({momentum: 0.5}), x);
  return relu6 ? A(tfl.layers.reLU({maxValue: 6}), x) : x;
}
function invRes(x: ST, expand: number, out: number, stride: number): ST {
  const inC = x.shape[3]!;
  let y = convBn(x, expand, 1, 1, true);
  y = A(tfl.layers.depthwiseConv2d({kernelSize: 3, strides: stride, padding: 'same', useBias: false,
    depthwiseInitializer: init()}), y);
  y = A(tfl.layers.batchNormalization({momentum: 0.5}), y);
  y = A(tfl.layers.reLU({maxValue: 6}), y);
  y = convBn(y, out, 1, 1, false);
  return stride === 1 && inC === out ? A(tfl.layers.add({}), [x, y]) : y;
}
function mobilenet(): tfl.LayersModel {
  seedN = 100;  // Each model its own seeds, so a test run alone measures the same.
  const input = tfl.input({shape: [28, 28, 1]});
  let x = convBn(input, 16, 3, 2, true);
  x = invRes(x, 32, 16, 2);
  x = invRes(x, 48, 16, 1);
  x = invRes(x, 48, 16, 1);
  x = A(tfl.layers.globalAveragePooling2d({}), x);
  x = A(tfl.layers.dense({units: 10, kernelInitializer: init()}), x);
  return tfl.model({inputs: input, outputs: x});
}
function inception(): tfl.LayersModel {
  seedN = 111;  // Right after mobilenet's 11 initializers, as the measured values were taken.
  const input = tfl.input({shape: [28, 28, 1]});
  let x = A(tfl.layers.zeroPadding2d({padding: 1}), input);
  x = A(tfl.layers.conv2d({filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: init()}), x);
  x = A(tfl.layers.maxPooling2d({poolSize: 2}), x);  // 14x14x16
  const b1 = A(tfl.layers.conv2d({filters: 8, kernelSize: 1, activation: 'relu', kernelInitializer: init()}), x);
  let b2 = A(tfl.layers.zeroPadding2d({padding: 1}), x);
  b2 = A(tfl.layers.conv2d({filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: init()}), b2);
  let b3 = A(tfl.layers.averagePooling2d({poolSize: 3, strides: 1, padding: 'same'}), x);
  b3 = A(tfl.layers.conv2d({filters: 8, kernelSize: 1, activation: 'relu', kernelInitializer: init()}), b3);
  const cat = A(tfl.layers.concatenate({}), [b1, b2, b3]);  // 24
  const sc = A(tfl.layers.conv2d({filters: 24, kernelSize: 1, kernelInitializer: init()}), x);
  x = A(tfl.layers.add({}), [cat, sc]);
  x = A(tfl.layers.reLU({}), x);
  x = A(tfl.layers.averagePooling2d({poolSize: 2}), x);  // 7x7x24
  x = A(tfl.layers.flatten({}), x);
  x = A(tfl.layers.dense({units: 32, activation: 'relu', kernelInitializer: init()}), x);
  x = A(tfl.layers.dropout({rate: 0.2, seed: 5}), x);
  x = A(tfl.layers.dense({units: 10, activation: 'softmax', kernelInitializer: init()}), x);
  return tfl.model({inputs: input, outputs: x});
}


const NUM_TEST = 2000;
const NUM_16X8 = 500;

interface Measured {
  floatAcc: number; f32Rel: number; f16Max: number;
  ptqAcc: number; ptqErr: number; ptqMax: number;
  i16Err: number; i16Max: number; ptqErrOn16: number; ptqMaxOn16: number; sameWeights: boolean;
  qatAgree: number; qatWithin1: number; qatWithin2: number; qatMaxSteps: number;
}

/** Trains `build()` briefly, converts it in every mode and measures each file in LiteRT. */
async function measure(build: () => tfl.LayersModel, softmax: boolean, lr: number): Promise<Measured> {
  const data = tfmot.data.loadMnist({numTrain: 2000, numTest: NUM_TEST, seed: 7});
  const labels = tfmot.data.oneHotLabels(data.train.ys);
  const compile = (m: tfl.LayersModel, rate: number) => m.compile({optimizer: tf.train.adam(rate),
    loss: softmax ? 'categoricalCrossentropy' : tfmot.data.categoricalCrossentropyFromLogits});
  const model = build();
  compile(model, lr);
  await model.fit(data.train.xs, labels, {epochs: 1, batchSize: 64, shuffle: false, verbose: 0});
  const qat = tfmot.quantization.quantizeModel(model);
  compile(qat, 1e-4);
  const [qx, qy] = [tf.slice(data.train.xs, 0, 1000), tf.slice(labels, 0, 1000)];
  await qat.fit(qx, qy, {epochs: 1, batchSize: 32, shuffle: false, verbose: 0});
  tf.dispose([qx, qy, labels]);

  const predict = (m: tfl.LayersModel) =>
    tf.tidy(() => (m.predict(data.test.xs, {batchSize: 500}) as tf.Tensor).dataSync() as Float32Array);
  const truth = Array.from(data.test.ys.dataSync());
  const acc = (v: Float32Array) => argmaxRows(v, 10).filter((c, i) => c === truth[i]).length / (v.length / 10);
  const convert = (m: tfl.LayersModel, setup: (c: TFLiteConverter) => void = () => {}) => {
    const c = TFLiteConverter.fromLayersModel(m);
    setup(c);
    return c.convert();
  };
  const calibrate = (c: TFLiteConverter) => {
    c.optimizations = ['DEFAULT'];
    c.representativeDataset = function* () {
      for (let i = 0; i < 200; i++) {
        yield tf.slice(data.train.xs, i, 1);
      }
    };
  };
  const ref = predict(model);
  const absErr = (v: Float32Array) => v.reduce((s, x, i) => s + Math.abs(x - ref[i]), 0) / v.length;
  // Against the first digits' outputs when `v` has fewer (16x8 runs on 500).
  const maxErr = (v: Float32Array) => maxAbsDiff(v, ref.subarray(0, v.length));

  // runLiteRt fails the test on any LiteRT ERROR line.
  const f32 = await runLiteRt(await convert(model), data.test.xs);
  const f32Rel = maxRelativeDiff(f32, ref);
  const f16 = await runLiteRt(await convert(model, (c) => {
    c.optimizations = ['DEFAULT'];
    c.targetSpec.supportedTypes = ['float16'];
  }), data.test.xs);
  const ptqBytes = await convert(model, calibrate);
  const ptq = await runLiteRt(ptqBytes, data.test.xs);
  const i16Bytes = await convert(model, (c) => {
    calibrate(c);
    c.targetSpec.supportedOps = ['EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8'];
  });
  const sub = tf.slice(data.test.xs, 0, NUM_16X8);
  const i16 = await runLiteRt(i16Bytes, sub);
  sub.dispose();
  const ptqSub = ptq.slice(0, i16.length);

  const qatBytes = await convert(qat, (c) => {
    c.optimizations = ['DEFAULT'];
  });
  const info = tfmot.tflite.inspect(qatBytes);
  const deq = info.operators.find((o) => o.opName === 'DEQUANTIZE' && o.outputs[0] === info.outputs[0])!;
  const step = info.tensors[deq.inputs[0]].quantization!.scale[0];
  const lite = await runLiteRt(qatBytes, data.test.xs);
  const fq = predict(qat);
  const fqClass = argmaxRows(fq, 10);
  const steps = Array.from(lite, (v, i) => Math.abs(v - fq[i]) / step);
  const share = (k: number) => steps.filter((d) => d <= k + 1e-3).length / steps.length;
  tf.dispose([data.train.xs, data.train.ys, data.test.xs, data.test.ys]);
  const result: Measured = {
    floatAcc: acc(ref), f32Rel, f16Max: maxErr(f16),
    ptqAcc: acc(ptq), ptqErr: absErr(ptq), ptqMax: maxErr(ptq),
    i16Err: absErr(i16), i16Max: maxErr(i16), ptqErrOn16: absErr(ptqSub), ptqMaxOn16: maxErr(ptqSub),
    sameWeights: sameWeights(ptqBytes, i16Bytes),
    qatAgree: argmaxRows(lite, 10).filter((c, i) => c === fqClass[i]).length / NUM_TEST,
    qatWithin1: share(1), qatWithin2: share(2), qatMaxSteps: Math.max(...steps),
  };
  console.log(JSON.stringify(result));
  return result;
}

/** True when the int8 weight tensors of the conv/dense ops of two files are byte-identical. */
function sameWeights(a: Uint8Array, b: Uint8Array): boolean {
  const weights = (bytes: Uint8Array) => {
    const info = tfmot.tflite.inspect(bytes);
    const model = readModel(bytes);
    return info.operators.filter((o) => /CONV|FULLY/.test(o.opName))
        .map((o) => Array.from(model.buffers[info.tensors[o.inputs[1]].buffer].data).join());
  };
  return weights(a).join('|') === weights(b).join('|');
}

describe('realistic architectures through every export mode', () => {
  beforeAll(async () => {
    await tfmot.backend.init();
  });

  it('MobileNetV2-style (BN folding, ReLU6, residual Add, GAP, logits)', async () => {
    const m = await measure(mobilenet, false, 1e-2);
    expect(m.f32Rel).toBeLessThan(1e-5);
    expect(m.f16Max).toBeLessThan(1e-2);
    expect(Math.abs(m.ptqAcc - m.floatAcc)).toBeLessThanOrEqual(0.01);
    expect(m.sameWeights).toBe(true);
    expect(m.i16Max).toBeLessThan(m.ptqMaxOn16);
    expect(m.i16Err).toBeLessThan(1.5 * m.ptqErrOn16);
    // See the file comment: int32 bias rounding, accumulated over 11 layers.
    expect(m.qatAgree).toBeGreaterThanOrEqual(0.98);
    expect(m.qatWithin1).toBeGreaterThanOrEqual(0.85);
    expect(m.qatWithin2).toBeGreaterThanOrEqual(0.98);
    expect(m.qatMaxSteps).toBeLessThanOrEqual(4.01);
  });

  it('ResNet/Inception-style (Concatenate, Add, pooling, padding, Dropout, softmax)', async () => {
    const m = await measure(inception, true, 3e-3);
    expect(m.f32Rel).toBeLessThan(1e-5);
    expect(m.f16Max).toBeLessThan(1e-2);
    expect(Math.abs(m.ptqAcc - m.floatAcc)).toBeLessThanOrEqual(0.01);
    expect(m.sameWeights).toBe(true);
    expect(m.i16Err).toBeLessThan(m.ptqErrOn16 / 3);
    expect(m.i16Max).toBeLessThan(m.ptqMaxOn16 / 2);
    // Softmax output, step 1/256: see the file comment.
    expect(m.qatAgree).toBeGreaterThanOrEqual(0.98);
    expect(m.qatWithin1).toBeGreaterThanOrEqual(0.85);
    expect(m.qatWithin2).toBeGreaterThanOrEqual(0.92);
    expect(m.qatMaxSteps).toBeLessThanOrEqual(16);
  });
});
