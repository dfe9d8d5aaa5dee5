/**
 * tfmot.tflite.Interpreter and evaluateAccuracy on small models: concurrent
 * use, dispose while a run is queued, and the arguments they reject.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {ValueError} from '../../src/errors.js';
import {evaluateAccuracy, Interpreter, LiteRtError} from '../../src/tflite/interpreter.js';
import {writeModel} from '../../src/tflite/writer.js';
import {addModel} from './hand_built_models.js';

/** Dense [4] -> [units] softmax (or linear for 1 unit), converted as float32 or with int8 I/O. */
async function denseFile(units: number, io: 'float32'|'int8'): Promise<Uint8Array> {
  const model = tfl.sequential({layers: [tfl.layers.dense({units, inputShape: [4],
    activation: units > 1 ? 'softmax' : 'linear', kernelInitializer: tfl.initializers.glorotUniform({seed: 1})})]});
  const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(model);
  const samples = tf.split(tf.randomUniform([20, 4], -1, 1, 'float32', 9), 20);
  if (io === 'int8') {
    converter.optimizations = [tfmot.tflite.Optimize.DEFAULT];
    converter.representativeDataset = () => samples;
    converter.inferenceInputType = 'int8';
    converter.inferenceOutputType = 'int8';
  }
  const bytes = await converter.convert();
  tf.dispose(samples);
  model.dispose();
  return bytes;
}

/** ADD of [1, 4] and [1, 3]: LiteRT logs ERROR lines at every run. */
function failingAddFile(): Uint8Array {
  const model = addModel();
  model.subgraphs[0].tensors[1].shape = [1, 3];
  return writeModel(model);
}

async function values(t: tf.Tensor): Promise<number[]> {
  const data = Array.from(await t.data());
  t.dispose();
  return data;
}

describe('Interpreter used concurrently', () => {
  let float32: Uint8Array;
  let int8: Uint8Array;

  beforeAll(async () => {
    await tfmot.backend.init();
    float32 = await denseFile(3, 'float32');
    int8 = await denseFile(3, 'int8');
  });

  it('concurrent predicts on one interpreter each get their own outputs', async () => {
    for (const bytes of [float32, int8]) {
      const interpreter = await Interpreter.create(bytes);
      const a = tf.tensor2d([[1, 0, 0, 0]]);
      const b = tf.tensor2d([[0, 0, 0, 1]]);
      try {
        const alone = [await values(await interpreter.predict(a)), await values(await interpreter.predict(b))];
        expect(alone[0]).not.toEqual(alone[1]);
        const together = await Promise.all([interpreter.predict(a), interpreter.predict(b)]);
        expect([await values(together[0]), await values(together[1])]).toEqual(alone);
      } finally {
        tf.dispose([a, b]);
        interpreter.dispose();
      }
    }
  });

  it('another interpreter\'s ERROR lines do not fail an interleaved invoke', async () => {
    const good = await Interpreter.create(writeModel(addModel()));
    const bad = await Interpreter.create(failingAddFile());
    try {
      good.setTensor(0, new Float32Array([1, 2, 3, 4]));
      good.setTensor(1, new Float32Array([10, 10, 10, 10]));
      bad.setTensor(0, new Float32Array(4));
      bad.setTensor(1, new Float32Array(3));
      const [goodRun, badRun] = await Promise.allSettled([good.invoke(), bad.invoke()]);
      expect(goodRun.status).toBe('fulfilled');
      expect(badRun.status === 'rejected' && badRun.reason).toBeInstanceOf(LiteRtError);
      expect(Array.from(good.getTensor(2) as Float32Array)).toEqual([11, 12, 13, 14]);
      expect(good.log.filter((line) => /ERROR/.test(line))).toEqual([]);
      // Likewise while another model is being created.
      const [created] = await Promise.all([Interpreter.create(float32), bad.invoke().catch(() => undefined)]);
      created.dispose();
    } finally {
      good.dispose();
      bad.dispose();
    }
  });

  it('dispose() while an invoke is pending: the invoke rejects clearly, later calls too', async () => {
    const interpreter = await Interpreter.create(float32);
    interpreter.setTensor(interpreter.getInputDetails()[0].index, new Float32Array(4));
    const pending = interpreter.invoke();
    interpreter.dispose();
    await expect(pending).rejects.toThrow(/^invoke: the Interpreter was disposed/);
    interpreter.dispose();
    const x = tf.zeros([1, 4]);
    await expect(interpreter.predict(x)).rejects.toThrow(/^predict: the Interpreter was disposed/);
    await expect(evaluateAccuracy(interpreter, x, [0])).rejects.toThrow(/the Interpreter was disposed/);
    x.dispose();
    // The runtime still works for others.
    const other = await Interpreter.create(float32);
    expect((await values(await other.predict(tf.zeros([2, 4])))).length).toBe(6);
    other.dispose();
  });
});

describe('Interpreter and evaluateAccuracy reject bad arguments', () => {
  let float32: Uint8Array;
  let int8: Uint8Array;
  let oneScore: Uint8Array;
  let xs: tf.Tensor;

  beforeAll(async () => {
    await tfmot.backend.init();
    xs = tf.tensor2d([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 1, 0, 0]]);
    float32 = await denseFile(3, 'float32');
    int8 = await denseFile(3, 'int8');
    oneScore = await denseFile(1, 'float32');
  });

  it('a batch-1 file runs xs [N, ...] one row per invoke', async () => {
    const interpreter = await Interpreter.create(float32);
    try {
      const rows = await values(await interpreter.predict(xs));
      for (let i = 0; i < 5; i++) {
        const row = tf.slice(xs, i, 1);
        expect(await values(await interpreter.predict(row))).toEqual(rows.slice(i * 3, i * 3 + 3));
        row.dispose();
      }
    } finally {
      interpreter.dispose();
    }
  });

  it('evaluateAccuracy takes int classes or one-hot rows, and rejects anything else naming labels', async () => {
    const interpreter = await Interpreter.create(float32);
    try {
      const predicted = await values(tf.argMax(await interpreter.predict(xs), -1));
      const labels = [predicted[0], predicted[1], (predicted[2] + 1) % 3, predicted[3], predicted[4]];
      const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), 3);
      const column = tf.tensor2d(labels, [5, 1]);
      const before = tf.memory().numTensors;
      expect(await evaluateAccuracy(interpreter, xs, labels)).toBe(0.8);
      expect(await evaluateAccuracy(interpreter, xs, oneHot)).toBe(0.8);
      expect(await evaluateAccuracy(interpreter, xs, column)).toBe(0.8);
      expect(await evaluateAccuracy(float32, xs, Int32Array.from(labels))).toBe(0.8);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([oneHot, column]);

      const rejects = (l: unknown, message: RegExp) =>
        expect(evaluateAccuracy(interpreter, xs, l as number[])).rejects.toThrow(message);
      await rejects([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]],
          /evaluateAccuracy: labels must be int classes >= 0 \(or a tf.Tensor of one-hot rows\); labels\[0\] is Array/);
      await rejects(['0', '1', '2', '0', '1'], /labels\[0\] is string "0"/);
      await rejects([0, 1, 0.5, 0, 1], /labels\[2\] is 0.5/);
      await rejects([0, 1, -1, 0, 1], /labels\[2\] is -1/);
      await rejects([0, 1, 3, 0, 1], /evaluateAccuracy: labels\[2\] is 3; the model has 3 classes/);
      await rejects([0, 1], /labels must hold one int class per sample of xs \(5\).*received 2 values/);
      await rejects(42, /labels must hold one int class per sample of xs \(5\).*received number 42/);
      const wrong = tf.zeros([5, 3, 1]);
      await rejects(wrong, /received a tf.Tensor \[5,3,1\]/);
      wrong.dispose();
      await rejects(wrong, /received a disposed tensor/);
      const narrow = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 1, 0, 1], 'int32'), 2));
      await rejects(narrow, /labels are one-hot rows of 2 values; the model gives 3 scores per sample/);
      const noColumns = tf.zeros([5, 0]);
      await rejects(noColumns, /received a tf.Tensor \[5,0\]/);
      tf.dispose([narrow, noColumns]);
    } finally {
      interpreter.dispose();
    }
  });

  it('evaluateAccuracy rejects xs without samples and single-score models, naming the cause', async () => {
    const empty = tf.zeros([0, 4]);
    await expect(evaluateAccuracy(float32, empty, [])).rejects.toThrow(
        /evaluateAccuracy: xs must be a tf.Tensor \[N, ...\] with N >= 1 samples; received \[0,4\]/);
    empty.dispose();
    await expect(evaluateAccuracy(float32, null as unknown as tf.Tensor, [0])).rejects.toThrow(
        /evaluateAccuracy: xs must be .* received null/);
    await expect(evaluateAccuracy(oneScore, xs, [0, 0, 0, 0, 0])).rejects.toThrow(
        /evaluateAccuracy: the model gives 1 score per sample; accuracy by argmax needs one score per class/);
  });

  it('predict rejects NaN for a quantized input and a disposed xs; setTensor/getTensor a non-number index', async () => {
    const interpreter = await Interpreter.create(int8);
    try {
      const nan = tf.tensor2d([[0, NaN, 0, 0]]);
      await expect(interpreter.predict(nan)).rejects.toThrow(
          /predict: xs holds NaN, which the int8 input '.*' cannot represent/);
      nan.dispose();
      await expect(interpreter.predict(nan)).rejects.toThrow(/^predict: xs was disposed/);
      expect(() => interpreter.setTensor('0' as unknown as number, new Int8Array(4))).toThrow(
          /setTensor: index must be a tensor index .*; received string "0"/);
      expect(() => interpreter.getTensor(undefined as unknown as number)).toThrow(
          /getTensor: index must be a tensor index .*; received undefined/);
    } finally {
      interpreter.dispose();
    }
  });

  it('create rejects empty, garbage and truncated bytes with an error, not a crash', async () => {
    const error = await Interpreter.create(new Uint8Array(0)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValueError);
    expect((error as Error).message).toMatch(/Interpreter.create: modelContent is empty/);
    for (const bytes of [float32.slice(0, float32.length >> 1), float32.slice(0, 16)]) {
      const truncated = await Interpreter.create(bytes).catch((e: unknown) => e);
      expect(truncated).toBeInstanceOf(ValueError);
      expect((truncated as Error).message).toMatch(
          /^Interpreter.create: modelContent is not a valid TFLite file: readModel: .*(outside|too short)/);
    }
  });
});
