import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {
  categoricalCrossentropyFromLogits,
  loadMnist,
  MnistData,
  mnistTutorialModel,
  oneHotLabels,
} from '../../src/data/index.js';
import {ValueError} from '../../src/errors.js';

// Digits per class in the mnist 1.1.0 package.
const CLASS_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

function disposeData(d: MnistData): void {
  tf.dispose([d.train.xs, d.train.ys, d.test.xs, d.test.ys]);
}

/** One string per image, so images can be compared across splits. */
function imageKeys(xs: tf.Tensor): string[] {
  const px = xs.dataSync() as Float32Array;
  const bytes = 28 * 28 * 4;
  const keys: string[] = [];
  for (let i = 0; i < xs.shape[0]; i++) {
    keys.push(Buffer.from(px.buffer, px.byteOffset + i * bytes, bytes).toString('base64'));
  }
  return keys;
}

/** Byte equality; vitest's deep toEqual is slow on 470k-element arrays. */
function sameBytes(a: tf.Tensor, b: tf.Tensor): boolean {
  const x = a.dataSync();
  const y = b.dataSync();
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength)
      .equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
}

function counts(ys: tf.Tensor): number[] {
  const c = new Array<number>(10).fill(0);
  for (const y of ys.dataSync()) {
    c[y]++;
  }
  return c;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('loadMnist', () => {
  let data: MnistData;

  beforeAll(() => {
    data = loadMnist({numTrain: 600, numTest: 200, seed: 1});  // reads the JSON once
  });

  afterAll(() => disposeData(data));

  it('returns float32 images [n, 28, 28, 1] and int32 labels [n]', () => {
    expect(data.train.xs.shape).toEqual([600, 28, 28, 1]);
    expect(data.train.xs.dtype).toBe('float32');
    expect(data.train.ys.shape).toEqual([600]);
    expect(data.train.ys.dtype).toBe('int32');
    expect(data.test.xs.shape).toEqual([200, 28, 28, 1]);
    expect(data.test.ys.shape).toEqual([200]);
  });

  it('has pixels in [0, 1], ink in every image and labels in 0..9', () => {
    const [lo, hi] = tf.tidy(() => [tf.min(data.train.xs), tf.max(data.train.xs)].map((t) => t.dataSync()[0]));
    expect(lo).toBe(0);
    expect(hi).toBe(1);
    const perImage = tf.tidy(() => tf.max(tf.reshape(data.train.xs, [600, -1]), 1).dataSync());
    expect(Math.min(...perImage)).toBeGreaterThan(0.5);
    for (const y of data.train.ys.dataSync()) {
      expect(Number.isInteger(y) && y >= 0 && y <= 9).toBe(true);
    }
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const again = loadMnist({numTrain: 600, numTest: 200, seed: 1});
    const other = loadMnist({numTrain: 600, numTest: 200, seed: 2});
    expect(sameBytes(again.train.xs, data.train.xs)).toBe(true);
    expect(again.train.ys.dataSync()).toEqual(data.train.ys.dataSync());
    expect(again.test.ys.dataSync()).toEqual(data.test.ys.dataSync());
    expect(other.train.ys.dataSync()).not.toEqual(data.train.ys.dataSync());
    expect(sameBytes(other.train.xs, data.train.xs)).toBe(false);
    disposeData(again);
    disposeData(other);
  });

  it('accepts string seeds', () => {
    const a = loadMnist({numTrain: 20, numTest: 0, seed: 'abc'});
    const b = loadMnist({numTrain: 20, numTest: 0, seed: 'abc'});
    expect(a.train.ys.dataSync()).toEqual(b.train.ys.dataSync());
    disposeData(a);
    disposeData(b);
  });

  it('keeps train and test disjoint and can use every digit exactly once', () => {
    const all = loadMnist({numTrain: 7000, numTest: 3000, seed: 5});
    const train = new Set(imageKeys(all.train.xs));
    const test = imageKeys(all.test.xs);
    expect(train.size).toBe(7000);  // no digit drawn twice
    expect(test.filter((k) => train.has(k))).toEqual([]);
    const total = counts(all.train.ys).map((c, i) => c + counts(all.test.ys)[i]);
    expect(total).toEqual(CLASS_COUNTS);
    disposeData(all);
  });

  it('draws roughly balanced classes', () => {
    // Expected about 60 per class (863..1127 of 10,000, times 600).
    for (const c of counts(data.train.ys)) {
      expect(c).toBeGreaterThan(30);
      expect(c).toBeLessThan(100);
    }
  });

  it('creates only the four returned tensors', () => {
    const before = tf.memory().numTensors;
    const d = loadMnist({numTrain: 10, numTest: 10, seed: 0});
    expect(tf.memory().numTensors - before).toBe(4);
    disposeData(d);
  });

  it('allows an empty test split', () => {
    const d = loadMnist({numTrain: 5, numTest: 0});
    expect(d.test.xs.shape).toEqual([0, 28, 28, 1]);
    disposeData(d);
  });

  it('rejects more digits than available, naming the arguments and the count', () => {
    expect(() => loadMnist({numTrain: 9000, numTest: 1001})).toThrow(ValueError);
    expect(() => loadMnist({numTrain: 9000, numTest: 1001})).toThrow(
        /numTrain \+ numTest must be <= 10000.*numTrain=9000, numTest=1001/);
  });

  it('rejects bad counts and seeds', () => {
    expect(() => loadMnist({numTrain: 0})).toThrow(/numTrain must be an integer >= 1; received 0/);
    expect(() => loadMnist({numTrain: 2.5})).toThrow(/numTrain/);
    expect(() => loadMnist({numTest: -1})).toThrow(/numTest must be an integer >= 0/);
    expect(() => loadMnist({seed: NaN})).toThrow(ValueError);
  });
});

describe('oneHotLabels', () => {
  it('maps int32 labels to float32 one-hot rows', () => {
    const oh = oneHotLabels(tf.tensor1d([3, 0, 9], 'int32'));
    expect(oh.dtype).toBe('float32');
    expect(oh.shape).toEqual([3, 10]);
    expect(Array.from(oh.dataSync()).map((v, i) => v === 1 ? i : -1).filter((i) => i >= 0))
        .toEqual([3, 10, 29]);
    oh.dispose();
  });

  it('rejects float labels', () => {
    expect(() => oneHotLabels(tf.tensor1d([1, 2]))).toThrow(/ys must be an int32 tensor of rank 1/);
  });
});

describe('categoricalCrossentropyFromLogits', () => {
  it('equals -log softmax at the target class, per example', () => {
    const logits = tf.tensor2d([[1, 2, 3], [-5, 0, 5]]);
    const targets = tf.tensor2d([[0, 0, 1], [1, 0, 0]]);
    const loss = categoricalCrossentropyFromLogits(targets, logits);
    expect(loss.shape).toEqual([2]);
    const expected = [
      -Math.log(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3))),
      -Math.log(Math.exp(-5) / (Math.exp(-5) + 1 + Math.exp(5))),
    ];
    const got = loss.dataSync();
    expect(got[0]).toBeCloseTo(expected[0], 5);
    expect(got[1]).toBeCloseTo(expected[1], 4);
    tf.dispose([logits, targets, loss]);
  });
});

describe('mnistTutorialModel', () => {
  it('builds Conv2D(12) -> MaxPooling2D -> Flatten -> Dense(10) logits', () => {
    const model = mnistTutorialModel({seed: 1});
    expect(model.layers.map((l) => l.getClassName()))
        .toEqual(['Conv2D', 'MaxPooling2D', 'Flatten', 'Dense']);
    expect(model.inputs[0].shape).toEqual([null, 28, 28, 1]);
    expect(model.outputs[0].shape).toEqual([null, 10]);
    expect(model.countParams()).toBe(20410);  // as in the TFMOT tutorial
    expect(model.layers[0].getConfig()['activation']).toBe('relu');
    expect(model.layers[3].getConfig()['activation']).toBe('linear');
    model.dispose();
  });

  it('has identical initial weights for the same seed only', () => {
    const a = mnistTutorialModel({seed: 3});
    const b = mnistTutorialModel({seed: 3});
    const c = mnistTutorialModel({seed: 4});
    const wa = a.getWeights().map((w) => w.dataSync());
    expect(b.getWeights().map((w) => w.dataSync())).toEqual(wa);
    expect(c.getWeights()[0].dataSync()).not.toEqual(wa[0]);
    expect(wa[2]).not.toEqual(wa[0].slice(0, wa[2].length));  // layers use distinct seeds
    [a, b, c].forEach((m) => m.dispose());
  });

  it('trains with one-hot targets, the logits loss and the accuracy metric', async () => {
    const d = loadMnist({numTrain: 16, numTest: 0, seed: 0});
    const targets = oneHotLabels(d.train.ys);
    const model = mnistTutorialModel({seed: 0});
    model.compile({
      optimizer: tf.train.adam(0.01),
      loss: categoricalCrossentropyFromLogits,
      metrics: ['accuracy'],
    });
    const h = await model.fit(d.train.xs, targets, {
      epochs: 3, batchSize: 16, shuffle: false, verbose: 0,
    });
    const loss = h.history['loss'] as number[];
    expect(loss[0]).toBeGreaterThan(1.5);  // about ln(10) at the start
    expect(loss[2]).toBeLessThan(loss[0]);
    expect(h.history['acc']).toHaveLength(3);
    model.dispose();
    disposeData(d);
    targets.dispose();
  });

  it('rejects a non-numeric seed', () => {
    expect(() => mnistTutorialModel({seed: 'x' as unknown as number})).toThrow(ValueError);
  });
});

describe('tfjs-layers loss facts relied on in the docs', () => {
  it("'sparseCategoricalCrossentropy' rejects int32 labels", async () => {
    const model = tfl.sequential({
      layers: [tfl.layers.dense({inputShape: [2], units: 3, activation: 'softmax'})],
    });
    model.compile({optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy'});
    const x = tf.ones([4, 2]);
    const y = tf.tensor1d([0, 1, 2, 1], 'int32');
    await expect(model.fit(x, y, {epochs: 1, verbose: 0})).rejects.toThrow(/float32/);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('fit rejects [n] labels for a function loss on an [n, 10] output', async () => {
    const model = tfl.sequential({layers: [tfl.layers.dense({inputShape: [2], units: 10})]});
    model.compile({optimizer: 'sgd', loss: categoricalCrossentropyFromLogits});
    const x = tf.ones([4, 2]);
    const y = tf.tensor1d([0, 1, 2, 1]);
    await expect(model.fit(x, y, {epochs: 1, verbose: 0})).rejects.toThrow(/shape \[\*,10\]/);
    tf.dispose([x, y]);
    model.dispose();
  });
});
