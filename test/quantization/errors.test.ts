/**
 * Errors at the QAT API boundary say what is wrong and how to proceed:
 * unsupported layers and activations, unbuilt or non-model arguments,
 * double quantization, missing annotations, bad quantizer arguments and
 * configs naming weights a layer does not have.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {call} from './helpers.js';

const q = tfmot.quantization;

beforeAll(async () => {
  await tfmot.backend.init();
});

/** The error `fn` throws (fails the test if it does not throw). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

/** input [5, 3] -> `middle` -> Flatten -> Dense(2). */
function modelWith(middle: tfl.layers.Layer): tfl.LayersModel {
  const input = tfl.input({shape: [5, 3]});
  let x = call(middle, input);
  x = call(tfl.layers.flatten(), x);
  x = call(tfl.layers.dense({units: 2}), x);
  return tfl.model({inputs: input, outputs: x});
}

describe('unsupported layers', () => {
  it.each([
    // (The default orthogonal initializer needs tfjs' chained ops, which tfjs-core alone lacks.)
    ['an LSTM', () => tfl.layers.lstm({units: 4, returnSequences: true, name: 'my_lstm',
      recurrentInitializer: 'glorotUniform'}), 'LSTM', 'my_lstm'],
    ['a ThresholdedReLU', () => tfl.layers.thresholdedReLU({name: 'thresholded_one'}), 'ThresholdedReLU',
      'thresholded_one'],
  ])('%s is named, with its class and the ways forward', (_what, make, className, name) => {
    const model = modelWith(make());
    const error = thrown(() => q.quantizeModel(model));
    expect(error).toBeInstanceOf(tfmot.NotSupportedError);
    expect(error.message).toContain(`'${name}'`);
    expect(error.message).toMatch(new RegExp(`\\b${className}\\b`));
    expect(error.message).toMatch(/quantizeAnnotateLayer/);
    expect(error.message).toMatch(/QuantizeConfig/);
    // The supported alternatives are listed.
    expect(error.message).toMatch(/Conv2D/);
  });

  it.each([
    ['an Activation(logSoftmax) layer', () => tfl.layers.activation({activation: 'logSoftmax' as 'softmax', name: 'act_ls'}),
      'Activation', 'act_ls'],
    ['a Dense with activation logSoftmax', () => tfl.layers.dense({units: 3, activation: 'logSoftmax' as 'softmax',
      name: 'dense_ls'}), 'Dense', 'dense_ls'],
  ])('%s names the layer, its class and the activation', (_what, make, className, name) => {
    const model = modelWith(make());
    const error = thrown(() => q.quantizeModel(model));
    expect(error).toBeInstanceOf(tfmot.NotSupportedError);
    expect(error.message).toContain(`'${name}'`);
    expect(error.message).toMatch(new RegExp(`\\b${className}\\b`));
    expect(error.message).toMatch(/'logSoftmax'/);
    expect(error.message).toMatch(/relu/);  // lists what is supported
    expect(error.message).toMatch(/quantizeAnnotateLayer/);
    expect(error.message).toMatch(/QuantizeConfig/);
  });

  it('is also rejected when annotated without a custom config', () => {
    const input = tfl.input({shape: [5, 3]});
    const x = call(q.quantizeAnnotateLayer(tfl.layers.thresholdedReLU({name: 'ann_thresholded'})), input);
    const error = thrown(() => q.quantizeApply(tfl.model({inputs: input, outputs: x})));
    expect(error.message).toMatch(/'ann_thresholded'.*ThresholdedReLU/);
  });
});

describe('models quantizeModel cannot take', () => {
  it('an unbuilt Sequential: says it is not built', () => {
    // tfjs-layers refuses a first layer without inputShape, so an unbuilt
    // Sequential is one that has no layers yet.
    expect(() => tfl.sequential({layers: [tfl.layers.dense({units: 2})]})).toThrow(/inputShape/);
    const model = tfl.sequential({name: 'unbuilt'});
    for (const fn of [q.quantizeModel, q.quantizeAnnotateModel, q.quantizeApply]) {
      const error = thrown(() => fn(model));
      expect(error).toBeInstanceOf(tfmot.ValueError);
      expect(error.message).toMatch(/'unbuilt'.*not built/);
      expect(error.message).toMatch(/inputShape/);
    }
  });

  it.each([
    ['a Layer', () => tfl.layers.dense({units: 2}), /received Dense/],
    ['null', () => null, /received null/],
    ['undefined', () => undefined, /received undefined/],
    ['a plain object', () => ({layers: []}), /received Object/],
    ['a number', () => 3, /received Number|received number/],
  ])('%s: names what was received', (_what, make, received) => {
    const error = thrown(() => q.quantizeModel(make() as unknown as tfl.LayersModel));
    expect(error).toBeInstanceOf(tfmot.ValueError);
    expect(error.message).toMatch(/quantizeModel expects a tf.LayersModel/);
    expect(error.message).toMatch(received);
  });

  it('an already quantized model', () => {
    const qat = q.quantizeModel(tfmot.data.mnistTutorialModel({seed: 1}));
    for (const fn of [q.quantizeModel, q.quantizeApply]) {
      const error = thrown(() => fn(qat));
      expect(error).toBeInstanceOf(tfmot.ValueError);
      expect(error.message).toMatch(/already quantized/);
    }
  });

  it('quantizeApply on a model without annotations', () => {
    const model = tfmot.data.mnistTutorialModel({seed: 1});
    const error = thrown(() => q.quantizeApply(model));
    expect(error).toBeInstanceOf(tfmot.ValueError);
    expect(error.message).toMatch(/no annotated layers/);
    expect(error.message).toMatch(/quantizeModel|quantizeAnnotateLayer/);
  });
});

describe('bad arguments', () => {
  it.each([9, 1, 0, 2.5])('LastValueQuantizer numBits %s', (numBits) => {
    const error = thrown(() => new q.LastValueQuantizer(
        {numBits, perAxis: false, symmetric: true, narrowRange: true}));
    expect(error).toBeInstanceOf(tfmot.ValueError);
    expect(error.message).toMatch(/numBits/);
    expect(error.message).toContain(String(numBits));
  });

  it('quantizeAnnotateLayer with something that is not a QuantizeConfig', () => {
    const error = thrown(() => q.quantizeAnnotateLayer(
        tfl.layers.dense({units: 2, name: 'd'}), {} as tfmot.quantization.QuantizeConfig));
    expect(error).toBeInstanceOf(tfmot.ValueError);
    expect(error.message).toMatch(/'d'.*QuantizeConfig/);
  });

  it('quantizeAnnotateLayer with something that is not a layer', () => {
    const error = thrown(() => q.quantizeAnnotateLayer(
        {className: 'Dense', config: {units: 2}} as unknown as tfl.layers.Layer));
    expect(error).toBeInstanceOf(tfmot.ValueError);
    expect(error.message).toMatch(/quantizeAnnotateLayer expects a tf.layers.Layer/);
  });
});

/** A config naming a weight attribute `attr` for a Dense layer. */
class WeightAttrConfig extends q.QuantizeConfig {
  static className = 'TestWeightAttrConfig';
  constructor(readonly attr: string) {
    super();
  }
  getWeightsAndQuantizers(): Array<[string, tfmot.quantization.Quantizer]> {
    return [[this.attr,
      new q.LastValueQuantizer({numBits: 8, perAxis: false, symmetric: true, narrowRange: true})]];
  }
  getActivationsAndQuantizers(): Array<[string, tfmot.quantization.Quantizer]> {
    return [];
  }
  getOutputQuantizers(): tfmot.quantization.Quantizer[] {
    return [];
  }
  getConfig(): tf.serialization.ConfigDict {
    return {attr: this.attr};
  }
}

describe('a QuantizeConfig naming a weight the layer does not have', () => {
  it('names the layer and the attribute', () => {
    const input = tfl.input({shape: [4]});
    const x = call(q.quantizeAnnotateLayer(
        tfl.layers.dense({units: 2, name: 'dense_x'}), new WeightAttrConfig('kernal')), input);
    const error = thrown(() => q.quantizeApply(tfl.model({inputs: input, outputs: x})));
    expect(error).toBeInstanceOf(tfmot.ValueError);
    expect(error.message).toMatch(/'dense_x'/);
    expect(error.message).toMatch(/'kernal'/);
  });

  it('rejects a non-weight attribute too', () => {
    const input = tfl.input({shape: [4]});
    const x = call(q.quantizeAnnotateLayer(
        tfl.layers.dense({units: 2, name: 'dense_y'}), new WeightAttrConfig('units')), input);
    const error = thrown(() => q.quantizeApply(tfl.model({inputs: input, outputs: x})));
    expect(error.message).toMatch(/'dense_y'.*'units'/);
  });
});
