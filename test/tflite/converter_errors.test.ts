/** Bad input to the converter gets a clear error naming what is wrong, and no file. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {evaluateIr} from '../../src/tflite/ir_eval.js';
import {lowerModel} from '../../src/tflite/lower_model.js';
import {int8Converter} from '../helpers/converters.js';

const {TFLiteConverter} = tfmot.tflite;

function dense(activation: string): tfl.LayersModel {
  return tfl.sequential({layers: [
    tfl.layers.dense({units: 4, inputShape: [8], activation: activation as 'relu'}),
  ]});
}

/** One training step with a zero learning rate: the QAT model's ranges see data, its weights stay. */
async function seeData(qat: tfl.LayersModel, inputShape: number[], outputUnits: number): Promise<void> {
  qat.compile({optimizer: tf.train.sgd(0), loss: 'meanSquaredError'});
  const x = tf.randomUniform([4, ...inputShape], 0, 1, 'float32', 1);
  const y = tf.zeros([4, outputUnits]);
  await qat.fit(x, y, {epochs: 1, verbose: 0});
  tf.dispose([x, y]);
}

/** A converter for `mode` ('float32', 'float16', 'dynamic' or 'int8' calibrated on `sample`). */
function converterIn(model: tfl.LayersModel, mode: string, sample: tf.Tensor) {
  const c = TFLiteConverter.fromLayersModel(model);
  if (mode !== 'float32') {
    c.optimizations = ['DEFAULT'];
  }
  if (mode === 'float16') {
    c.targetSpec.supportedTypes = ['float16'];
  }
  if (mode === 'int8') {
    c.representativeDataset = function* () {
      yield sample;
    };
  }
  return c;
}

describe('TFLiteConverter errors', () => {
  beforeAll(async () => {
    await tfmot.backend.init();
  });

  it('names an unsupported layer and its class', async () => {
    const model = tfl.sequential({layers: [
      tfl.layers.dense({units: 4, inputShape: [8], name: 'first'}),
      tfl.layers.thresholdedReLU({name: 'thresholded'}),
    ]});
    await expect(TFLiteConverter.fromLayersModel(model).convert())
        .rejects.toThrow(/lowering.*'thresholded'.*ThresholdedReLU.*supported: .*Dense.*no file/);
  });

  it('names an unsupported activation', async () => {
    await expect(TFLiteConverter.fromLayersModel(dense('logSoftmax')).convert())
        .rejects.toThrow(/activation 'logSoftmax'.*supported: elu, gelu, gelu_new, hardSigmoid, linear, mish, relu, relu6, selu, sigmoid, softmax, softplus, softsign, swish, tanh\./);
  });

  it('wants a representativeDataset for strict full-integer conversion of a float model', () => {
    const c = TFLiteConverter.fromLayersModel(dense('relu'));
    c.optimizations = ['DEFAULT'];
    c.targetSpec.supportedOps = ['TFLITE_BUILTINS_INT8'];
    expect(() => c.mode()).toThrow(/TFLITE_BUILTINS_INT8.*needs a representativeDataset/);
    // Without Optimize.DEFAULT the request would otherwise be dropped for a float32 file.
    c.optimizations = [];
    c.representativeDataset = () => [tf.zeros([1, 8])];
    expect(() => c.mode()).toThrow(/TFLITE_BUILTINS_INT8\) needs optimizations = \[Optimize.DEFAULT\]/);
    c.targetSpec.supportedOps = ['TFLITE_BUILTINS'];
    c.targetSpec.supportedTypes = ['int8'];
    expect(() => c.mode()).toThrow(/supportedTypes \['int8'\]\) needs optimizations/);
  });

  it('rejects calibration data that is empty, NaN, mis-shaped or not a function', async () => {
    const model = dense('relu');
    await expect(int8Converter(model, function* () {}).convert()).rejects.toThrow(/yielded no samples/);
    await expect(int8Converter(model, function* () {
      yield tf.tensor2d([[1, 2, NaN, 4, 5, 6, 7, 8]]);
    }).convert()).rejects.toThrow(/sample 0, input 0 contains NaN/);
    await expect(int8Converter(model, function* () {
      yield tf.zeros([1, 7]);
    }).convert()).rejects.toThrow(/expected shape \[batch, 8\]; received \[1,7\]/);
    await expect(int8Converter(model, function* () {
      yield [tf.zeros([1, 8]), tf.zeros([1, 8])];
    }).convert()).rejects.toThrow(/must be 1 tensor\(s\).*received 2/);
    const bad = int8Converter(model, function* () {});
    (bad as unknown as {representativeDataset: unknown}).representativeDataset = [tf.zeros([1, 8])];
    await expect(bad.convert()).rejects.toThrow(/representativeDataset must be a function/);
  });

  it('rejects a representativeDataset that does not return an iterable', async () => {
    const model = dense('relu');
    const t = tf.zeros([1, 8]);
    for (const returned of [t, 5, null]) {
      const c = int8Converter(model, () => returned as unknown as Iterable<tf.Tensor>);
      await expect(c.convert(), String(returned)).rejects.toThrow(
          /representativeDataset must return an iterable or async iterable of input tensors \(or arrays of them\)/);
    }
    t.dispose();
  });

  it('says what is wrong with a calibration sample that is not a usable tensor', async () => {
    const model = dense('relu');
    const cases: Array<[() => unknown, RegExp]> = [
      [() => null, /sample 0, input 0 is null, not a tf.Tensor/],
      [() => new Float32Array(8), /sample 0, input 0 is Float32Array, not a tf.Tensor/],
      [() => [[1, 2, 3, 4, 5, 6, 7, 8]], /sample 0, input 0 is Array, not a tf.Tensor/],
      [() => tf.zeros([0, 8]), /sample 0, input 0 is empty \(shape \[0,8\]\)/],
      [() => {
        const d = tf.zeros([1, 8]);
        d.dispose();
        return d;
      }, /sample 0, input 0 has been disposed/],
      [() => tf.tensor([['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']]), /sample 0, input 0 has dtype string; .*float32/],
    ];
    for (const [make, message] of cases) {
      const sample = make();
      const c = int8Converter(model, function* () {
        yield sample as tf.Tensor;
      });
      await expect(c.convert(), String(message)).rejects.toThrow(message);
      if (sample instanceof tf.Tensor && !sample.isDisposed) {
        sample.dispose();
      }
    }
  });

  it('rejects a sample whose inputs have different batch sizes, leaving no tensors', async () => {
    const a = tfl.input({shape: [4], name: 'a'});
    const b = tfl.input({shape: [4], name: 'b'});
    const cat = tfl.layers.concatenate().apply([a, b]) as tfl.SymbolicTensor;
    const model = tfl.model({inputs: [a, b], outputs: cat});
    const sample = [tf.ones([1, 4]), tf.ones([3, 4])];
    const c = int8Converter(model, function* () {
      yield sample;
    });
    await c.convert().catch(() => undefined);  // Warm-up: the first run may cache backend tensors.
    const before = tf.memory().numTensors;
    await expect(c.convert()).rejects.toThrow(
        /sample 0: input 1 has batch size 3 but input 0 has 1; all inputs of a sample need the same batch size/);
    expect(tf.memory().numTensors).toBe(before);
    // The evaluator itself frees what it made when an op throws.
    const graph = lowerModel(model);
    const evalBefore = tf.memory().numTensors;
    expect(() => evaluateIr(graph, sample)).toThrow();
    expect(tf.memory().numTensors).toBe(evalBefore);
    tf.dispose(sample);
  });

  it('rejects NaN or infinite weights in every mode, naming the layer and weight', async () => {
    const modes = ['float32', 'float16', 'dynamic', 'int8'];
    for (const [bad, word] of [[NaN, 'NaN'], [Infinity, 'infinite']] as const) {
      const model = tfl.sequential({layers: [
        tfl.layers.dense({units: 40, inputShape: [40], name: 'dense_1'}),
      ]});
      const [kernel, bias] = model.layers[0].getWeights();
      const values = kernel.dataSync().slice();
      values[7] = bad;
      const poisoned = tf.tensor(values, kernel.shape);
      model.layers[0].setWeights([poisoned, bias]);
      poisoned.dispose();
      const sample = tf.ones([1, 40]);
      for (const mode of modes) {
        const c = converterIn(model, mode, sample);
        await expect(c.convert(), `${mode} ${word}`).rejects.toThrow(
            new RegExp(`'dense_1'.*'dense_1/kernel' has 1 ${word} value.*finite weights.*no file`));
      }
      sample.dispose();
    }
  });

  it('validates targetSpec.supportedTypes and wants arrays for list options', async () => {
    const c = TFLiteConverter.fromLayersModel(dense('relu'));
    c.optimizations = ['DEFAULT'];
    c.targetSpec.supportedTypes = ['bogus' as 'float16'];
    expect(() => c.mode()).toThrow(/targetSpec.supportedTypes must be one of 'float16', 'int8'; received "bogus"/);
    // As in Python, int8 asks for full integer: it needs calibration data (or a QAT model).
    c.targetSpec.supportedTypes = ['int8'];
    expect(() => c.mode()).toThrow(/supportedTypes \['int8'\].*needs a representativeDataset/);
    c.representativeDataset = function* () {
      yield tf.zeros([1, 8]);
    };
    expect(c.mode()).toBe('int8');
    c.targetSpec.supportedTypes = ['float16', 'int8'];
    expect(() => c.mode()).toThrow(/targetSpec.supportedTypes cannot hold both 'float16' and 'int8'/);
    c.targetSpec.supportedTypes = ['float16'];
    c.targetSpec.supportedOps = ['TFLITE_BUILTINS_INT8'];
    expect(() => c.mode()).toThrow(/TFLITE_BUILTINS_INT8.*supportedTypes .*'float16'/);
    c.targetSpec.supportedOps = 'TFLITE_BUILTINS_INT8' as unknown as ['TFLITE_BUILTINS'];
    expect(() => c.mode()).toThrow(/targetSpec.supportedOps must be an array.*received string "TFLITE_BUILTINS_INT8"/);
    c.targetSpec.supportedOps = ['TFLITE_BUILTINS'];
    c.targetSpec.supportedTypes = 'float16' as unknown as ['float16'];
    expect(() => c.mode()).toThrow(/targetSpec.supportedTypes must be an array/);
    c.targetSpec.supportedTypes = [];
    c.optimizations = 'DEFAULT' as unknown as ['DEFAULT'];
    expect(() => c.mode()).toThrow(/optimizations must be an array.*\[Optimize.DEFAULT\]/);
  });

  it('accepts async iterables and batched samples', async () => {
    const c = TFLiteConverter.fromLayersModel(dense('relu'));
    c.optimizations = ['DEFAULT'];
    c.representativeDataset = async function* () {
      yield tf.randomUniform([4, 8], 0, 1, 'float32', 1);
    };
    const bytes = await c.convert();
    expect(tfmot.tflite.inspect(bytes).operators.map((o) => o.opName))
        .toEqual(['QUANTIZE', 'FULLY_CONNECTED', 'DEQUANTIZE']);
  });

  it('rejects an unbuilt model and non-models', async () => {
    expect(() => TFLiteConverter.fromLayersModel({} as tfl.LayersModel)).toThrow(/expects a tf.LayersModel/);
    await expect(TFLiteConverter.fromLayersModel(tfl.sequential()).convert())
        .rejects.toThrow(/not built/);
  });

  it('rejects contradictory or unknown settings, listing allowed values', () => {
    const c = TFLiteConverter.fromLayersModel(dense('relu'));
    c.inferenceInputType = 'int8';
    expect(() => c.mode()).toThrow(/need full-integer conversion; this configuration makes a float32 model/);
    c.inferenceInputType = 'float64' as 'int8';
    expect(() => c.mode()).toThrow(/inferenceInputType must be one of 'float32', 'int8', 'uint8', 'int16'/);
    const d = TFLiteConverter.fromLayersModel(dense('relu'));
    d.targetSpec.supportedOps = ['SELECT_TF_OPS' as 'TFLITE_BUILTINS'];
    expect(() => d.mode()).toThrow(/targetSpec.supportedOps must be one of/);
    d.targetSpec.supportedOps = ['TFLITE_BUILTINS'];
    d.optimizations = ['OPTIMIZE_FOR_SIZE' as 'DEFAULT'];
    expect(() => d.mode()).toThrow(/optimizations must be one of 'DEFAULT'/);
  });

  it('rejects settings it does not read (Python spellings, typos) at convert(), naming the one meant', async () => {
    const sample = tf.zeros([1, 8]);
    const cases: Array<[string, unknown, RegExp]> = [
      // The Python spelling would otherwise be ignored and a dynamic-range file written instead of int8.
      ['representative_dataset', function* () {
        yield sample;
      }, /unknown setting 'representative_dataset' \(did you mean converter.representativeDataset\?\)/],
      ['target_spec', {supported_ops: ['TFLITE_BUILTINS_INT8']}, /did you mean converter.targetSpec\?/],
      ['inference_input_type', 'int8', /did you mean converter.inferenceInputType\?/],
      ['representativeDatset', () => [sample], /did you mean converter.representativeDataset\?/],
      ['allow_custom_ops', true, /'allow_custom_ops' is not read by this converter; the settings are optimizations, /],
    ];
    for (const [key, value, message] of cases) {
      const c = TFLiteConverter.fromLayersModel(dense('relu'));
      c.optimizations = ['DEFAULT'];
      (c as unknown as Record<string, unknown>)[key] = value;
      await expect(c.convert(), key).rejects.toThrow(message);
      expect(() => c.mode()).toThrow(tfmot.ValueError);
    }
    const c = TFLiteConverter.fromLayersModel(dense('relu'));
    (c.targetSpec as unknown as Record<string, unknown>)['supported_ops'] = ['TFLITE_BUILTINS_INT8'];
    await expect(c.convert()).rejects.toThrow(
        /targetSpec: unknown option 'supported_ops' \(did you mean supportedOps\?\)/);
    sample.dispose();
  });

  it('rejects channelsFirst pooling, padding and flatten, naming the layer', async () => {
    // TFLite ops index NHWC: lowering these over NCHW tensors would reduce or pad the wrong axes.
    const layers: Array<[string, tfl.layers.Layer]> = [
      ['gap', tfl.layers.globalAveragePooling2d({dataFormat: 'channelsFirst', name: 'gap'})],
      ['gmp', tfl.layers.globalMaxPooling2d({dataFormat: 'channelsFirst', name: 'gmp'})],
      ['pad', tfl.layers.zeroPadding2d({padding: 1, dataFormat: 'channelsFirst', name: 'pad'})],
      ['flat', tfl.layers.flatten({dataFormat: 'channelsFirst', name: 'flat'})],
      ['pool', tfl.layers.maxPooling2d({poolSize: 2, dataFormat: 'channelsFirst', name: 'pool'})],
    ];
    for (const [name, layer] of layers) {
      const input = tfl.input({shape: [3, 4, 4]});
      const model = tfl.model({inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor});
      await expect(TFLiteConverter.fromLayersModel(model).convert(), name)
          .rejects.toThrow(new RegExp(`'${name}' uses dataFormat 'channelsFirst'; TFLite needs channelsLast`));
    }
  });

  it('does not export an untrained QAT input range ([0, 0]) as if it were one', async () => {
    const qat = tfmot.quantization.quantizeModel(dense('tanh'));
    const c = TFLiteConverter.fromLayersModel(qat);
    c.optimizations = ['DEFAULT'];
    await expect(c.convert()).rejects.toThrow(/No range for tensor .*have seen training data/);
    // With data, the missing range is calibrated instead: [0, largest sample value].
    const sample = tf.randomUniform([4, 8], 0, 1, 'float32', 2);
    c.representativeDataset = function* () {
      yield sample;
    };
    const {tensors} = tfmot.tflite.inspect(await c.convert());
    const input = tensors.find((t) => t.type === 'INT8' && t.shape.join() === '1,8')!;
    const largest = tf.tidy(() => tf.max(sample).dataSync()[0]);
    expect(input.quantization!.scale[0]).toBeCloseTo(largest / 255, 7);
    sample.dispose();
  });

  it('names the tensor a QAT model leaves without a range when no data is given', async () => {
    // The second Dense is left float, so its output has no range.
    const model = tfl.sequential({layers: [
      tfmot.quantization.quantizeAnnotateLayer(tfl.layers.dense({units: 4, inputShape: [8]})),
      tfl.layers.dense({units: 3, name: 'float_head'}),
    ]});
    const qat = tfmot.quantization.quantizeApply(model);
    await seeData(qat, [8], 3);
    const c = TFLiteConverter.fromLayersModel(qat);
    c.optimizations = ['DEFAULT'];
    await expect(c.convert()).rejects.toThrow(/No range for tensor 'float_head\/out'.*representativeDataset/);
  });
});

describe('TFLiteConverter memory', () => {
  it('leaves no tensors behind in any mode', async () => {
    await tfmot.backend.init();
    const model = tfmot.data.mnistTutorialModel({seed: 4});
    const sample = tf.zeros([1, 28, 28, 1]);
    const convertAll = async () => {
      for (const mode of ['float32', 'float16', 'dynamic', 'int8']) {
        const c = converterIn(model, mode, sample);
        await c.convert();
      }
    };
    await convertAll();
    const before = tf.memory().numTensors;
    await convertAll();
    expect(tf.memory().numTensors).toBe(before);
    sample.dispose();
  });
});

describe('TFLiteConverter memory with QAT models', () => {
  it('leaves no tensors behind converting a QAT model with BatchNorm folded in', async () => {
    await tfmot.backend.init();
    const model = tfl.sequential({layers: [
      tfl.layers.conv2d({filters: 4, kernelSize: 3, inputShape: [8, 8, 1], useBias: false}),
      tfl.layers.batchNormalization(),
      tfl.layers.reLU(),
      tfl.layers.flatten(),
      tfl.layers.dense({units: 3}),
    ]});
    const qat = tfmot.quantization.quantizeModel(model);
    await seeData(qat, [8, 8, 1], 3);
    const convert = async () => {
      const c = TFLiteConverter.fromLayersModel(qat);
      c.optimizations = ['DEFAULT'];
      return c.convert();
    };
    await convert();
    const before = tf.memory().numTensors;
    await convert();
    expect(tf.memory().numTensors).toBe(before);
  });
});
