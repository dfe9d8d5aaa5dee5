/**
 * QAT models (trained a little, so ranges and weights are not initial) save
 * and load in memory and on disk, and predict exactly as before; the wrapper
 * configs round-trip without being mutated.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {useRoundtrips} from '../helpers/save_load.js';
import {calibrate, call, convBnReluModel, layerClasses, predictValues, quantizerRanges, randomTensor, seeded, weightValues, wrapper} from './helpers.js';

const q = tfmot.quantization;
type Serializable = tf.serialization.Serializable;
type ConfigDict = tf.serialization.ConfigDict;

const roundtrips = useRoundtrips('tfmot-qat-');
let mnist: tfmot.data.MnistData;

beforeAll(async () => {
  await tfmot.backend.init();
  mnist = tfmot.data.loadMnist({numTrain: 96, numTest: 32, seed: 2});
});

afterAll(() => {
  tf.dispose([mnist.train.xs, mnist.train.ys, mnist.test.xs, mnist.test.ys]);
});

/** The tutorial QAT model after 3 batches of training. */
async function trainedTutorialQat(): Promise<tfl.LayersModel> {
  const qat = q.quantizeModel(tfmot.data.mnistTutorialModel({seed: 4}));
  qat.compile({optimizer: 'adam', loss: tfmot.data.categoricalCrossentropyFromLogits});
  const ys = tfmot.data.oneHotLabels(mnist.train.ys);
  await qat.fit(mnist.train.xs, ys, {epochs: 1, batchSize: 32, verbose: 0});
  ys.dispose();
  return qat;
}

/** The Conv/BN/ReLU QAT model after 4 batches of training. */
async function trainedBnQat(): Promise<tfl.LayersModel> {
  const qat = q.quantizeModel(convBnReluModel('softmax'));
  qat.compile({optimizer: 'adam', loss: 'categoricalCrossentropy'});
  const xs = randomTensor([32, 8, 8, 3], 20);
  const ys = tf.oneHot(tf.tensor1d(Array.from({length: 32}, (_, i) => (i * 7) % 5), 'int32'), 5);
  await qat.fit(xs, ys, {epochs: 1, batchSize: 8, verbose: 0});
  tf.dispose([xs, ys]);
  return qat;
}

/** Asserts the loaded model is the same QAT model: layers, weights, ranges, outputs. */
function expectSameModel(loaded: tfl.LayersModel, original: tfl.LayersModel, xs: tf.Tensor): void {
  expect(layerClasses(loaded)).toEqual(layerClasses(original));
  expect(loaded.layers.map((l) => l.name)).toEqual(original.layers.map((l) => l.name));
  expect(weightValues(loaded)).toEqual(weightValues(original));
  expect(quantizerRanges(loaded)).toEqual(quantizerRanges(original));
  const before = predictValues(original, xs);
  const after = predictValues(loaded, xs);
  expect(after).toEqual(before);
}

describe.each(roundtrips)('save and load (%s)', (how, roundtrip) => {
  it('restores the tutorial QAT model exactly', async () => {
    const qat = await trainedTutorialQat();
    const ranges = quantizerRanges(qat);
    // Training moved the ranges off their initial values: the check below means something.
    const inputMax = Object.keys(ranges).find((k) => k.endsWith('/input/max'))!;
    expect(ranges[inputMax]).toEqual([1]);
    const act = Object.keys(ranges).find((k) => k.endsWith('/activation/max'))!;
    expect(ranges[act][0]).not.toBe(6);

    const loaded = await roundtrip(qat, `tutorial-${how}`);
    expectSameModel(loaded, qat, mnist.test.xs);
    expect(loaded.layers[1]).toBeInstanceOf(q.QuantizeLayer);
    expect(loaded.layers[2]).toBeInstanceOf(q.QuantizeWrapper);
  });

  it('restores the Conv/BN/ReLU QAT model with its folded BatchNorm', async () => {
    const qat = await trainedBnQat();
    const loaded = await roundtrip(qat, `bn-${how}`);
    const conv = wrapper(loaded, 'quant_conv');
    expect(conv.foldedBatchNorm?.getClassName()).toBe('BatchNormalization');
    expect(conv.foldedBatchNorm!.getWeights().map((w) => Array.from(w.dataSync())))
        .toEqual(wrapper(qat, 'quant_conv').foldedBatchNorm!.getWeights()
            .map((w) => Array.from(w.dataSync())));
    const xs = randomTensor([16, 8, 8, 3], 21);
    expectSameModel(loaded, qat, xs);
    xs.dispose();
  });

  it('restores an annotated (not yet applied) model, which then applies as the original', async () => {
    const model = convBnReluModel('linear');
    const annotated = q.quantizeAnnotateModel(model);
    const loaded = await roundtrip(annotated, `annotated-${how}`);
    expect(layerClasses(loaded)).toEqual(layerClasses(annotated));
    const xs = randomTensor([16, 8, 8, 3], 22);
    expect(predictValues(loaded, xs)).toEqual(predictValues(model, xs));

    const fromLoaded = q.quantizeApply(loaded);
    const direct = q.quantizeModel(model);
    expect(layerClasses(fromLoaded)).toEqual(layerClasses(direct));
    calibrate(fromLoaded, xs, 3);
    calibrate(direct, xs, 3);
    expect(predictValues(fromLoaded, xs)).toEqual(predictValues(direct, xs));
    xs.dispose();
  });

  it('restores an annotated SeparableConv2D with depth multiplier 2 (tfjs omits it from getConfig)', async () => {
    const model = tfl.sequential({layers: [tfl.layers.separableConv2d({filters: 3, kernelSize: 3,
      depthMultiplier: 2, inputShape: [6, 6, 2], depthwiseInitializer: seeded(23), pointwiseInitializer: seeded(24)})]});
    const annotated = q.quantizeAnnotateModel(model);
    const loaded = await roundtrip(annotated, `separable-${how}`);
    const xs = randomTensor([8, 6, 6, 2], 25);
    expect(predictValues(loaded, xs)).toEqual(predictValues(model, xs));
    const qat = q.quantizeApply(loaded);
    calibrate(qat, xs, 3);
    expect(layerClasses(qat)).toEqual(['InputLayer', 'QuantizeLayer', 'QuantizeWrapper', 'QuantizeWrapper']);
    expectSameModel(await roundtrip(qat, `separable-qat-${how}`), qat, xs);
    xs.dispose();
  });
});

/** A registered custom config: 4-bit per-tensor kernel, 8-bit activation. */
class CustomDenseConfig extends q.Default8BitQuantizeConfig {
  static override className = 'TestCustomDenseConfig';
  readonly bits: number;
  constructor(args: {bits: number}) {
    super({weightAttrs: ['kernel'], activationAttrs: ['activation'], quantizeOutput: false});
    this.bits = args.bits;
  }
  override getWeightsAndQuantizers(): Array<[string, tfmot.quantization.Quantizer]> {
    return [['kernel', new q.LastValueQuantizer(
        {numBits: this.bits, perAxis: false, symmetric: true, narrowRange: true})]];
  }
  override getConfig(): ConfigDict {
    return {bits: this.bits};
  }
}
tf.serialization.registerClass(CustomDenseConfig);

describe('a custom QuantizeConfig', () => {
  it('is saved and rebuilt with its arguments', async () => {
    const input = tfl.input({shape: [6]});
    const out = call(q.quantizeAnnotateLayer(
        tfl.layers.dense({units: 3, name: 'custom', kernelInitializer: seeded(5)}),
        new CustomDenseConfig({bits: 3})), input);
    const qat = q.quantizeApply(tfl.model({inputs: input, outputs: out}));
    const xs = randomTensor([8, 6], 23);
    calibrate(qat, xs, 2);
    const loaded = await roundtrips[0][1](qat, 'custom');
    const config = wrapper(loaded, 'quant_custom').quantizeConfig;
    expect(config).toBeInstanceOf(CustomDenseConfig);
    expect((config as CustomDenseConfig).bits).toBe(3);
    expectSameModel(loaded, qat, xs);
    xs.dispose();
  });
});

describe('getConfig / fromConfig', () => {
  /** Rebuilds through the class registry, as loading does. */
  function roundtripConfig(layer: Serializable): {config: ConfigDict, copy: ConfigDict, rebuilt: Serializable} {
    const config = layer.getConfig();
    const copy = JSON.parse(JSON.stringify(config)) as ConfigDict;
    const [cls, fromConfig] =
        tf.serialization.SerializationMap.getMap().classNameMap[layer.getClassName()];
    const rebuilt = fromConfig(cls, config);
    return {config, copy, rebuilt};
  }

  it('QuantizeWrapper (with a folded BatchNorm) round-trips and leaves its input alone', () => {
    const qat = q.quantizeModel(convBnReluModel());
    for (const name of ['quant_conv', 'quant_relu', 'quant_dw', 'quant_out']) {
      const {config, copy, rebuilt} = roundtripConfig(wrapper(qat, name));
      expect(config).toEqual(copy);
      expect(rebuilt).toBeInstanceOf(q.QuantizeWrapper);
      expect(rebuilt.getConfig()).toEqual(copy);
    }
    const {rebuilt} = roundtripConfig(wrapper(qat, 'quant_conv'));
    expect((rebuilt as tfmot.quantization.QuantizeWrapper).foldedBatchNorm?.getClassName())
        .toBe('BatchNormalization');
  });

  it('QuantizeLayer round-trips its quantizer and leaves its input alone', () => {
    const layer = new q.QuantizeLayer({
      name: 'ql',
      quantizer: new q.MovingAverageQuantizer(
          {numBits: 5, perAxis: false, symmetric: false, narrowRange: true, emaDecay: 0.9}),
    });
    const {config, copy, rebuilt} = roundtripConfig(layer);
    expect(config).toEqual(copy);
    expect(rebuilt.getConfig()).toEqual(copy);
    const quantizer = (rebuilt as tfmot.quantization.QuantizeLayer).quantizer;
    expect(quantizer).toBeInstanceOf(q.MovingAverageQuantizer);
    expect(quantizer.getConfig()).toEqual(
        {numBits: 5, perAxis: false, symmetric: false, narrowRange: true, emaDecay: 0.9});
  });

  it('QuantizeAnnotate round-trips with and without a QuantizeConfig', () => {
    for (const quantizeConfig of [undefined, new CustomDenseConfig({bits: 4})]) {
      const layer = q.quantizeAnnotateLayer(
          tfl.layers.dense({units: 2, inputShape: [3], name: 'inner'}), quantizeConfig);
      const {config, copy, rebuilt} = roundtripConfig(layer);
      expect(config).toEqual(copy);
      expect(rebuilt.getConfig()).toEqual(copy);
      const annotation = rebuilt as tfmot.quantization.QuantizeAnnotate;
      expect(annotation.layer.getClassName()).toBe('Dense');
      expect(annotation.quantizeConfig?.getConfig()).toEqual(quantizeConfig?.getConfig());
    }
  });
});
