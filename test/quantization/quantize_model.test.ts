/**
 * quantizeModel / quantizeApply on the model shapes TFMOT supports: the
 * tutorial Sequential CNN, a functional model with two inputs and outputs,
 * Conv2D -> BatchNorm -> ReLU folding, partial quantization and custom
 * QuantizeConfigs. The float input model must never change.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {batchNormScaleShift} from '../../src/graph/batch_norm.js';
import {maxAbsDiff, relativeError} from '../helpers/compare.js';
import {calibrate, call, convBnReluModel, layerClasses, predictValues, quantizerRanges, randomTensor, seeded, twoInputTwoOutputModel, weightValues, wrapper} from './helpers.js';

const q = tfmot.quantization;
type Layer = tfl.layers.Layer;

beforeAll(async () => {
  await tfmot.backend.init();
});

/** The wrapper's QuantizeConfig as a plain object. */
const configOf = (model: tfl.LayersModel, name: string) =>
    wrapper(model, name).quantizeConfig.getConfig();

/** True when every value is k / 256 for an integer k in [0, 255]. */
function onSoftmaxGrid(values: ArrayLike<number>): boolean {
  return Array.from(values).every((v) => {
    const k = v * 256;
    return Math.abs(k - Math.round(k)) < 1e-4 && k >= -1e-4 && k <= 255 + 1e-4;
  });
}

/** Fraction of rows (of `classes` values) whose argmax agree. */
function argmaxAgreement(a: Float32Array, b: Float32Array, classes: number): number {
  const argmax = (v: Float32Array, row: number) => {
    const slice = Array.from(v.subarray(row * classes, (row + 1) * classes));
    return slice.indexOf(Math.max(...slice));
  };
  const rows = b.length / classes;
  let same = 0;
  for (let r = 0; r < rows; r++) {
    same += argmax(a, r) === argmax(b, r) ? 1 : 0;
  }
  return same / rows;
}

/** Everything about a model's layers that quantization must not touch. */
function snapshot(model: tfl.LayersModel) {
  return {
    layers: [...model.layers],
    classes: layerClasses(model),
    names: model.layers.map((l) => l.name),
    inbound: model.layers.map((l) => l.inboundNodes.length),
    configs: JSON.stringify(model.layers.map((l) => l.getConfig())),
    weights: weightValues(model),
  };
}

describe('the tutorial Sequential model', () => {
  it('becomes Input, QuantizeLayer, quant_conv2d, MaxPooling2D, Flatten, quant_dense', () => {
    const model = tfmot.data.mnistTutorialModel({seed: 3});
    const [conv, , , dense] = model.layers;
    const qat = q.quantizeModel(model);
    expect(layerClasses(qat)).toEqual(
        ['InputLayer', 'QuantizeLayer', 'QuantizeWrapper', 'MaxPooling2D', 'Flatten',
          'QuantizeWrapper']);
    expect(qat.layers[2].name).toBe(`quant_${conv.name}`);
    expect(qat.layers[5].name).toBe(`quant_${dense.name}`);
    expect(qat.layers[2].name).toMatch(/^quant_conv2d/);
    expect(qat.layers[5].name).toMatch(/^quant_dense/);
    expect(wrapper(qat, `quant_${conv.name}`).layer.getClassName()).toBe('Conv2D');
    expect(wrapper(qat, `quant_${dense.name}`).layer.getClassName()).toBe('Dense');
    // Conv2D: per-channel kernel ranges; Dense: one range. Both quantize the activation.
    expect(configOf(qat, `quant_${conv.name}`)).toMatchObject(
        {weightAttrs: ['kernel'], activationAttrs: ['activation'], perAxisWeights: true});
    expect(configOf(qat, `quant_${dense.name}`)).toMatchObject(
        {weightAttrs: ['kernel'], activationAttrs: ['activation'], perAxisWeights: false});
    const convVars = wrapper(qat, `quant_${conv.name}`).quantizerVariables();
    expect(convVars['kernel'].min.shape).toEqual([12]);
    expect(wrapper(qat, `quant_${dense.name}`).quantizerVariables()['kernel'].min.shape).toEqual([]);
    // The input goes through an all-values quantizer, as in TFMOT.
    const input = qat.layers[1] as tfmot.quantization.QuantizeLayer;
    expect(input.quantizer).toBeInstanceOf(q.AllValuesQuantizer);
    expect(qat.outputs[0].shape).toEqual([null, 10]);
  });

  it('predicts close to the float model once ranges are calibrated', () => {
    const model = tfmot.data.mnistTutorialModel({seed: 3});
    const {train, test} = tfmot.data.loadMnist({numTrain: 64, numTest: 64, seed: 1});
    const qat = q.quantizeModel(model);
    calibrate(qat, train.xs, 5);
    const [float] = predictValues(model, test.xs);
    const [quant] = predictValues(qat, test.xs);
    // The logits' range still sits near its [-6, 6] start (EMA decay 0.999), so
    // the output grid is coarse next to an untrained model's small logits:
    // measure the error in steps of that grid.
    const ranges = quantizerRanges(qat);
    const name = `quant_${model.layers[3].name}/activation`;
    const step = (ranges[`${name}/max`][0] - ranges[`${name}/min`][0]) / 255;
    const maxDiff = maxAbsDiff(quant, float);
    expect(maxDiff).toBeLessThan(2 * step);
    expect(maxDiff).toBeGreaterThan(0);  // it does quantize
    expect(argmaxAgreement(quant, float, 10)).toBeGreaterThanOrEqual(0.9);
    tf.dispose([train.xs, train.ys, test.xs, test.ys]);
  });
});

describe('a functional model with two inputs, two outputs, Add and Concatenate', () => {
  it('quantizes each input once and shares the Concatenate output quantizer', () => {
    const model = twoInputTwoOutputModel();
    const qat = q.quantizeModel(model);
    expect(qat.inputs.map((t) => t.shape)).toEqual([[null, 4], [null, 4]]);
    expect(qat.outputs.map((t) => t.shape)).toEqual([[null, 3], [null, 2]]);
    const quantizeLayers = qat.layers.filter((l) => l instanceof q.QuantizeLayer);
    expect(quantizeLayers.map((l) => l.name).sort())
        .toEqual(['quantize_layer_in1', 'quantize_layer_in2']);
    expect(layerClasses(qat).filter((c) => c === 'QuantizeWrapper')).toHaveLength(8);
    expect(qat.layers.some((l) => ['Dense', 'Add', 'Concatenate'].includes(l.getClassName())))
        .toBe(false);
    // Dense(relu) feeding Add: quantized after its relu.
    expect(configOf(qat, 'quant_a').activationAttrs).toEqual(['activation']);
    expect(configOf(qat, 'quant_b').activationAttrs).toEqual(['activation']);
    // Add and Concatenate quantize their outputs...
    expect(configOf(qat, 'quant_add')).toMatchObject({quantizeOutput: true, weightAttrs: []});
    expect(configOf(qat, 'quant_cat')).toMatchObject({quantizeOutput: true, weightAttrs: []});
    // ...so the Concatenate's inputs are left unquantized.
    expect(configOf(qat, 'quant_c1').activationAttrs).toEqual([]);
    expect(configOf(qat, 'quant_c2').activationAttrs).toEqual([]);
    expect(wrapper(qat, 'quant_c1').quantizerVariables()['activation']).toBeUndefined();
    // The softmax head gets the fixed int8 output grid.
    expect(configOf(qat, 'quant_out1').activationAttrs).toEqual(['activation']);
  });

  it('runs, trains and stays close to the float model', async () => {
    const model = twoInputTwoOutputModel();
    const qat = q.quantizeModel(model);
    const xs = [randomTensor([64, 4], 1), randomTensor([64, 4], 2)];
    calibrate(qat, xs, 5);
    const [floatSoftmax, floatLinear] = predictValues(model, xs);
    const [quantSoftmax, quantLinear] = predictValues(qat, xs);
    expect(onSoftmaxGrid(quantSoftmax)).toBe(true);
    expect(onSoftmaxGrid(floatSoftmax)).toBe(false);
    expect(relativeError(quantSoftmax, floatSoftmax)).toBeLessThan(0.1);
    expect(relativeError(quantLinear, floatLinear)).toBeLessThan(0.1);

    qat.compile({optimizer: tf.train.sgd(0.1), loss: ['categoricalCrossentropy', 'meanSquaredError']});
    const ys = [tf.oneHot(tf.tensor1d(Array.from({length: 64}, (_, i) => i % 3), 'int32'), 3),
      tf.ones([64, 2])];
    const before = weightValues(qat)['quant_out2/kernel'];
    const history = await qat.fit(xs, ys, {epochs: 1, batchSize: 16, verbose: 0});
    expect(Number.isFinite(history.history['loss'][0] as number)).toBe(true);
    expect(weightValues(qat)['quant_out2/kernel']).not.toEqual(before);
    tf.dispose([...xs, ...ys]);
  });
});

describe('Conv2D -> BatchNormalization -> ReLU', () => {
  it('folds the BatchNorm into the conv wrapper and quantizes only after the ReLU', () => {
    const model = convBnReluModel();
    const qat = q.quantizeModel(model);
    expect(layerClasses(qat)).not.toContain('BatchNormalization');
    expect(layerClasses(qat)).toEqual(['InputLayer', 'QuantizeLayer', 'QuantizeWrapper',
      'QuantizeWrapper', 'QuantizeWrapper', 'Flatten', 'QuantizeWrapper', 'QuantizeWrapper']);
    const conv = wrapper(qat, 'quant_conv');
    expect(conv.foldedBatchNorm?.getClassName()).toBe('BatchNormalization');
    expect(conv.foldedBatchNorm?.getWeights().map((w) => Array.from(w.dataSync())))
        .toEqual(model.getLayer('bn').getWeights().map((w) => Array.from(w.dataSync())));
    expect(configOf(qat, 'quant_conv')).toMatchObject(
        {weightAttrs: ['kernel'], activationAttrs: [], quantizeOutput: false, perAxisWeights: true});
    expect(Object.keys(conv.quantizerVariables())).toEqual(['kernel']);
    expect(wrapper(qat, 'quant_relu').layer.getClassName()).toBe('ReLU');
    expect(configOf(qat, 'quant_relu')).toMatchObject({quantizeOutput: true, weightAttrs: []});
    // DepthwiseConv2D: per output channel (in * multiplier = 8) ranges of its depthwise kernel.
    expect(configOf(qat, 'quant_dw')).toMatchObject(
        {weightAttrs: ['depthwiseKernel'], activationAttrs: ['activation'], perAxisWeights: true});
    expect(wrapper(qat, 'quant_dw').quantizerVariables()['depthwiseKernel'].max.shape).toEqual([8]);
    // Dense(relu) quantizes its activation; Dense(softmax) too, before the softmax.
    expect(configOf(qat, 'quant_fc').activationAttrs).toEqual(['activation']);
    expect(configOf(qat, 'quant_out').activationAttrs).toEqual(['activation']);
  });

  it('folded weights are w * gamma / sqrt(var + eps) and bias (b - mean) * s + beta', () => {
    const model = convBnReluModel();
    const qat = q.quantizeModel(model);
    const conv = wrapper(qat, 'quant_conv');
    const [kernel, bias] = model.getLayer('conv').getWeights().map((w) => Array.from(w.dataSync()));
    const [gamma, beta, mean, variance] =
        model.getLayer('bn').getWeights().map((w) => Array.from(w.dataSync()));
    const eps = model.getLayer('bn').getConfig()['epsilon'] as number;
    const s = gamma.map((g, c) => g / Math.sqrt(variance[c] + eps));
    const channels = 4;
    const folded = kernel.map((w, i) => w * s[i % channels]);

    const fold = batchNormScaleShift(conv.foldedBatchNorm!);
    Array.from(fold.scale.dataSync()).forEach((v, c) => expect(v).toBeCloseTo(s[c], 5));
    Array.from(fold.shift.dataSync())
        .forEach((v, c) => expect(v).toBeCloseTo(beta[c] - mean[c] * s[c], 5));

    // Bias: no quantization, folded exactly.
    const effBias = Array.from(conv.effectiveBias(fold)!.dataSync());
    effBias.forEach((v, c) => expect(v).toBeCloseTo((bias[c] - mean[c]) * s[c] + beta[c], 5));

    // Kernel: folded first, then quantized per channel on [-a_c, a_c], a_c = max |w * s|.
    const [{attr, value}] = conv.effectiveWeights(fold.scale, true);
    expect(attr).toBe('kernel');
    expect(value.shape).toEqual([3, 3, 3, 4]);
    const a = Array.from({length: channels}, (_, c) =>
        Math.max(...folded.filter((_, i) => i % channels === c).map(Math.abs)));
    const vars = conv.quantizerVariables()['kernel'];
    Array.from(vars.max.read().dataSync()).forEach((v, c) => expect(v).toBeCloseTo(a[c], 5));
    Array.from(vars.min.read().dataSync()).forEach((v, c) => expect(v).toBeCloseTo(-a[c], 5));
    const quantized = Array.from(value.dataSync());
    quantized.forEach((v, i) => {
      const step = a[i % channels] / 127;
      expect(Math.abs(v - folded[i])).toBeLessThanOrEqual(step / 2 + 1e-6);
    });
    // Unfolded weights would be far off for gamma = 2.0 / sqrt(1.5): check it matters.
    expect(maxAbsDiff(quantized, kernel)).toBeGreaterThan(0.05);
    tf.dispose([fold.scale, fold.shift, value]);
  });

  it('predicts close to the float model with BN (inference mode) once calibrated', () => {
    const model = convBnReluModel('linear');
    const qat = q.quantizeModel(model);
    const xs = randomTensor([64, 8, 8, 3], 5);
    calibrate(qat, xs, 10);
    const [float] = predictValues(model, xs);
    const [quant] = predictValues(qat, xs);
    expect(relativeError(quant, float)).toBeLessThan(0.06);
    expect(argmaxAgreement(quant, float, 5)).toBeGreaterThanOrEqual(0.9);
    // Calibration used the frozen BN statistics: the folded weights did not move.
    expect(weightValues(qat)['quant_conv/moving_mean'])
        .toEqual(weightValues(model)['bn/moving_mean']);
    xs.dispose();
  });

  it('puts softmax outputs on the fixed int8 grid (scale 1/256, zero point -128)', () => {
    const qat = q.quantizeModel(convBnReluModel('softmax'));
    const xs = randomTensor([16, 8, 8, 3], 6);
    calibrate(qat, xs, 2);
    const [out] = predictValues(qat, xs);
    expect(onSoftmaxGrid(out)).toBe(true);
    xs.dispose();
  });
});

describe('other patterns', () => {
  it('Dense(linear) -> ReLU quantizes only after the ReLU', () => {
    const input = tfl.input({shape: [5]});
    const d = call(tfl.layers.dense({units: 4, name: 'lin', kernelInitializer: seeded(51)}), input);
    const r = call(tfl.layers.reLU({name: 'r'}), d);
    const qat = q.quantizeModel(tfl.model({inputs: input, outputs: r}));
    expect(configOf(qat, 'quant_lin').activationAttrs).toEqual([]);
    expect(configOf(qat, 'quant_r').quantizeOutput).toBe(true);
  });

  it('SeparableConv2D -> BatchNorm -> ReLU trains as a DepthwiseConv2D and a 1x1 Conv2D, as TFLite runs it', () => {
    const input = tfl.input({shape: [7, 7, 2]});
    const sep = call(tfl.layers.separableConv2d({filters: 3, kernelSize: 3, depthMultiplier: 2, strides: 2,
      padding: 'same', useBias: false, name: 'sep', depthwiseInitializer: seeded(54),
      pointwiseInitializer: seeded(55)}), input);
    const out = call(tfl.layers.reLU({name: 'sep_relu'}), call(tfl.layers.batchNormalization({name: 'sep_bn'}), sep));
    const model = tfl.model({inputs: input, outputs: out});
    const qat = q.quantizeModel(model);
    expect(layerClasses(qat)).toEqual(['InputLayer', 'QuantizeLayer', 'QuantizeWrapper', 'QuantizeWrapper',
      'QuantizeWrapper']);
    const depthwise = wrapper(qat, 'quant_sep_depthwise');
    const pointwise = wrapper(qat, 'quant_sep_pointwise');
    expect(depthwise.layer.getClassName()).toBe('DepthwiseConv2D');
    expect(pointwise.layer.getClassName()).toBe('Conv2D');
    // The int8 tensor between the halves is quantized; the ReLU takes the output quantizer.
    expect(configOf(qat, 'quant_sep_depthwise').activationAttrs).toEqual(['activation']);
    expect(configOf(qat, 'quant_sep_pointwise').activationAttrs).toEqual([]);
    expect(pointwise.foldedBatchNorm).not.toBeNull();
    const [depthwiseKernel, pointwiseKernel] = model.getLayer('sep').getWeights();
    expect(Array.from(depthwise.layer.getWeights()[0].dataSync())).toEqual(Array.from(depthwiseKernel.dataSync()));
    expect(Array.from(pointwise.layer.getWeights()[0].dataSync())).toEqual(Array.from(pointwiseKernel.dataSync()));
    const xs = randomTensor([32, 7, 7, 2], 56);
    calibrate(qat, xs, 10);
    const [float] = predictValues(model, xs);
    const [quant] = predictValues(qat, xs);
    expect(relativeError(quant, float)).toBeLessThan(0.06);
    xs.dispose();
  });

  it('a frozen, regularized SeparableConv2D stays frozen and regularized in both halves', () => {
    const model = tfl.sequential({layers: [tfl.layers.separableConv2d({filters: 2, kernelSize: 3,
      inputShape: [5, 5, 1], name: 'frozen', trainable: false, depthwiseRegularizer: tfl.regularizers.l2({l2: 0.1}),
      pointwiseRegularizer: tfl.regularizers.l1({l1: 0.2}), biasConstraint: tfl.constraints.nonNeg()})]});
    const qat = q.quantizeModel(model);
    const depthwise = wrapper(qat, 'quant_frozen_depthwise').layer;
    const pointwise = wrapper(qat, 'quant_frozen_pointwise').layer;
    expect([depthwise.trainable, pointwise.trainable]).toEqual([false, false]);
    expect(qat.trainableWeights.map((w) => w.name).filter((n) => n.startsWith('quant_frozen_'))).toEqual([]);
    const config = (layer: Layer, key: string) => JSON.stringify(layer.getConfig()[key]);
    expect(config(depthwise, 'depthwiseRegularizer')).toContain('"l2":0.1');
    expect(config(pointwise, 'kernelRegularizer')).toContain('"l1":0.2');
    expect(config(pointwise, 'biasConstraint')).toContain('NonNeg');
  });

  it('rejects a dilated SeparableConv2D, naming it', () => {
    const model = tfl.sequential({layers: [tfl.layers.separableConv2d(
        {filters: 2, kernelSize: 3, dilationRate: 2, inputShape: [9, 9, 1], name: 'wide'})]});
    expect(() => q.quantizeModel(model)).toThrow(/'wide': a dilated SeparableConv2D cannot be quantized/);
  });

  it('Dense without bias -> BatchNorm folds into a bias of beta - mean * s', () => {
    const input = tfl.input({shape: [6]});
    const d = call(tfl.layers.dense(
        {units: 3, useBias: false, name: 'nb', kernelInitializer: seeded(52)}), input);
    const bn = tfl.layers.batchNormalization({name: 'nb_bn'});
    const out = call(bn, d);
    const model = tfl.model({inputs: input, outputs: out});
    bn.setWeights([tf.tensor1d([2, -1, 0.5]), tf.tensor1d([1, 0, -1]),
      tf.tensor1d([0.5, -0.5, 0]), tf.tensor1d([4, 1, 0.25])]);
    const qat = q.quantizeModel(model);
    expect(layerClasses(qat)).toEqual(['InputLayer', 'QuantizeLayer', 'QuantizeWrapper']);
    const w = wrapper(qat, 'quant_nb');
    expect(w.foldedBatchNorm).not.toBeNull();
    const fold = batchNormScaleShift(w.foldedBatchNorm!);
    const bias = Array.from(w.effectiveBias(fold)!.dataSync());
    const eps = bn.getConfig()['epsilon'] as number;
    const expected = [[2, 1, 0.5, 4], [-1, 0, -0.5, 1], [0.5, -1, 0, 0.25]]
        .map(([g, b, m, v]) => b - m * g / Math.sqrt(v + eps));
    bias.forEach((v, c) => expect(v).toBeCloseTo(expected[c], 5));
    const xs = randomTensor([64, 6], 53);
    calibrate(qat, xs, 10);
    const [float] = predictValues(model, xs);
    const [quant] = predictValues(qat, xs);
    expect(relativeError(quant, float)).toBeLessThan(0.06);
    tf.dispose([fold.scale, fold.shift, xs]);
  });

  it('DepthwiseConv2D -> BatchNorm folds per output channel in * multiplier + m', () => {
    const input = tfl.input({shape: [6, 6, 2]});
    const dw = call(tfl.layers.depthwiseConv2d(
        {kernelSize: 3, depthMultiplier: 3, name: 'dwf', depthwiseInitializer: seeded(57)}), input);
    const bn = tfl.layers.batchNormalization({name: 'dwf_bn'});
    const model = tfl.model({inputs: input, outputs: call(bn, dw)});
    const gamma = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    const variance = [1, 0.5, 2, 0.25, 3, 1];
    bn.setWeights([tf.tensor1d(gamma), tf.tensor1d([0, 0.1, 0.2, 0.3, 0.4, 0.5]),
      tf.tensor1d([0.1, -0.1, 0.2, -0.2, 0.3, -0.3]), tf.tensor1d(variance)]);
    const qat = q.quantizeModel(model);
    expect(layerClasses(qat)).toEqual(['InputLayer', 'QuantizeLayer', 'QuantizeWrapper']);
    const w = wrapper(qat, 'quant_dwf');
    const eps = bn.getConfig()['epsilon'] as number;
    const s = gamma.map((g, c) => g / Math.sqrt(variance[c] + eps));
    const fold = batchNormScaleShift(w.foldedBatchNorm!);
    const [{value}] = w.effectiveWeights(fold.scale, true);
    // Kernel [3, 3, in 2, multiplier 3]: flat index i has output channel i % 6.
    const kernel = Array.from(model.getLayer('dwf').getWeights()[0].dataSync());
    const folded = kernel.map((v, i) => v * s[i % 6]);
    const a = s.map((_, c) => Math.max(...folded.filter((_, i) => i % 6 === c).map(Math.abs)));
    Array.from(value.dataSync()).forEach((v, i) =>
      expect(Math.abs(v - folded[i])).toBeLessThanOrEqual(a[i % 6] / 254 + 1e-6));
    const xs = randomTensor([16, 6, 6, 2], 58);
    calibrate(qat, xs, 10);
    const [float] = predictValues(model, xs);
    const [quant] = predictValues(qat, xs);
    expect(relativeError(quant, float)).toBeLessThan(0.06);
    tf.dispose([fold.scale, fold.shift, value, xs]);
  });

  it('folded BatchNorm: QAT trains gamma and beta, moving statistics stay frozen', async () => {
    const model = convBnReluModel('softmax');
    const qat = q.quantizeModel(model);
    qat.compile({optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy'});
    const xs = randomTensor([16, 8, 8, 3], 54);
    const ys = tf.oneHot(tf.tensor1d(Array.from({length: 16}, (_, i) => i % 5), 'int32'), 5);
    await qat.fit(xs, ys, {epochs: 1, batchSize: 8, verbose: 0});
    const after = weightValues(qat);
    const float = weightValues(model);
    expect(after['quant_conv/gamma']).not.toEqual(float['bn/gamma']);
    expect(after['quant_conv/beta']).not.toEqual(float['bn/beta']);
    expect(after['quant_conv/moving_mean']).toEqual(float['bn/moving_mean']);
    expect(after['quant_conv/moving_variance']).toEqual(float['bn/moving_variance']);
    tf.dispose([xs, ys]);
  });

  it.each([
    ['sigmoid', 256, 0, 255],
    ['tanh', 128, -128, 127],
    ['softmax', 256, 0, 255],
  ] as Array<[string, number, number, number]>)(
      'Activation(%s) snaps its output to the fixed int8 grid', (activation, inv, lo, hi) => {
        const input = tfl.input({shape: [7]});
        const d = call(tfl.layers.dense({units: 7, name: 'pre', kernelInitializer: seeded(55)}), input);
        const a = call(tfl.layers.activation(
            {activation: activation as 'tanh', name: 'act'}), d);
        const qat = q.quantizeModel(tfl.model({inputs: input, outputs: a}));
        expect(wrapper(qat, 'quant_act').quantizeConfig.getConfig()).toEqual({kind: activation});
        // Its input is quantized by the Dense before it.
        expect(configOf(qat, 'quant_pre').activationAttrs).toEqual(['activation']);
        const xs = tf.mul(randomTensor([32, 7], 56), 3);
        calibrate(qat, xs, 2);
        const [out] = predictValues(qat, xs);
        for (const v of out) {
          const k = v * inv;
          expect(Math.abs(k - Math.round(k))).toBeLessThan(1e-3);
          expect(k).toBeGreaterThanOrEqual(lo - 1e-3);
          expect(k).toBeLessThanOrEqual(hi + 1e-3);
        }
        xs.dispose();
      });
});

describe('partial quantization with quantizeAnnotateLayer + quantizeApply', () => {
  it('keeps unannotated layers float and quantizes values entering quantized layers', () => {
    const input = tfl.input({shape: [8], name: 'x'});
    const d1 = call(q.quantizeAnnotateLayer(tfl.layers.dense(
        {units: 6, activation: 'relu', name: 'd1', kernelInitializer: seeded(31)})), input);
    const d2 = call(tfl.layers.dense({units: 6, name: 'd2', kernelInitializer: seeded(32)}), d1);
    const d3 = call(q.quantizeAnnotateLayer(tfl.layers.dense(
        {units: 4, name: 'd3', kernelInitializer: seeded(33)})), d2);
    const d4 = call(tfl.layers.dense({units: 3, name: 'd4', kernelInitializer: seeded(34)}), d3);
    const annotated = tfl.model({inputs: input, outputs: d4});
    const qat = q.quantizeApply(annotated);

    expect(qat.layers.map((l) => `${l.getClassName()}:${l.name}`)).toEqual([
      'InputLayer:x', 'QuantizeLayer:quantize_layer_x', 'QuantizeWrapper:quant_d1', 'Dense:d2',
      'QuantizeLayer:quantize_layer_d2', 'QuantizeWrapper:quant_d3', 'Dense:d4',
    ]);
    const boundary = qat.getLayer('quantize_layer_d2') as tfmot.quantization.QuantizeLayer;
    expect(boundary.quantizer).toBeInstanceOf(q.MovingAverageQuantizer);
    // The float layers are copies, with the same weights.
    expect(qat.getLayer('d2')).not.toBe(annotated.getLayer('d2'));
    expect(weightValues(qat)['d4/kernel']).toEqual(weightValues(annotated)['d4/kernel']);

    const xs = randomTensor([32, 8], 7);
    calibrate(qat, xs, 3);
    const [out] = predictValues(qat, xs);
    // d4 is float: its output is not on a 256-level grid.
    expect(new Set(out).size).toBeGreaterThan(64);
    xs.dispose();
  });

  it('works in a Sequential model (the documented example)', () => {
    const model = tfl.sequential({layers: [
      q.quantizeAnnotateLayer(tfl.layers.dense(
          {units: 4, inputShape: [8], name: 'first', kernelInitializer: seeded(35)})),
      tfl.layers.dense({units: 2, name: 'second', kernelInitializer: seeded(36)}),
    ]});
    expect(model.outputs[0].shape).toEqual([null, 2]);
    const qat = q.quantizeApply(model);
    expect(layerClasses(qat)).toEqual(['InputLayer', 'QuantizeLayer', 'QuantizeWrapper', 'Dense']);
    expect(qat.getLayer('second').getClassName()).toBe('Dense');
  });
});

/** Quantizes LeakyReLU's output with a 4-bit last-value range. */
class LeakyReluQuantizeConfig extends q.QuantizeConfig {
  static className = 'TestLeakyReluQuantizeConfig';
  getWeightsAndQuantizers(): Array<[string, tfmot.quantization.Quantizer]> {
    return [];
  }
  getActivationsAndQuantizers(): Array<[string, tfmot.quantization.Quantizer]> {
    return [];
  }
  getOutputQuantizers(): tfmot.quantization.Quantizer[] {
    return [new q.MovingAverageQuantizer(
        {numBits: 4, perAxis: false, symmetric: false, narrowRange: false, emaDecay: 0})];
  }
  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}
tf.serialization.registerClass(LeakyReluQuantizeConfig);

/** Quantizes a Dense kernel to 4 bits, symmetric; nothing else. */
class FourBitKernelConfig extends q.QuantizeConfig {
  static className = 'TestFourBitKernelConfig';
  getWeightsAndQuantizers(): Array<[string, tfmot.quantization.Quantizer]> {
    return [['kernel',
      new q.LastValueQuantizer({numBits: 4, perAxis: false, symmetric: true, narrowRange: true})]];
  }
  getActivationsAndQuantizers(): Array<[string, tfmot.quantization.Quantizer]> {
    return [];
  }
  getOutputQuantizers(): tfmot.quantization.Quantizer[] {
    return [];
  }
  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}
tf.serialization.registerClass(FourBitKernelConfig);

describe('custom QuantizeConfig', () => {
  function leakyModel(): tfl.LayersModel {
    const input = tfl.input({shape: [6], name: 'x'});
    let x = call(tfl.layers.dense({units: 8, name: 'd', kernelInitializer: seeded(41)}), input);
    x = call(q.quantizeAnnotateLayer(
        tfl.layers.leakyReLU({alpha: 0.2, name: 'leaky'}), new LeakyReluQuantizeConfig()), x);
    x = call(q.quantizeAnnotateLayer(
        tfl.layers.dense({units: 5, name: 'k4', kernelInitializer: seeded(42)}),
        new FourBitKernelConfig()), x);
    return tfl.model({inputs: input, outputs: x});
  }

  it('quantizes an unsupported layer (LeakyReLU) with the given output quantizer', () => {
    const model = leakyModel();
    const qat = q.quantizeModel(model);
    const leaky = wrapper(qat, 'quant_leaky');
    expect(leaky.layer.getClassName()).toBe('LeakyReLU');
    expect(leaky.quantizeConfig).toBeInstanceOf(LeakyReluQuantizeConfig);
    // The rest of the model got the default scheme.
    expect(configOf(qat, 'quant_d')).toMatchObject({weightAttrs: ['kernel']});

    // A sub-model ending at the LeakyReLU wrapper shows its 4-bit output.
    const probe = tfl.model({inputs: qat.inputs, outputs: leaky.output as tfl.SymbolicTensor});
    const xs = randomTensor([32, 6], 8);
    calibrate(qat, xs, 1);
    const [out] = predictValues(probe, xs);
    expect(new Set(out).size).toBeLessThanOrEqual(16);
    expect(new Set(out).size).toBeGreaterThan(4);
    // Float LeakyReLU output has negative values scaled by alpha; they survive.
    expect(Math.min(...out)).toBeLessThan(0);
    xs.dispose();
  });

  it('quantizes a Dense kernel to 4 bits with a registered config subclass', () => {
    const qat = q.quantizeModel(leakyModel());
    const k4 = wrapper(qat, 'quant_k4');
    expect(k4.quantizeConfig).toBeInstanceOf(FourBitKernelConfig);
    const xs = randomTensor([16, 6], 9);
    calibrate(qat, xs, 1);
    const kernel = Array.from(k4.layer.getWeights()[0].dataSync());
    const a = Math.max(...kernel.map(Math.abs));
    expect(k4.quantizerVariables()['kernel'].max.read().dataSync()[0]).toBeCloseTo(a, 6);
    const [{value}] = k4.effectiveWeights(null, false);
    const levels = new Set(Array.from(value.dataSync()).map((v) => Math.round(v / (a / 7))));
    expect(levels.size).toBeLessThanOrEqual(15);
    expect(Array.from(value.dataSync()).every((v) => Math.abs(v / (a / 7) - Math.round(v / (a / 7))) < 1e-4))
        .toBe(true);
    // No activation quantizer: the model output is not on an 8-bit grid.
    expect(k4.quantizerVariables()['activation']).toBeUndefined();
    value.dispose();
    xs.dispose();
  });
});

describe('the input model', () => {
  it.each([
    ['tutorial', () => tfmot.data.mnistTutorialModel({seed: 5}) as tfl.LayersModel, [[8, 28, 28, 1]]],
    ['two inputs', twoInputTwoOutputModel, [[8, 4], [8, 4]]],
    ['conv/bn/relu', () => convBnReluModel(), [[8, 8, 8, 3]]],
  ] as Array<[string, () => tfl.LayersModel, number[][]]>)(
      '%s model is not modified by quantizeModel or by training the QAT model',
      async (_name, build, shapes) => {
        const model = build();
        const before = snapshot(model);
        const qat = q.quantizeModel(model);
        const xs = shapes.map((s, i) => randomTensor(s, 50 + i));
        const ys = (qat.outputs).map((t, i) => randomTensor([shapes[0][0], t.shape[1] as number], 60 + i));
        qat.compile({optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError'});
        await qat.fit(xs, ys, {epochs: 1, batchSize: 4, verbose: 0});
        const after = snapshot(model);
        expect(after.layers).toHaveLength(before.layers.length);
        after.layers.forEach((l: Layer, i: number) => expect(l).toBe(before.layers[i]));
        expect(after.classes).toEqual(before.classes);
        expect(after.names).toEqual(before.names);
        expect(after.inbound).toEqual(before.inbound);
        expect(after.configs).toEqual(before.configs);
        expect(after.weights).toEqual(before.weights);
        // ...while the QAT copy did train.
        const qatWeights = weightValues(qat);
        const kernelName = Object.keys(qatWeights).find((n) => n.endsWith('/kernel'))!;
        expect(qatWeights[kernelName]).not.toEqual(before.weights[kernelName.replace(/^quant_/, '')]);
        tf.dispose([...xs, ...ys]);
      });

  it('quantizeAnnotateModel copies weights and leaves the model unchanged', () => {
    const model = convBnReluModel();
    const before = snapshot(model);
    const annotated = q.quantizeAnnotateModel(model);
    expect(layerClasses(annotated).filter((c) => c === 'QuantizeAnnotate')).toHaveLength(7);
    const xs = randomTensor([4, 8, 8, 3], 10);
    const [a] = predictValues(annotated, xs);
    const [f] = predictValues(model, xs);
    expect(a).toEqual(f);  // annotation computes exactly what the float model does
    const {layers, ...rest} = snapshot(model);
    layers.forEach((l, i) => expect(l).toBe(before.layers[i]));
    expect(rest.weights).toEqual(before.weights);
    expect(rest.inbound).toEqual(before.inbound);
    expect(rest.configs).toEqual(before.configs);
    xs.dispose();
  });
});

describe('quantizeModel weight ranges', () => {
  it('start from the copied weights, not a placeholder', async () => {
    await tfmot.backend.init();
    const model = tfmot.data.mnistTutorialModel({seed: 11});
    const qat = tfmot.quantization.quantizeModel(model);
    const conv = qat.layers.find((l) => l.name.startsWith('quant_conv2d')) as
        tfmot.quantization.QuantizeWrapper;
    const kernel = model.layers.find((l) => l.getClassName() === 'Conv2D')!.getWeights()[0];
    const perChannelMax = tf.tidy(() => Array.from(tf.max(tf.abs(kernel), [0, 1, 2]).dataSync()));
    const vars = conv.quantizerVariables()['kernel'];
    expect(Array.from(vars.max.read().dataSync())).toEqual(perChannelMax.map((v) => Math.fround(v)));
    expect(Array.from(vars.min.read().dataSync())).toEqual(perChannelMax.map((v) => -Math.fround(v)));
  });
});
