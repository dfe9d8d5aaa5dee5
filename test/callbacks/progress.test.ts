/**
 * Progress reporting: ProgressBar in fit() (TTY redraws vs one line per
 * epoch), the converter's onProgress events, and progressLogger's throttling.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {int8Converter} from '../helpers/converters.js';

const {ProgressBar, progressLogger} = tfmot.callbacks;
type ProgressEvent = tfmot.callbacks.ProgressEvent;

/** Collects everything written. */
function capture(): {write: (t: string) => void, text: () => string, calls: string[]} {
  const calls: string[] = [];
  return {write: (t) => void calls.push(t), text: () => calls.join(''), calls};
}

function tinyModel(): tfl.LayersModel {
  const model = tfl.sequential({layers: [
    tfl.layers.dense({units: 8, inputShape: [4], activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({seed: 1})}),
    tfl.layers.dense({units: 3, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({seed: 2})}),
  ]});
  model.compile({optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy']});
  return model;
}

/** 40 samples at batch 10: 4 batches per epoch, 2 epochs, with validation data. */
async function fitWith(model: tfl.LayersModel, callbacks: tfl.Callback[]): Promise<tfl.History> {
  const [xs, ys, vx, vy] = tf.tidy(() => [
    tf.randomUniform([40, 4], 0, 1, 'float32', 3),
    tf.oneHot(tf.tensor1d(Array.from({length: 40}, (_, i) => i % 3), 'int32'), 3),
    tf.randomUniform([6, 4], 0, 1, 'float32', 4),
    tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3),
  ]);
  try {
    return await model.fit(xs, ys, {epochs: 2, batchSize: 10, verbose: 0, validationData: [vx, vy], callbacks});
  } finally {
    tf.dispose([xs, ys, vx, vy]);
  }
}

const samples = (n: number) => Array.from({length: n}, (_, i) => tf.randomUniform([1, 4], 0, 1, 'float32', i));

describe('ProgressBar', () => {
  beforeAll(async () => {
    await tfmot.backend.init();
  });

  it('on a TTY redraws one line with \\r per epoch and ends each epoch with a newline', async () => {
    const out = capture();
    await fitWith(tinyModel(), [new ProgressBar({write: out.write, tty: true, throttleMs: 0, width: 10})]);
    const lines = out.text().split('\n');
    expect(lines.length).toBe(3);
    expect(lines[2]).toBe('');
    lines.slice(0, 2).forEach((line, e) => {
      const draws = line.split('\r').slice(1);
      // One redraw per batch (throttle 0) and the epoch's final line.
      expect(draws.length).toBe(5);
      expect(draws[0]).toMatch(new RegExp(`^Epoch ${e + 1}/2 \\[==>.......\\] 1/4 - ETA \\S+ - loss: \\d+\\.\\d{4} - acc: `));
      expect(draws[4]).toMatch(new RegExp(`^Epoch ${e + 1}/2 \\[==========\\] 4/4 - \\S+s - loss: \\d+\\.\\d{4} - ` +
          'acc: \\d\\.\\d{4} - val_loss: \\d+\\.\\d{4} - val_acc: \\d\\.\\d{4} *$'));
    });
  });

  it('without a TTY prints exactly one line per epoch (plus intermediateLines)', async () => {
    const out = capture();
    await fitWith(tinyModel(), [new ProgressBar({write: out.write, label: 'float'})]);
    expect(out.text()).not.toContain('\r');
    const lines = out.text().trimEnd().split('\n');
    expect(lines.length).toBe(2);
    lines.forEach((line, e) => {
      expect(line).toMatch(new RegExp(`^float Epoch ${e + 1}/2 4/4 - \\S+s - loss: \\d+\\.\\d{4} - acc: .* - val_loss: `));
    });
    expect(out.calls.length).toBe(2);

    const more = capture();
    await fitWith(tinyModel(), [new ProgressBar({write: more.write, intermediateLines: 1})]);
    const moreLines = more.text().trimEnd().split('\n');
    expect(moreLines.map((l) => l.split(' - ')[0])).toEqual(
        ['Epoch 1/2 2/4', 'Epoch 1/2 4/4', 'Epoch 2/2 2/4', 'Epoch 2/2 4/4']);
    expect(moreLines[0]).toMatch(/ - ETA \S+ - loss: /);
  });

  it('leaks no tensors and leaves fit() logs intact for History', async () => {
    const model = tinyModel();
    await fitWith(model, []);  // optimizer slots are created on the first fit
    const before = tf.memory().numTensors;
    const out = capture();
    const history = await fitWith(model, [new ProgressBar({write: out.write, tty: true, throttleMs: 0}),
      new ProgressBar({write: out.write})]);
    expect(tf.memory().numTensors).toBe(before);
    expect(history.history['loss']).toHaveLength(2);
    expect(typeof history.history['val_acc'][1]).toBe('number');
  });

  it('rejects bad options naming the argument', () => {
    expect(() => new ProgressBar({width: 0})).toThrow(/ProgressBar: width must be an integer >= 1; received 0/);
    expect(() => new ProgressBar({width: 2.5})).toThrow(/ProgressBar: width must be an integer/);
    expect(() => new ProgressBar({tty: 'yes' as unknown as boolean})).toThrow(/ProgressBar: tty must be a boolean/);
    expect(() => new ProgressBar({write: 'stdout' as unknown as () => void}))
        .toThrow(/ProgressBar: write must be a function/);
    expect(() => new ProgressBar({label: 3 as unknown as string})).toThrow(/ProgressBar: label must be a string/);
    expect(() => new ProgressBar({throttleMs: -1})).toThrow(/ProgressBar: throttleMs must be a number >= 0; received number -1/);
    expect(() => new ProgressBar({intermediateLines: -1})).toThrow(/ProgressBar: intermediateLines must be an integer >= 0/);
    expect(() => progressLogger({width: -3})).toThrow(/progressLogger: width must be an integer >= 1; received -3/);
    expect(() => progressLogger({intervalMs: 0})).toThrow(/progressLogger: intervalMs must be a number >= 1/);
    expect(() => progressLogger(5 as unknown as {})).toThrow(/progressLogger: options must be an object/);
  });
});

describe('TFLiteConverter.onProgress and progressLogger', () => {
  beforeAll(async () => {
    await tfmot.backend.init();
  });

  /** Stage names in order of first appearance. */
  const stages = (events: ProgressEvent[]) => events.map((e) => e.stage).filter((s, i, a) => a.indexOf(s) === i);

  it('reports each stage from 0 to total, and calibration per sample', async () => {
    const model = tinyModel();
    const data = samples(5);
    const events: ProgressEvent[] = [];
    const c = int8Converter(model, () => data);
    c.onProgress = (e) => void events.push({...e});
    await c.convert();
    expect(stages(events)).toEqual(['lowering', 'calibrating', 'quantizing', 'writing']);
    const calibrating = events.filter((e) => e.stage === 'calibrating');
    expect(calibrating.map((e) => e.done)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(calibrating.every((e) => e.total === 5)).toBe(true);
    for (const s of stages(events)) {
      const of = events.filter((e) => e.stage === s);
      expect(of[0].done).toBe(0);
      expect(of[of.length - 1].done).toBe(of[of.length - 1].total);
    }
    expect(events[events.length - 1]).toEqual({stage: 'writing', done: 1, total: 1});

    // A generator's count is known only at its end.
    const fromGenerator: ProgressEvent[] = [];
    const g = int8Converter(model, function* () {
      yield* data.slice(0, 3);
    });
    g.onProgress = (e) => void fromGenerator.push({...e});
    await g.convert();
    const cal = fromGenerator.filter((e) => e.stage === 'calibrating');
    expect(cal.map((e) => e.done)).toEqual([0, 1, 2, 3, 3]);
    expect(cal.slice(0, 4).every((e) => Number.isNaN(e.total))).toBe(true);
    expect(cal[4].total).toBe(3);

    const float: ProgressEvent[] = [];
    const f = tfmot.tflite.TFLiteConverter.fromLayersModel(model);
    f.onProgress = (e) => void float.push({...e});
    await f.convert();
    expect(float.map((e) => `${e.stage} ${e.done}/${e.total}`))
        .toEqual(['lowering 0/1', 'lowering 1/1', 'writing 0/1', 'writing 1/1']);
    tf.dispose(data);
  });

  it('rejects an onProgress that is not a function', async () => {
    const c = tfmot.tflite.TFLiteConverter.fromLayersModel(tinyModel());
    (c as unknown as {onProgress: unknown}).onProgress = 'log';
    await expect(c.convert()).rejects.toThrow(/onProgress must be a function.*received string "log"/);
  });

  it('progressLogger prints one line per stage without a TTY, however many samples', async () => {
    const data = samples(300);
    const out = capture();
    const c = int8Converter(tinyModel(), () => data);
    c.onProgress = progressLogger({write: out.write, label: 'int8'});
    const before = tf.memory().numTensors;
    await c.convert();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(data);
    const lines = out.text().trimEnd().split('\n');
    expect(lines.map((l) => l.split(' - ')[0])).toEqual(
        ['int8 lowering', 'int8 calibrating 300/300', 'int8 quantizing', 'int8 writing']);
    expect(out.text()).not.toContain('\r');
  });

  it('progressLogger on a TTY redraws at most every throttleMs and ends each stage with a newline', () => {
    const out = capture();
    const log = progressLogger({write: out.write, tty: true, width: 4});
    const start = performance.now();
    for (let i = 0; i <= 20_000; i++) {
      log({stage: 'quantizing', done: i, total: 20_000});
    }
    log({stage: 'writing', done: 0, total: 1});
    log({stage: 'writing', done: 1, total: 1});
    const elapsed = performance.now() - start;
    // Start and end of each stage, plus one redraw per 100 ms at most.
    expect(out.calls.length).toBeLessThanOrEqual(4 + Math.ceil(elapsed / 100));
    const lines = out.text().split('\n');
    expect(lines.length).toBe(3);
    expect(lines[0].split('\r').pop()).toMatch(/^quantizing \[====\] 20000\/20000 - \S+s *$/);
    expect(lines[1].split('\r').pop()).toMatch(/^writing \[====\] - \S+s *$/);
    expect(lines[0].split('\r')[1]).toMatch(/^quantizing \[>...\] 0\/20000 - \S+s$/);
  });
});
