/**
 * The quantizers' range bookkeeping against TFMOT's formulas, worked out by
 * hand: moving average, last value, running min/max and a fixed range.
 */
import * as tf from '@tensorflow/tfjs-core';
import {afterEach, beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {expectClose} from '../helpers/compare.js';
import {testQuantizerHost} from '../helpers/quantizer_host.js';

const {AllValuesQuantizer, FixedQuantizer, LastValueQuantizer, MovingAverageQuantizer} =
    tfmot.quantization;
type Quantizer = tfmot.quantization.Quantizer;
type QuantizerVars = tfmot.quantization.QuantizerVars;

const {host, disposeAll} = testQuantizerHost();

afterEach(() => {
  disposeAll();
});

beforeAll(async () => {
  await tfmot.backend.init();
});

function range(vars: QuantizerVars): {min: number[], max: number[]} {
  return {
    min: Array.from(vars.min.read().dataSync()),
    max: Array.from(vars.max.read().dataSync()),
  };
}

/** Runs the quantizer on `values` (shape `shape`) and returns the output. */
function run(q: Quantizer, vars: QuantizerVars, values: number[], training: boolean,
    shape = [values.length]): number[] {
  return tf.tidy(() => Array.from(q.call(tf.tensor(values, shape), training, vars).dataSync()));
}

/** Agreement to 6 (5) decimals, the float32 results against the formulas in float64. */
const DIGITS_6 = 5e-7;
const DIGITS_5 = 5e-6;

const asymmetric = {numBits: 8, perAxis: false, symmetric: false, narrowRange: false};
const symmetricNarrow = {numBits: 8, perAxis: false, symmetric: true, narrowRange: true};

describe('MovingAverageQuantizer', () => {
  it('starts at [-6, 6] and moves by v - (v - batch) * (1 - decay)', () => {
    const q = new MovingAverageQuantizer({...asymmetric, emaDecay: 0.9});
    const vars = q.build([3], 'act', host);
    expect(range(vars)).toEqual({min: [-6], max: [6]});

    run(q, vars, [-1, 2, 0.5], true);
    // min: -6 - (-6 - -1) * 0.1 = -5.5; max: 6 - (6 - 2) * 0.1 = 5.6
    let r = range(vars);
    expectClose(r.min, [-5.5], DIGITS_6);
    expectClose(r.max, [5.6], DIGITS_6);

    run(q, vars, [-3, 1, 0], true);
    // min: -5.5 - (-5.5 - -3) * 0.1 = -5.25; max: 5.6 - (5.6 - 1) * 0.1 = 5.14
    r = range(vars);
    expectClose(r.min, [-5.25], DIGITS_6);
    expectClose(r.max, [5.14], DIGITS_6);
  });

  it('moves toward a batch range widened to contain 0', () => {
    const q = new MovingAverageQuantizer({...asymmetric, emaDecay: 0.5});
    const vars = q.build([3], 'act', host);
    run(q, vars, [1, 2, 3], true);  // batch range [0, 3], not [1, 3]
    const r = range(vars);
    expectClose(r.min, [-3], DIGITS_6);
    expectClose(r.max, [4.5], DIGITS_6);
  });

  it('uses decay 0.999 by default', () => {
    const q = new MovingAverageQuantizer(asymmetric);
    expect(q.emaDecay).toBe(0.999);
    // TFMOT's config: the four arguments only.
    expect(q.getConfig()).toEqual(asymmetric);
    const vars = q.build([2], 'act', host);
    run(q, vars, [-2, 2], true);
    const r = range(vars);
    expectClose(r.min, [-6 + 4 * 0.001], DIGITS_5);
    expectClose(r.max, [6 - 4 * 0.001], DIGITS_5);
  });

  it('keeps one range per last-axis channel when perAxis', () => {
    const q = new MovingAverageQuantizer({...asymmetric, perAxis: true, emaDecay: 0.5});
    const vars = q.build([2, 3], 'act', host);
    expect(vars.min.shape).toEqual([3]);
    // channel 0: [-1, 4] -> batch [-1, 4]; channel 1: [2, 3] -> [0, 3]; channel 2: [-5, -1] -> [-5, 0]
    run(q, vars, [-1, 2, -5, 4, 3, -1], true, [2, 3]);
    const r = range(vars);
    expectClose(r.min, [-3.5, -3, -5.5], DIGITS_6);
    expectClose(r.max, [5, 4.5, 3], DIGITS_6);
  });
});

describe('LastValueQuantizer', () => {
  it('starts at [-6, 6] and takes the last batch range, 0 included', () => {
    const q = new LastValueQuantizer(asymmetric);
    const vars = q.build([2], 'w', host);
    expect(range(vars)).toEqual({min: [-6], max: [6]});
    run(q, vars, [-1, 2], true);
    expect(range(vars)).toEqual({min: [-1], max: [2]});
    run(q, vars, [0.5, 3], true);
    expect(range(vars)).toEqual({min: [0], max: [3]});
    run(q, vars, [-4, -0.5], true);
    expect(range(vars)).toEqual({min: [-4], max: [0]});
  });

  it('gives [-a, a] with a = max |x| when symmetric and narrow', () => {
    const q = new LastValueQuantizer(symmetricNarrow);
    const vars = q.build([2], 'w', host);
    run(q, vars, [-0.5, 2], true);
    expect(range(vars)).toEqual({min: [-2], max: [2]});
    run(q, vars, [-3, 1], true);
    expect(range(vars)).toEqual({min: [-3], max: [3]});
  });

  it('uses the ratio -(2^b - 2) / 2^b when symmetric but not narrow', () => {
    const q = new LastValueQuantizer({...symmetricNarrow, narrowRange: false});
    const vars = q.build([2], 'w', host);
    const ratio = -(256 - 2) / 256;
    // max dominates: min = max / ratio (slightly beyond -max).
    run(q, vars, [-0.5, 2], true);
    let r = range(vars);
    expectClose(r.min, [2 / ratio], DIGITS_6);
    expectClose(r.max, [2], DIGITS_6);
    // min dominates: max = min * ratio (slightly below |min|).
    run(q, vars, [-2, 0.5], true);
    r = range(vars);
    expectClose(r.min, [-2], DIGITS_6);
    expectClose(r.max, [-2 * ratio], DIGITS_6);

    // 4 bits: ratio -14/16.
    const q4 = new LastValueQuantizer({...symmetricNarrow, numBits: 4, narrowRange: false});
    const vars4 = q4.build([2], 'w4', host);
    run(q4, vars4, [-1, 0.25], true);
    r = range(vars4);
    expectClose(r.min, [-1], DIGITS_6);
    expectClose(r.max, [14 / 16], DIGITS_6);
  });

  it('keeps one symmetric range per last-axis channel when perAxis', () => {
    const q = new LastValueQuantizer({...symmetricNarrow, perAxis: true});
    const vars = q.build([2, 2, 3], 'kernel', host);
    expect(vars.min.shape).toEqual([3]);
    expect(vars.max.shape).toEqual([3]);
    // Channel c takes values at flat index i with i % 3 == c.
    const values = [0.1, -2, 0.5, -0.3, 1, -0.25, 0.2, 0.4, 0.75, 0.05, -1.5, 0.6];
    const out = run(q, vars, values, true, [2, 2, 3]);
    const f32 = (xs: number[]) => xs.map(Math.fround);
    expect(range(vars)).toEqual({min: f32([-0.3, -2, -0.75]), max: f32([0.3, 2, 0.75])});
    // Each channel is on its own grid: scale a_c / 127.
    out.forEach((v, i) => {
      const scale = [0.3, 2, 0.75][i % 3] / 127;
      expect(Math.abs(v - values[i])).toBeLessThanOrEqual(scale / 2 + 1e-6);
      expect(Math.abs(v / scale - Math.round(v / scale))).toBeLessThan(1e-3);
    });
  });
});

describe('AllValuesQuantizer', () => {
  it('starts at [0, 0] and keeps the running min and max', () => {
    const q = new AllValuesQuantizer(asymmetric);
    const vars = q.build([2], 'in', host);
    expect(range(vars)).toEqual({min: [0], max: [0]});
    run(q, vars, [0.25, 2], true);
    expect(range(vars)).toEqual({min: [0], max: [2]});
    run(q, vars, [-1, 1], true);
    expect(range(vars)).toEqual({min: [-1], max: [2]});
    run(q, vars, [-0.5, 3], true);
    expect(range(vars)).toEqual({min: [-1], max: [3]});
  });
});

describe('inference', () => {
  it('does not change any range and quantizes onto the stored one', () => {
    const quantizers: Quantizer[] = [
      new MovingAverageQuantizer({...asymmetric, emaDecay: 0.5}),
      new LastValueQuantizer(symmetricNarrow),
      new AllValuesQuantizer(asymmetric),
    ];
    for (const q of quantizers) {
      const vars = q.build([4], 'x', host);
      run(q, vars, [-1, 0, 0.5, 2.55], true);
      const before = range(vars);
      const out = run(q, vars, [-20, -0.3, 0.7, 50], false);
      expect(range(vars)).toEqual(before);
      // Saturates at the stored (nudged) range, not at this input's range.
      expect(out[0]).toBeCloseTo(before.min[0], 1);
      expect(out[3]).toBeCloseTo(before.max[0], 1);
      const expected = tf.tidy(() => Array.from(tfmot.quantization.fakeQuantWithMinMaxVars(
          tf.tensor1d([-20, -0.3, 0.7, 50]), tf.scalar(before.min[0]), tf.scalar(before.max[0]),
          8, (q.getConfig()['narrowRange'] as boolean)).dataSync()));
      expect(out).toEqual(expected);
    }
  });

  it('leaves the initial range in place before any training batch', () => {
    const q = new MovingAverageQuantizer(asymmetric);
    const vars = q.build([3], 'x', host);
    const out = run(q, vars, [-7, 1, 7], false);
    expect(range(vars)).toEqual({min: [-6], max: [6]});
    const scale = 12 / 255;
    expect(out[0]).toBeCloseTo(-128 * scale, 5);   // nudged min: zero point 128
    expect(out[2]).toBeCloseTo(127 * scale, 5);
  });
});

describe('FixedQuantizer', () => {
  it('snaps onto a constant grid, training or not, with no variables', () => {
    const q = new FixedQuantizer({numBits: 8, initMin: 0, initMax: 255 / 256, narrowRange: false});
    expect(q.build()).toEqual({});
    const values = [-1, 0.5, 0.0019, 0.0021, 0.7, 2];
    const expected = [0, 0.5, 0, 1 / 256, Math.round(0.7 * 256) / 256, 255 / 256];
    for (const training of [true, false]) {
      const out = tf.tidy(() =>
          Array.from((q as Quantizer).call(tf.tensor1d(values), training, {}).dataSync()));
      expectClose(out, expected, DIGITS_6);
    }
  });

  const fixedArgs = {numBits: 8, initMin: -1, initMax: 1, narrowRange: false};

  it('rejects initMin >= initMax, as TF does', () => {
    expect(() => new FixedQuantizer({...fixedArgs, initMin: 1, initMax: -1}))
        .toThrow(/initMin must be smaller than initMax; received \[1, -1\]/);
    expect(() => new FixedQuantizer({...fixedArgs, initMin: 0.5, initMax: 0.5})).toThrow(tfmot.ValueError);
  });

  it('names the argument at fault, missing ones included', () => {
    expect(() => new FixedQuantizer({...fixedArgs, numBits: 9})).toThrow(/numBits.*\[2, 8\].*9/);
    expect(() => new FixedQuantizer({...fixedArgs, numBits: undefined as unknown as number}))
        .toThrow(/numBits.*undefined/);
    expect(() => new FixedQuantizer({...fixedArgs, initMin: NaN})).toThrow(/initMin.*finite.*NaN/);
    expect(() => new FixedQuantizer({...fixedArgs, initMax: '1' as unknown as number}))
        .toThrow(/initMax.*finite.*"1"/);
    expect(() => new FixedQuantizer({...fixedArgs, narrowRange: undefined as unknown as boolean}))
        .toThrow(/narrowRange.*boolean/);
    expect(() => new FixedQuantizer(undefined as never)).toThrow(/FixedQuantizer expects \{numBits/);
  });

  it('gives the same result on a large tensor (backend path) as on a small one (JS path)', () => {
    const q = new FixedQuantizer({numBits: 8, initMin: -0.7, initMax: 1.3, narrowRange: false});
    // Values around every code, ties included (the JS path stops at 4096 elements).
    const values = Array.from({length: 6000}, (_, i) => -1 + i * (2.6 / 5999));
    const run = (xs: number[]) => tf.tidy(() => Array.from(q.call(tf.tensor1d(xs)).dataSync()));
    expect(run(values)).toEqual([...run(values.slice(0, 3000)), ...run(values.slice(3000))]);
  });

  it('rounds as fake_quant_with_min_max_args: times the float32 inverse of the step', () => {
    const q = new FixedQuantizer({numBits: 8, initMin: 0, initMax: 1, narrowRange: false});
    // 1.5 steps of 1/255: x * 254.99998 rounds to code 1, x / (1/255) (min_max_vars) to code 2.
    const x = Math.fround(1.5 / 255);
    const out = (op: () => tf.Tensor) => tf.tidy(() => op().dataSync()[0]);
    expect(out(() => q.call(tf.tensor1d([x])))).toBe(Math.fround(1 / 255));
    expect(out(() => tfmot.quantization.fakeQuantWithMinMaxVars(tf.tensor1d([x]), tf.scalar(0), tf.scalar(1))))
        .toBe(Math.fround(2 * Math.fround(1 / 255)));
  });

  it('quantizes on numBits and drops the lowest code when narrowRange', () => {
    const out = (q: Quantizer) =>
        tf.tidy(() => Array.from(q.call(tf.tensor1d([-3, -0.2, 0.3, 1.1, 9]), false, {}).dataSync()));
    // 3 bits, 8 codes: [-1, 2.5] in steps of 0.5. Narrow, 7 codes: [-1, 2] in steps of 0.5.
    const wide = new FixedQuantizer({numBits: 3, initMin: -1, initMax: 2.5, narrowRange: false});
    const narrow = new FixedQuantizer({numBits: 3, initMin: -1, initMax: 2, narrowRange: true});
    expect(out(wide)).toEqual([-1, 0, 0.5, 1, 2.5]);
    expect(out(narrow)).toEqual([-1, 0, 0.5, 1, 2]);
  });
});

describe('constructor validation', () => {
  const classes = [LastValueQuantizer, MovingAverageQuantizer, AllValuesQuantizer];

  it.each(classes.map((c) => [c.className, c] as const))(
      '%s names the argument at fault', (name, cls) => {
        expect(() => new cls({...asymmetric, numBits: 9})).toThrow(/numBits.*9/);
        expect(() => new cls({...asymmetric, numBits: 1})).toThrow(/numBits.*1/);
        expect(() => new cls({...asymmetric, numBits: 7.5})).toThrow(/numBits/);
        expect(() => new cls({...asymmetric, perAxis: 'yes' as unknown as boolean}))
            .toThrow(/perAxis.*yes/);
        expect(() => new cls({...asymmetric, symmetric: 1 as unknown as boolean}))
            .toThrow(/symmetric/);
        expect(() => new cls({...asymmetric, narrowRange: undefined as unknown as boolean}))
            .toThrow(/narrowRange/);
        expect(() => new cls({...asymmetric, numBits: 9})).toThrow(new RegExp(name));
        expect(() => new cls({...asymmetric, numBits: 9})).toThrow(tfmot.ValueError);
      });

  it('MovingAverageQuantizer rejects emaDecay outside [0, 1)', () => {
    expect(() => new MovingAverageQuantizer({...asymmetric, emaDecay: 1})).toThrow(/emaDecay.*1/);
    expect(() => new MovingAverageQuantizer({...asymmetric, emaDecay: -0.1})).toThrow(/emaDecay/);
    expect(() => new MovingAverageQuantizer({...asymmetric, emaDecay: NaN})).toThrow(/emaDecay/);
  });
});

describe('getConfig / fromConfig', () => {
  const map = () => tf.serialization.SerializationMap.getMap().classNameMap;

  it.each([
    new LastValueQuantizer({numBits: 4, perAxis: true, symmetric: true, narrowRange: false}),
    new MovingAverageQuantizer({numBits: 6, perAxis: false, symmetric: false, narrowRange: true,
      emaDecay: 0.75}),
    new AllValuesQuantizer({numBits: 8, perAxis: true, symmetric: false, narrowRange: false}),
    new FixedQuantizer({numBits: 7, initMin: -1, initMax: 127 / 128, narrowRange: true}),
  ])('round-trips $constructor.className without touching the config', (q) => {
    const config = q.getConfig();
    const copy = JSON.parse(JSON.stringify(config));
    const entry = map()[q.getClassName()];
    expect(entry).toBeDefined();
    const [cls, fromConfig] = entry;
    const rebuilt = fromConfig(cls, config) as Quantizer;
    expect(rebuilt).toBeInstanceOf(q.constructor);
    expect(rebuilt.getConfig()).toEqual(config);
    expect(config).toEqual(copy);
  });

  it('lists every constructor argument', () => {
    expect(new MovingAverageQuantizer({...asymmetric, emaDecay: 0.5}).getConfig())
        .toEqual({...asymmetric, emaDecay: 0.5});
    expect(new LastValueQuantizer(symmetricNarrow).getConfig()).toEqual(symmetricNarrow);
    expect(new FixedQuantizer({numBits: 8, initMin: 0, initMax: 1, narrowRange: false}).getConfig())
        .toEqual({numBits: 8, initMin: 0, initMax: 1, narrowRange: false});
  });

  it('a rebuilt quantizer updates ranges the same way', () => {
    const q = new MovingAverageQuantizer({...asymmetric, emaDecay: 0.8});
    const [cls, fromConfig] = map()['MovingAverageQuantizer'];
    const rebuilt = fromConfig(cls, q.getConfig()) as Quantizer;
    const a = q.build([2], 'a', host);
    const b = rebuilt.build([2], 'b', host);
    run(q, a, [-1, 3], true);
    run(rebuilt, b, [-1, 3], true);
    expect(range(b)).toEqual(range(a));
    expectClose(range(a).max, [6 - 3 * 0.2], DIGITS_6);
  });
});
