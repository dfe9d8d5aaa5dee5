/**
 * tfmot.tflite.Interpreter (LiteRT.js behind Python's tf.lite.Interpreter
 * API) on converted MNIST models and hand-built ones.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {evaluateAccuracy, Interpreter, LiteRtError} from '../../src/tflite/interpreter.js';
import {writeModel} from '../../src/tflite/writer.js';
import {maxRelativeDiff} from '../helpers/compare.js';
import {trainTutorialModel, useMnist} from '../helpers/mnist.js';
import {argmaxRows, runLiteRt} from '../helpers/tflite_eval.js';
import {addModel} from './hand_built_models.js';

const mnist = useMnist({numTrain: 1000, numTest: 200, seed: 5});

async function predictData(interpreter: Interpreter, xs: tf.Tensor): Promise<Float32Array> {
  const y = await interpreter.predict(xs);
  const data = await y.data() as Float32Array;
  y.dispose();
  return data;
}

describe('Interpreter on the MNIST tutorial model', () => {
  let model: tfl.LayersModel;
  let float32: Uint8Array;
  let int8: Uint8Array;
  let reference: Float32Array;

  beforeAll(async () => {
    model = await trainTutorialModel(5, 1, mnist.data.train.xs, mnist.trainLabels);
    float32 = await tfmot.tflite.TFLiteConverter.fromLayersModel(model).convert();
    const samples = tf.split(tf.slice(mnist.data.train.xs, 0, 50), 50);
    const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(model);
    converter.optimizations = [tfmot.tflite.Optimize.DEFAULT];
    converter.representativeDataset = () => samples;
    converter.inferenceInputType = 'int8';
    converter.inferenceOutputType = 'int8';
    int8 = await converter.convert();
    tf.dispose(samples);
    reference = tf.tidy(() => (model.predict(mnist.data.test.xs) as tf.Tensor).dataSync() as Float32Array);
  });

  it('is exported as tfmot.tflite.Interpreter', () => {
    expect(tfmot.tflite.Interpreter).toBe(Interpreter);
    expect(tfmot.tflite.evaluateAccuracy).toBe(evaluateAccuracy);
  });

  it('float32: details from the file; predict matches tfjs and the test helper', async () => {
    const interpreter = await Interpreter.create(float32);
    try {
      const summary = tfmot.tflite.inspect(float32);
      const [input] = interpreter.getInputDetails();
      const [output] = interpreter.getOutputDetails();
      expect(input).toEqual({name: summary.tensors[summary.inputs[0]].name, index: summary.inputs[0],
        shape: [1, 28, 28, 1], dtype: 'float32', quantization: {scale: 0, zeroPoint: 0},
        quantizationParameters: {scales: [], zeroPoints: [], quantizedDimension: 0}});
      expect(output).toMatchObject({index: summary.outputs[0], shape: [1, 10], dtype: 'float32'});
      const lite = await predictData(interpreter, mnist.data.test.xs);
      expect(lite.length).toBe(200 * 10);
      expect(maxRelativeDiff(lite, reference)).toBeLessThan(1e-5);
      expect(Array.from(lite)).toEqual(Array.from(await runLiteRt(float32, mnist.data.test.xs)));
      expect(interpreter.log.some((line) => /XNNPACK/.test(line))).toBe(true);
    } finally {
      interpreter.dispose();
    }
  });

  it('int8 I/O: quantization parameters match the file', async () => {
    const interpreter = await Interpreter.create(int8);
    try {
      const summary = tfmot.tflite.inspect(int8);
      const [input] = interpreter.getInputDetails();
      const [output] = interpreter.getOutputDetails();
      for (const [details, index] of [[input, summary.inputs[0]], [output, summary.outputs[0]]] as const) {
        const q = summary.tensors[index].quantization!;
        expect(details.dtype).toBe('int8');
        expect(details.quantization).toEqual({scale: q.scale[0], zeroPoint: q.zeroPoint[0]});
        expect(details.quantizationParameters).toEqual({scales: q.scale, zeroPoints: q.zeroPoint,
          quantizedDimension: q.quantizedDimension});
      }
      expect(input.quantization.scale).toBeGreaterThan(0);
    } finally {
      interpreter.dispose();
    }
  });

  it('int8 I/O: setTensor/invoke/getTensor round trip equals predict, which agrees with tfjs', async () => {
    const interpreter = await Interpreter.create(int8);
    try {
      const [input] = interpreter.getInputDetails();
      const [output] = interpreter.getOutputDetails();
      const digit = tf.tidy(() => tf.slice(mnist.data.test.xs, 0, 1));
      const pixels = digit.dataSync();
      const {scale, zeroPoint} = input.quantization;
      const xq = Int8Array.from(pixels, (v) => Math.max(-128, Math.min(127, Math.round(v / scale) + zeroPoint)));
      interpreter.setTensor(input.index, xq);
      xq.fill(0);
      expect(Array.from(interpreter.getTensor(input.index) as Int8Array)).not.toEqual(Array.from(xq));
      await interpreter.invoke();
      const yq = interpreter.getTensor(output.index);
      expect(yq).toBeInstanceOf(Int8Array);
      const dequantized = Array.from(yq as Int8Array,
          (v) => Math.fround((v - output.quantization.zeroPoint) * output.quantization.scale));
      const predicted = await predictData(interpreter, digit);
      digit.dispose();
      expect(Array.from(predicted)).toEqual(dequantized);

      const lite = await predictData(interpreter, mnist.data.test.xs);
      const agree = argmaxRows(lite, 10).filter((c, i) => c === argmaxRows(reference, 10)[i]).length / 200;
      expect(agree).toBeGreaterThanOrEqual(0.95);
      // An open interpreter is used, not disposed, by evaluateAccuracy.
      const accuracy = await evaluateAccuracy(interpreter, mnist.data.test.xs, mnist.data.test.ys);
      const labels = mnist.data.test.ys.dataSync();
      expect(accuracy).toBe(argmaxRows(lite, 10).filter((c, i) => c === labels[i]).length / 200);
      expect(accuracy).toBeGreaterThan(0.7);
    } finally {
      interpreter.dispose();
    }
  });

  it('evaluateAccuracy of the float32 bytes equals the tfjs model accuracy', async () => {
    const labels = Array.from(mnist.data.test.ys.dataSync());
    const tfjsAccuracy = argmaxRows(reference, 10).filter((c, i) => c === labels[i]).length / 200;
    expect(await evaluateAccuracy(float32, mnist.data.test.xs, labels)).toBeCloseTo(tfjsAccuracy, 2);
  });

  it('leaks no tensors: numTensors is stable across predict and evaluateAccuracy', async () => {
    const interpreter = await Interpreter.create(int8);
    try {
      await predictData(interpreter, mnist.data.test.xs);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        await predictData(interpreter, mnist.data.test.xs);
        await evaluateAccuracy(interpreter, mnist.data.test.xs, mnist.data.test.ys);
      }
      await evaluateAccuracy(float32, mnist.data.test.xs, mnist.data.test.ys);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      interpreter.dispose();
    }
  });

  it('names the argument at fault', async () => {
    const interpreter = await Interpreter.create(int8);
    const [input] = interpreter.getInputDetails();
    const [output] = interpreter.getOutputDetails();
    await expect(interpreter.invoke()).rejects.toThrow(
        new RegExp(`invoke: input ${input.index} \\('.*'\\) was not set; call setTensor\\(${input.index}, data\\)`));
    expect(() => interpreter.getTensor(output.index)).toThrow(/getTensor: tensor \d+ .* call invoke\(\) first/);
    expect(() => interpreter.setTensor(999, new Int8Array(784))).toThrow(
        new RegExp(`setTensor: index 999 is not an input tensor; the inputs are \\[${input.index}\\]`));
    expect(() => interpreter.setTensor(input.index, new Float32Array(784))).toThrow(
        /setTensor: value for input \d+ .*int8 \[1,28,28,1\].* must be of type Int8Array with 784 elements; received Float32Array with 784 elements/);
    expect(() => interpreter.setTensor(input.index, new Int8Array(10))).toThrow(/received Int8Array with 10 elements/);
    const hidden = [0, 1, 2].find((i) => i !== input.index && i !== output.index);
    expect(() => interpreter.getTensor(hidden!)).toThrow(
        new RegExp(`getTensor: index ${hidden} is not an input or output tensor`));
    const flat = tf.zeros([2, 784]);
    await expect(interpreter.predict(flat)).rejects.toThrow(
        /predict: xs must be a numeric tf.Tensor \[N, 28,28,1\] .* received \[2,784\]/);
    flat.dispose();
    interpreter.dispose();
    interpreter.dispose();
    expect(() => interpreter.getTensor(input.index)).toThrow(/getTensor: the Interpreter was disposed/);
    await expect(Interpreter.create([1, 2] as unknown as Uint8Array)).rejects.toThrow(
        /Interpreter.create: modelContent must be a Uint8Array/);
    await expect(Interpreter.create(int8, {numThreads: 0})).rejects.toThrow(/options.numThreads must be an integer/);
    await expect(evaluateAccuracy(int8, mnist.data.test.xs, [1, 2])).rejects.toThrow(
        /evaluateAccuracy: labels must hold one int class per sample of xs \(200\).* received 2 values/);
  });
});

describe('Interpreter on hand-built models', () => {
  it('lists inputs in the subgraph\'s order and addresses them by tensor index', async () => {
    const model = addModel();
    model.subgraphs[0].tensors[1].shape = [1, 1];
    model.subgraphs[0].inputs = [1, 0];
    // Signature order and names differ from the subgraph's.
    model.signatureDefs[0].inputs = [{name: 'z_x', tensorIndex: 0}, {name: 'a_y', tensorIndex: 1}];
    const interpreter = await Interpreter.create(writeModel(model));
    try {
      expect(interpreter.getInputDetails().map((d) => [d.index, d.name, d.shape])).toEqual(
          [[1, 'y', [1, 1]], [0, 'x', [1, 4]]]);
      interpreter.setTensor(0, new Float32Array([1, 2, 3, 4]));
      interpreter.setTensor(1, new Float32Array([10]));
      await interpreter.invoke();
      expect(Array.from(interpreter.getTensor(2) as Float32Array)).toEqual([11, 12, 13, 14]);
      const x = tf.zeros([1, 4]);
      await expect(interpreter.predict(x)).rejects.toThrow(/predict: runs models with 1 input and 1 output; this one has 2/);
      x.dispose();
    } finally {
      interpreter.dispose();
    }
  });

  it('a corrupt model throws with the reader\'s reason, one LiteRT refuses with LiteRT\'s log text', async () => {
    await expect(Interpreter.create(new Uint8Array(64).fill(0x5a))).rejects.toThrow(
        /Interpreter.create: modelContent is not a valid TFLite file: readModel: bytes 4\.\.7 are "ZZZZ"/);
    const unknownVersion = addModel();
    unknownVersion.operatorCodes[0].version = 99;
    await expect(Interpreter.create(writeModel(unknownVersion))).rejects.toThrow(
        /Didn't find op for builtin opcode 'ADD' version '99'/);
  });

  it('throws LiteRtError with the log when LiteRT logs ERROR lines instead of throwing', async () => {
    // ADD of [1, 4] and [1, 3]: not broadcastable. LiteRT logs errors at the first run and returns garbage.
    const model = addModel();
    model.subgraphs[0].tensors[1].shape = [1, 3];
    const interpreter = await Interpreter.create(writeModel(model));
    try {
      interpreter.setTensor(0, new Float32Array(4));
      interpreter.setTensor(1, new Float32Array(3));
      const error = await interpreter.invoke().then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(LiteRtError);
      expect((error as LiteRtError).message).toMatch(/^invoke: LiteRT reported errors:\n(.|\n)*ERROR: .*failed to prepare/);
      expect((error as LiteRtError).log.some((line) => /ERROR/.test(line))).toBe(true);
      expect(interpreter.log.filter((line) => /ERROR/.test(line))).toEqual(
          (error as LiteRtError).log.filter((line) => /ERROR/.test(line)));
      expect(() => interpreter.getTensor(2)).toThrow(/call invoke\(\) first/);
    } finally {
      interpreter.dispose();
    }
  });
});
