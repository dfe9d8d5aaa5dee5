/**
 * TFMOT's quant_ops_test.py (python/core/quantization/keras), ported: the
 * range each update rule assigns after given batches, with TFMOT's literal
 * expectations. TFMOT tests its internal functions (quant_ops.LastValueQuantize
 * and friends); their equivalents here are the range updates inside the
 * quantizers, so the tests go through the quantizers' public API with
 * quant_ops' defaults (8 bits, per tensor, asymmetric, wide range) and, as
 * TFMOT's tests do, min and max variables that start at 0.
 */
import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {quantizerHostCheckingLeaks} from '../helpers/quantizer_host.js';

const {AllValuesQuantizer, LastValueQuantizer, MovingAverageQuantizer, fakeQuantWithMinMaxVars} =
    tfmot.quantization;
type Quantizer = tfmot.quantization.Quantizer;
type RangeQuantizerArgs = tfmot.quantization.RangeQuantizerArgs;

/** 127/128: the positive end of a symmetric 8-bit range whose negative end is -1. */
const SYMMETRIC_RANGE_RATIO = 0.9921875;

/** quant_ops' defaults. */
const QUANT_OPS_DEFAULTS: RangeQuantizerArgs = {numBits: 8, perAxis: false, symmetric: false, narrowRange: false};

const host = quantizerHostCheckingLeaks();

/**
 * Runs `quantizer` in training on each batch, its variables starting at 0
 * as in TFMOT's test, and returns the stored [min, max]. Each output must be
 * the input fake-quantized onto the range just assigned, as quant_ops returns.
 */
function minMaxAfter(quantizer: Quantizer, batches: number[][]): [number, number] {
  const vars = quantizer.build([batches[0].length], 'x', host);
  tf.tidy(() => {
    vars.min.write(tf.scalar(0));
    vars.max.write(tf.scalar(0));
  });
  for (const batch of batches) {
    tf.tidy(() => {
      const x = tf.tensor1d(batch);
      const y = quantizer.call(x, true, vars);
      const expected = fakeQuantWithMinMaxVars(x, vars.min.read(), vars.max.read(), 8,
          quantizer.getConfig()['narrowRange'] as boolean);
      expect(Array.from(y.dataSync())).toEqual(Array.from(expected.dataSync()));
    });
  }
  return [vars.min.read().dataSync()[0], vars.max.read().dataSync()[0]];
}

/** assertAlmostEqual(a, b, delta=d): |a - b| <= d. */
function expectWithin(actual: number, expected: number, delta: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(delta);
}

/** assertAlmostEqual(a, b) with its default 7 places: round(a - b, 7) == 0. */
function expectSevenPlaces(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThan(5e-8);
}

describe('quant_ops_test.py: AllValuesQuantize (through AllValuesQuantizer)', () => {
  it('testAllValuesQuantiize_TrainingAssign', () => {
    const q = new AllValuesQuantizer(QUANT_OPS_DEFAULTS);
    expect(minMaxAfter(q, [[-5, 1], [-1, 5]])).toEqual([-5, 5]);
  });

  it('testAllValuesQuantiize_SymmetricTrainingAssign', () => {
    const q = new AllValuesQuantizer({...QUANT_OPS_DEFAULTS, symmetric: true, narrowRange: false});
    expect(minMaxAfter(q, [[-SYMMETRIC_RANGE_RATIO, SYMMETRIC_RANGE_RATIO]]))
        .toEqual([-1, SYMMETRIC_RANGE_RATIO]);
  });

  it('testAllValuesQuantiize_SymmetricNarrowRangeTrainingAssign', () => {
    const q = new AllValuesQuantizer({...QUANT_OPS_DEFAULTS, symmetric: true, narrowRange: true});
    expect(minMaxAfter(q, [[-1, 0.5]])).toEqual([-1, 1]);
  });
});

describe('quant_ops_test.py: LastValueQuantize (through LastValueQuantizer)', () => {
  it('testLastValueQuantizeTrainingAssign', () => {
    const q = new LastValueQuantizer(QUANT_OPS_DEFAULTS);
    expect(minMaxAfter(q, [[-1, 1]])).toEqual([-1, 1]);
  });

  it('testLastValueSymmetricQuantizeTrainingAssign', () => {
    const q = new LastValueQuantizer({...QUANT_OPS_DEFAULTS, symmetric: true, narrowRange: false});
    expect(minMaxAfter(q, [[-SYMMETRIC_RANGE_RATIO, SYMMETRIC_RANGE_RATIO]]))
        .toEqual([-1, SYMMETRIC_RANGE_RATIO]);
  });

  it('testLastValueSymmetricQuantizeNarrowRangeTrainingAssign', () => {
    const q = new LastValueQuantizer({...QUANT_OPS_DEFAULTS, symmetric: true, narrowRange: true});
    expect(minMaxAfter(q, [[-1, 0.5]])).toEqual([-1, 1]);
  });

  it('testVariablesNotPartitioned_LastValue: runs on [1, 2], range [0, 2] (0 kept inside)', () => {
    // TFMOT only checks that the op builds; the assigned range is what its formula gives.
    const q = new LastValueQuantizer(QUANT_OPS_DEFAULTS);
    expect(minMaxAfter(q, [[1, 2]])).toEqual([0, 2]);
  });
});

describe('quant_ops_test.py: MovingAvgQuantize (through MovingAverageQuantizer, decay 0.999)', () => {
  it('testMovingAvgQuantizeTrainingAssign', () => {
    const q = new MovingAverageQuantizer(QUANT_OPS_DEFAULTS);
    const [min, max] = minMaxAfter(q, [[-1, 1], [0, 0]]);
    expectWithin(min, -0.000999, 1e-6);
    expectWithin(max, 0.000999, 1e-6);
  });

  it('testMovingAvgSymmetricQuantizeTrainingAssign', () => {
    const q = new MovingAverageQuantizer({...QUANT_OPS_DEFAULTS, symmetric: true});
    const [min, max] = minMaxAfter(q, [[-1, 0.5], [0, 0]]);
    expectWithin(min, -0.000999, 1e-6);
    expectWithin(max, 0.000999 * SYMMETRIC_RANGE_RATIO, 1e-6);
    expectSevenPlaces(max, min * -SYMMETRIC_RANGE_RATIO);
  });

  it('testMovingAvgSymmetricQuantizeNarrowRangeTrainingAssign', () => {
    const q = new MovingAverageQuantizer({...QUANT_OPS_DEFAULTS, symmetric: true, narrowRange: true});
    const [min, max] = minMaxAfter(q, [[-1, 0.5], [0, 0]]);
    expectWithin(min, -0.000999, 1e-6);
    expectWithin(max, 0.000999, 1e-6);
    expectSevenPlaces(max, -min);
  });

  it('testVariablesNotPartitioned_MovingAvg: runs on [1, 2], range [0, 0.002]', () => {
    // TFMOT only checks that the op builds; from [0, 0], one step toward [0, 2] with weight 0.001.
    const q = new MovingAverageQuantizer(QUANT_OPS_DEFAULTS);
    const [min, max] = minMaxAfter(q, [[1, 2]]);
    expect(min).toBe(0);
    expectWithin(max, 0.002, 1e-9);
  });
});
