/**
 * TFMOT's quantizers_test.py (python/core/quantization/keras), ported: each
 * quantizer built with TFMOT's arguments, called in training on TFMOT's input
 * with min/max variables at 0, and serialized to TFMOT's config (camelCase).
 * TFMOT's testQuantizer only prints its results; here they are asserted.
 * The last block shows where we deliberately differ from TFMOT.
 */
import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';

import {serializeObject} from '../../src/graph/serialization.js';
import * as tfmot from '../../src/index.js';
import {deserializeQuantizer} from '../../src/quantization/quantizers.js';
import {expectClose} from '../helpers/compare.js';
import {quantizerHostCheckingLeaks} from '../helpers/quantizer_host.js';

const {AllValuesQuantizer, FixedQuantizer, LastValueQuantizer, MovingAverageQuantizer, fakeQuantWithMinMaxVars} =
    tfmot.quantization;
type Quantizer = tfmot.quantization.Quantizer;
type QuantizerVars = tfmot.quantization.QuantizerVars;

/** TFMOT's parameters for the range quantizers, and for FixedQuantizer. */
const RANGE_PARAMS = {numBits: 8, perAxis: false, symmetric: false, narrowRange: false};
const FIXED_PARAMS = {numBits: 8, initMin: 0, initMax: 1, narrowRange: false};

/** TFMOT's input, [[-1, 0.5], [0, 1]]. */
const INPUTS = [[-1, 0.5], [0, 1]];

const host = quantizerHostCheckingLeaks();

/** Builds `q` for INPUTS with its variables set to 0 (TFMOT's test creates them at 0). */
function buildAtZero(q: Quantizer): QuantizerVars {
  const vars = q.build([2, 2], 'inputs', host);
  tf.tidy(() => Object.values(vars).forEach((v) => v.write(tf.zerosLike(v.read()))));
  return vars;
}

function callOnInputs(q: Quantizer, vars: QuantizerVars): number[] {
  return tf.tidy(() => Array.from(q.call(tf.tensor2d(INPUTS), true, vars).dataSync()));
}

/** [min, max] stored in range variables. */
function storedRange(vars: QuantizerVars): [number, number] {
  return [vars.min.read().dataSync()[0], vars.max.read().dataSync()[0]];
}

/** INPUTS fake-quantized onto the 8-bit grid of [min, max]. */
function fakeQuantOfInputs(min: number, max: number): number[] {
  return tf.tidy(() => Array.from(
      fakeQuantWithMinMaxVars(tf.tensor2d(INPUTS), tf.scalar(min), tf.scalar(max)).dataSync()));
}

describe('quantizers_test.py: testQuantizer', () => {
  it('testQuantizer (LastValueQuantizer): range [-1, 1], inputs on its grid', () => {
    const q = new LastValueQuantizer(RANGE_PARAMS);
    const vars = buildAtZero(q);
    const out = callOnInputs(q, vars);
    expect(storedRange(vars)).toEqual([-1, 1]);
    expect(out).toEqual(fakeQuantOfInputs(-1, 1));
    // 255 steps of 2/255: each value within half a step.
    expectClose(out, INPUTS.flat(), 1 / 255 + 1e-6);
  });

  it('testQuantizer (MovingAverageQuantizer): range [-0.001, 0.001] after one step from 0', () => {
    const q = new MovingAverageQuantizer(RANGE_PARAMS);
    const vars = buildAtZero(q);
    const out = callOnInputs(q, vars);
    const [min, max] = storedRange(vars);
    expectClose([min, max], [-0.001, 0.001], 1e-9);
    expect(out).toEqual(fakeQuantOfInputs(min, max));
    // Everything but 0 saturates at the (nudged) ends of the narrow range.
    expectClose(out, [-0.001, 0.001, 0, 0.001], 1e-5);
  });

  it('testQuantizer (AllValuesQuantizer): range [-1, 1], inputs on its grid', () => {
    const q = new AllValuesQuantizer(RANGE_PARAMS);
    const vars = buildAtZero(q);
    const out = callOnInputs(q, vars);
    expect(storedRange(vars)).toEqual([-1, 1]);
    expect(out).toEqual(fakeQuantOfInputs(-1, 1));
  });

  it('testQuantizer (FixedQuantizer): [0, 1] in 255 steps, no variables', () => {
    const q = new FixedQuantizer(FIXED_PARAMS);
    const vars = q.build();
    expect(vars).toEqual({});
    // -1 clamps to 0. 0.5 is a tie, 127.5 steps; TF's kernel multiplies by the
    // float32 inverse of the step, 254.99998, so it lands on 127.49999: code 127.
    expectClose(callOnInputs(q, vars), [0, 127 / 255, 0, 1], 1e-6);
  });
});

describe('quantizers_test.py: testSerialization', () => {
  it.each([
    ['LastValueQuantizer', new LastValueQuantizer(RANGE_PARAMS), RANGE_PARAMS],
    ['MovingAverageQuantizer', new MovingAverageQuantizer(RANGE_PARAMS), RANGE_PARAMS],
    ['AllValuesQuantizer', new AllValuesQuantizer(RANGE_PARAMS), RANGE_PARAMS],
    ['FixedQuantizer', new FixedQuantizer(FIXED_PARAMS), FIXED_PARAMS],
  ] as Array<[string, Quantizer, object]>)('testSerialization (%s)', (className, q, params) => {
    const serialized = serializeObject(q);
    expect(serialized).toEqual({className, config: params});
    const rebuilt = deserializeQuantizer(JSON.parse(JSON.stringify(serialized)));
    // TFMOT's __eq__: same class, same four arguments.
    expect(rebuilt).toBeInstanceOf(q.constructor);
    expect(rebuilt.getConfig()).toEqual(params);
  });
});

describe('deliberate differences from TFMOT', () => {
  it('FixedQuantizer quantizes on numBits (TFMOT records num_bits but always uses 8 bits)', () => {
    const out = (numBits: number) => tf.tidy(() => Array.from(
        new FixedQuantizer({...FIXED_PARAMS, numBits}).call(tf.tensor1d([0.55])).dataSync()));
    // 8 bits: 0.55 * 255 = 140.25 -> 140/255 (TFMOT's result for any num_bits).
    expectClose(out(8), [140 / 255], 1e-6);
    // 4 bits: 0.55 * 15 = 8.25 -> 8/15.
    expectClose(out(4), [8 / 15], 1e-6);
  });

  it('FixedQuantizer requires initMin < initMax and a numBits in [2, 8]', () => {
    // TF's fake_quant_with_min_max_args also rejects min >= max (when the op runs).
    expect(() => new FixedQuantizer({...FIXED_PARAMS, initMin: 1, initMax: 1}))
        .toThrow(/FixedQuantizer: initMin must be smaller than initMax/);
    // TFMOT accepts any num_bits, as it never uses it.
    expect(() => new FixedQuantizer({...FIXED_PARAMS, numBits: 16})).toThrow(/numBits.*\[2, 8\]/);
  });

  it('FixedQuantizer, like TF, shifts a range without 0 to start at 0', () => {
    // [0.5, 1]: the zero point clamps to code 0, so the grid is [0, 0.5] in steps of 0.5/255.
    const q = new FixedQuantizer({...FIXED_PARAMS, initMin: 0.5, initMax: 1});
    const out = tf.tidy(() => Array.from(q.call(tf.tensor1d([-1, 0.2, 0.9])).dataSync()));
    expectClose(out, [0, 0.2, 0.5], 1e-6);
  });

  it('MovingAverageQuantizer takes an optional emaDecay (TFMOT: always 0.999), saved only when not 0.999', () => {
    const q = new MovingAverageQuantizer({...RANGE_PARAMS, emaDecay: 0.5});
    expect(q.getConfig()).toEqual({...RANGE_PARAMS, emaDecay: 0.5});
    expect(new MovingAverageQuantizer(RANGE_PARAMS).getConfig()).toEqual(RANGE_PARAMS);
    const vars = buildAtZero(q);
    callOnInputs(q, vars);
    // Half way from [0, 0] to the batch range [-1, 1].
    expect(storedRange(vars)).toEqual([-0.5, 0.5]);
  });

  it('AllValuesQuantizer with perAxis keeps one range per channel (TFMOT: one range, per tensor)', () => {
    const q = new AllValuesQuantizer({...RANGE_PARAMS, perAxis: true});
    const vars = q.build([2, 2], 'inputs', host);
    expect(vars.min.shape).toEqual([2]);
    tf.tidy(() => {
      q.call(tf.tensor2d([[-1, 2], [3, -4]]), true, vars);
    });
    expect(Array.from(vars.min.read().dataSync())).toEqual([-1, -4]);
    expect(Array.from(vars.max.read().dataSync())).toEqual([3, 2]);
  });
});
