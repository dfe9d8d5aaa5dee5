/**
 * Exports that once gave silently wrong files or could not be converted, run
 * by LiteRT and compared with the tfjs model: an output that is the input
 * unchanged, biases too large for int32 at the natural scale, Add/Multiply of
 * three tensors after QAT, and the kernel versions of rescaling ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {maxAbsDiff} from '../helpers/compare.js';
import {expectNoLiteRtErrors, runTflite} from '../helpers/litert.js';
import {outputStep} from './export_modes.js';

const {TFLiteConverter} = tfmot.tflite;

type Configure = (c: tfmot.tflite.TFLiteConverter) => void;

async function convert(model: tfl.LayersModel, configure: Configure = () => {}): Promise<Uint8Array> {
  const c = TFLiteConverter.fromLayersModel(model);
  configure(c);
  return c.convert();
}

const calibrateOn = (xs: tf.Tensor): Configure => (c) => {
  c.optimizations = ['DEFAULT'];
  c.representativeDataset = function* () {
    for (let i = 0; i < xs.shape[0]; i++) {
      yield tf.slice(xs, i, 1);
    }
  };
};

/** LiteRT's float outputs for each row of `xs` (a one-input model), row after row per output. */
async function liteRtRows(bytes: Uint8Array, xs: tf.Tensor): Promise<Float32Array[]> {
  const rows = tf.tidy(() => tf.unstack(xs).map((r) => tf.expandDims(r, 0)));
  const perOutput: number[][] = [];
  try {
    for (const row of rows) {
      const {outputs, log} = await runTflite(bytes, [{data: row.dataSync() as Float32Array, shape: row.shape}]);
      expectNoLiteRtErrors(log);
      outputs.forEach((o, i) => (perOutput[i] ??= []).push(...o.data as Float32Array));
    }
  } finally {
    tf.dispose(rows);
  }
  return perOutput.map((values) => Float32Array.from(values));
}

function predictAll(model: tfl.LayersModel, xs: tf.Tensor): Float32Array[] {
  return tf.tidy(() => {
    const out = model.predict(xs);
    return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
  });
}

describe('export edge cases in LiteRT', () => {
  beforeAll(async () => {
    await tfmot.backend.init();
  });

  it('an output that is the model input unchanged gets its own tensor', async () => {
    const input = tfl.input({shape: [3]});
    const dense = tfl.layers.dense({units: 2, kernelInitializer: tfl.initializers.glorotUniform({seed: 1})})
        .apply(input) as tfl.SymbolicTensor;
    const passed = tfl.layers.dropout({rate: 0.5}).apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({inputs: input, outputs: [dense, passed]});
    const xs = tf.tensor2d([[0.5, -0.25, 1], [2, 0, -3]]);
    const expected = predictAll(model, xs);
    const modes: Array<[string, Configure, number]> = [
      ['float32', () => {}, 1e-6],
      ['int8 with int8 I/O', (c) => {
        calibrateOn(xs)(c);
        c.inferenceInputType = 'int8';
        c.inferenceOutputType = 'int8';
      }, 0],
    ];
    for (const [mode, configure, tolerance] of modes) {
      const bytes = await convert(model, configure);
      const {subgraphs} = tfmot.tflite.readModel(bytes);
      const [graph] = subgraphs;
      expect(graph.outputs.filter((t) => graph.inputs.includes(t)), mode).toEqual([]);
      if (mode === 'float32') {
        const got = await liteRtRows(bytes, xs);
        expect(maxAbsDiff(got[0], expected[0]), mode).toBeLessThanOrEqual(tolerance);
        expect(Array.from(got[1]), mode).toEqual(Array.from(expected[1]));
      } else {
        // int8 in, int8 out: the pass-through output must return the very input codes.
        const codes = Int8Array.from([-128, -5, 0, 17, 127, 3]);
        for (let r = 0; r < 2; r++) {
          const {outputs, log} = await runTflite(bytes, [{data: codes.slice(r * 3, r * 3 + 3), shape: [1, 3]}]);
          expectNoLiteRtErrors(log);
          expect(Array.from(outputs[1].data as Int8Array), mode).toEqual(Array.from(codes.slice(r * 3, r * 3 + 3)));
        }
      }
    }
    xs.dispose();
  });

  it('Add and Multiply with the smaller (broadcast) input first keep the broadcast shape', async () => {
    const input = tfl.input({shape: [4]});
    const gate = tfl.layers.dense({units: 1, kernelInitializer: tfl.initializers.glorotUniform({seed: 3})})
        .apply(input) as tfl.SymbolicTensor;
    const scaled = tfl.layers.multiply().apply([gate, input]) as tfl.SymbolicTensor;
    const shifted = tfl.layers.add().apply([gate, scaled]) as tfl.SymbolicTensor;
    const model = tfl.model({inputs: input, outputs: shifted});
    const xs = tf.randomUniform([6, 4], -1, 1, 'float32', 9);
    const expected = predictAll(model, xs);
    const float32 = await liteRtRows(await convert(model), xs);
    expect(float32[0].length).toBe(expected[0].length);
    expect(maxAbsDiff(float32[0], expected[0])).toBeLessThan(1e-5);
    const int8 = await convert(model, calibrateOn(xs));
    const got = await liteRtRows(int8, xs);
    expect(got[0].length).toBe(expected[0].length);
    expect(maxAbsDiff(got[0], expected[0]) / outputStep(int8)).toBeLessThanOrEqual(3);
    xs.dispose();
  });

  it('rejects a Softmax layer over any axis but the last, naming it', async () => {
    const input = tfl.input({shape: [3, 4]});
    const model = tfl.model({inputs: input,
      outputs: tfl.layers.softmax({axis: 1, name: 'rows'}).apply(input) as tfl.SymbolicTensor});
    await expect(convert(model)).rejects.toThrow(/'rows' \(Softmax\) works over axis 1 of a rank-3 input.*last axis only: -1, 2 or \[2\]/);
    const last = tfl.model({inputs: input,
      outputs: tfl.layers.softmax({axis: -1}).apply(input) as tfl.SymbolicTensor});
    expect(tfmot.tflite.inspect(await convert(last)).operators.map((o) => o.opName)).toEqual(['SOFTMAX']);
  });

  it('rejects Concatenate over a negative axis other than -1, which tfjs computes over the last axis', async () => {
    const a = tfl.input({shape: [4, 5]});
    const b = tfl.input({shape: [4, 5]});
    const model = tfl.model({inputs: [a, b],
      outputs: tfl.layers.concatenate({axis: -2, name: 'stack'}).apply([a, b]) as tfl.SymbolicTensor});
    await expect(convert(model)).rejects.toThrow(/'stack': Concatenate axis -2 .*give it as 1/);
  });

  it('a bias too large for int32 at input x weight scale coarsens the weights instead of wrapping', async () => {
    // Channel 1 has weights of 1e-7 and a bias of 3: 3 / (input scale x 1e-7/127) overflows int32.
    const conv = tfl.layers.conv2d({filters: 2, kernelSize: 1, inputShape: [4, 4, 2], name: 'tiny'});
    const model = tfl.sequential({layers: [conv, tfl.layers.flatten(),
      tfl.layers.dense({units: 2, kernelInitializer: tfl.initializers.glorotUniform({seed: 2})})]});
    conv.setWeights([tf.tensor4d([0.8, 1e-7, -0.6, -1e-7], [1, 1, 2, 2]), tf.tensor1d([0.1, 3])]);
    const xs = tf.randomUniform([8, 4, 4, 2], -1, 1, 'float32', 3);
    const bytes = await convert(model, calibrateOn(xs));
    const {tensors} = tfmot.tflite.inspect(bytes);
    const bias = tensors.find((t) => t.name === 'tiny/bias')!;
    const stored = tfmot.tflite.readModel(bytes).buffers[bias.buffer].data;
    const values = new Int32Array(stored.buffer, stored.byteOffset, 2);
    const real = Array.from(values, (v, c) => v * bias.quantization!.scale[c]);
    expect(real[1]).toBeCloseTo(3, 3);
    const got = await liteRtRows(bytes, xs);
    const expected = predictAll(model, xs);
    // A wrapped-around bias is off by a hundred steps and more (measured: BENCHMARKS.md).
    expect(maxAbsDiff(got[0], expected[0]) / outputStep(bytes)).toBeLessThanOrEqual(3);
    xs.dispose();
  });

  it('a standalone BatchNormalization with gamma near 0 keeps its shift', async () => {
    const bn = tfl.layers.batchNormalization({});
    const model = tfl.sequential({layers: [
      tfl.layers.dense({units: 3, inputShape: [4], activation: 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({seed: 4})}),
      bn,
      tfl.layers.dense({units: 2, kernelInitializer: tfl.initializers.glorotUniform({seed: 5})}),
    ]});
    bn.setWeights([tf.tensor1d([1, 1e-7, 1]), tf.tensor1d([0, 2, 0]), tf.zeros([3]), tf.ones([3])]);
    const xs = tf.randomUniform([8, 4], -1, 1, 'float32', 6);
    const bytes = await convert(model, calibrateOn(xs));
    const got = await liteRtRows(bytes, xs);
    const expected = predictAll(model, xs);
    // A wrapped-around shift is off by a hundred steps and more (measured: BENCHMARKS.md).
    expect(maxAbsDiff(got[0], expected[0]) / outputStep(bytes)).toBeLessThanOrEqual(3);
    xs.dispose();
  });

  describe('Add and Multiply of three tensors after QAT', () => {
    let model: tfl.LayersModel;
    let qat: tfl.LayersModel;
    let xs: tf.Tensor;

    beforeAll(async () => {
      const input = tfl.input({shape: [6]});
      const branches = [0, 1, 2].map((i) => tfl.layers.dense({units: 4,
        kernelInitializer: tfl.initializers.glorotUniform({seed: 10 + i})}).apply(input) as tfl.SymbolicTensor);
      const sum = tfl.layers.add().apply(branches) as tfl.SymbolicTensor;
      const product = tfl.layers.multiply().apply(branches) as tfl.SymbolicTensor;
      const merged = tfl.layers.concatenate().apply([sum, product]) as tfl.SymbolicTensor;
      model = tfl.model({inputs: input, outputs: merged});
      xs = tf.randomUniform([64, 6], -1, 1, 'float32', 7);
      qat = tfmot.quantization.quantizeModel(model);
      qat.compile({optimizer: tf.train.sgd(0), loss: 'meanSquaredError'});
      const targets = model.predict(xs) as tf.Tensor;
      // Enough steps (decay 0.999) for the moving-average ranges to leave their [-6, 6] start.
      await qat.fit(xs, targets, {epochs: 300, batchSize: 64, verbose: 0});
      targets.dispose();
    });

    it('converts without data: the partial sums and products get ranges bounding their inputs', async () => {
      const bytes = await convert(qat, (c) => c.optimizations = ['DEFAULT']);
      const got = await liteRtRows(bytes, xs);
      const expected = predictAll(qat, xs);
      const step = outputStep(bytes);
      // The partial results are not fake-quantized in training, so the file rounds them on
      // a grid QAT never saw; their ranges bound every value, so nothing clips
      // (calibrated partial results do better, next test; measured: BENCHMARKS.md).
      expect(maxAbsDiff(got[0], expected[0]) / step).toBeLessThanOrEqual(6);
    });

    it('calibrates only the partial results when given data, and then agrees within 1 step', async () => {
      const bytes = await convert(qat, calibrateOn(xs));
      const withoutData = tfmot.tflite.inspect(await convert(qat, (c) => c.optimizations = ['DEFAULT']));
      const {tensors} = tfmot.tflite.inspect(bytes);
      // Every tensor with a trained range keeps it; only the partial results differ.
      const differing = tensors.filter((t, i) =>
        JSON.stringify(t.quantization) !== JSON.stringify(withoutData.tensors[i].quantization)).map((t) => t.name);
      expect(differing.length).toBeGreaterThan(0);
      expect(differing.every((n) => /\/out_1$/.test(n)), differing.join()).toBe(true);
      const got = await liteRtRows(bytes, xs);
      const expected = predictAll(qat, xs);
      expect(maxAbsDiff(got[0], expected[0]) / outputStep(bytes)).toBeLessThanOrEqual(1.01);
    });

    it('agrees in the float and post-training modes too', async () => {
      const expected = predictAll(model, xs);
      const float32 = await liteRtRows(await convert(model), xs);
      expect(maxAbsDiff(float32[0], expected[0])).toBeLessThan(1e-5);
      const int8 = await convert(model, calibrateOn(xs));
      const got = await liteRtRows(int8, xs);
      // The 3-step bound of the other post-training files here (measured: BENCHMARKS.md).
      expect(maxAbsDiff(got[0], expected[0]) / outputStep(int8)).toBeLessThanOrEqual(3);
    });
  });

  it('writes the kernel versions TFLite gives QUANTIZE, rescaling MUL, int16 MUL and int16 DEQUANTIZE', async () => {
    // Each factor spans [-100, 100] but their products stay within [-1, 1]:
    // in1 scale x in2 scale / out scale is far above 1.
    const a = tfl.input({shape: [1]});
    const b = tfl.input({shape: [1]});
    const model = tfl.model({inputs: [a, b], outputs: tfl.layers.multiply().apply([a, b]) as tfl.SymbolicTensor});
    const pairs = [[100, 0.01], [0.01, 100], [-100, 0.01], [0.01, -100], [3, -0.2]];
    const dataset = function* () {
      for (const [x, y] of pairs) {
        yield [tf.tensor2d([[x]]), tf.tensor2d([[y]])];
      }
    };
    const int8Bytes = await convert(model, (c) => {
      c.optimizations = ['DEFAULT'];
      c.representativeDataset = dataset;
    });
    const int8 = tfmot.tflite.inspect(int8Bytes);
    const mul = int8.operators.find((o) => o.opName === 'MUL')!;
    const scale = (t: number) => int8.tensors[t].quantization!.scale[0];
    expect(scale(mul.inputs[0]) * scale(mul.inputs[1]) / scale(mul.outputs[0])).toBeGreaterThanOrEqual(1);
    expect(mul.version).toBe(3);
    expect(int8.operators.filter((o) => o.opName === 'QUANTIZE').map((o) => o.version)).toEqual([1, 1]);
    // LiteRT runs the version-3 kernel: the product of the two quantized inputs, within one output step.
    const q = (t: number) => int8.tensors[t].quantization!;
    const onGrid = (v: number, t: number) =>
      (Math.max(-128, Math.min(127, Math.round(v / q(t).scale[0]) + q(t).zeroPoint[0])) - q(t).zeroPoint[0]) *
      q(t).scale[0];
    for (const [x, y] of [[1.6, -0.5], [-2.5, 0.3], [0.9, 0.9]]) {
      const {outputs, log} = await runTflite(int8Bytes,
          [{data: Float32Array.of(x), shape: [1, 1]}, {data: Float32Array.of(y), shape: [1, 1]}]);
      expectNoLiteRtErrors(log);
      const expected = onGrid(onGrid(x, mul.inputs[0]) * onGrid(y, mul.inputs[1]), mul.outputs[0]);
      expect(Math.abs((outputs[0].data as Float32Array)[0] - expected)).toBeLessThanOrEqual(scale(mul.outputs[0]) * 1.01);
    }
    const int16 = tfmot.tflite.inspect(await convert(model, (c) => {
      c.optimizations = ['DEFAULT'];
      c.representativeDataset = dataset;
      c.targetSpec.supportedOps = ['EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8'];
    }));
    const versions = Object.fromEntries(int16.operators.map((o) => [o.opName, o.version]));
    expect(versions).toEqual({QUANTIZE: 2, MUL: 4, DEQUANTIZE: 3});
  });
});
