/**
 * TFMOT's sparsity/keras/pruning_schedule_test.py, ported: the same
 * arguments and expected values, against ConstantSparsity and
 * PolynomialDecay. The last block shows where we deliberately differ.
 */
import {describe, expect, it} from 'vitest';

import {ConstantSparsity, deserializeSchedule, PolynomialDecay, PruningSchedule,
  serializeSchedule} from '../../schedules/index.js';
import {ValueError} from '../../src/errors.js';

type Kind = 'ConstantSparsity'|'PolynomialDecay';
const KINDS: Kind[] = ['ConstantSparsity', 'PolynomialDecay'];

/** TFMOT's helper: sparsities fixed, only the steps and frequency vary. */
function construct(kind: Kind, beginStep: number, endStep: number, frequency = 10): PruningSchedule {
  return kind === 'ConstantSparsity' ?
    new ConstantSparsity({targetSparsity: 0.5, beginStep, endStep, frequency}) :
    new PolynomialDecay({initialSparsity: 0.2, finalSparsity: 0.8, beginStep, endStep, power: 3, frequency});
}

describe('PruningScheduleTest (pruning_schedule_test.py)', () => {
  describe.each(KINDS)('%s', (kind) => {
    it('testBeginStepGreaterThanEqualsZero', () => {
      expect(() => construct(kind, -1, 1000)).toThrow(ValueError);
      expect(() => construct(kind, -5, 1000)).toThrow(ValueError);
      for (const begin of [0, 1, 100]) {
        expect(() => construct(kind, begin, 1000)).not.toThrow();
      }
    });

    it('testEndStepGreaterThanEqualsZero', () => {
      expect(() => construct(kind, 10, -5)).toThrow(ValueError);
      for (const end of [0, 1, 100]) {
        expect(() => construct(kind, 0, end)).not.toThrow();
      }
    });

    it('testEndStepGreaterThanEqualsBeginStep', () => {
      expect(() => construct(kind, 10, 5)).toThrow(ValueError);
      expect(() => construct(kind, 10, 10)).not.toThrow();
      expect(() => construct(kind, 10, 20)).not.toThrow();
    });

    it('testFrequencyIsPositive', () => {
      for (const frequency of [0, -1, -5]) {
        expect(() => construct(kind, 10, 1000, frequency)).toThrow(ValueError);
      }
      expect(() => construct(kind, 10, 1000, 1)).not.toThrow();
      expect(() => construct(kind, 10, 1000, 10)).not.toThrow();
    });

    it('testSparsityValueIsValid', () => {
      const builders: Array<(s: number) => unknown> = kind === 'ConstantSparsity' ?
        [(s) => new ConstantSparsity({targetSparsity: s, beginStep: 0})] :
        [(s) => new PolynomialDecay({initialSparsity: s, finalSparsity: 0.8, beginStep: 0, endStep: 10}),
          (s) => new PolynomialDecay({initialSparsity: 0.2, finalSparsity: s, beginStep: 0, endStep: 10})];
      for (const build of builders) {
        for (const bad of [-0.001, -1, -10, 1, 10]) {
          expect(() => build(bad), `sparsity ${bad}`).toThrow(ValueError);
        }
        for (const good of [0, 0.001, 0.5, 0.99]) {
          expect(() => build(good), `sparsity ${good}`).not.toThrow();
        }
      }
    });

    it('testPrunesOnlyInBeginEndStepRange', () => {
      const schedule = construct(kind, 100, 200, 1);
      for (const step of [90, 99, 201, 210]) {
        expect(schedule.call(step).shouldPrune, `step ${step}`).toBe(false);
      }
      for (const step of [100, 110, 200]) {
        expect(schedule.call(step).shouldPrune, `step ${step}`).toBe(true);
      }
    });

    it('testOnlyPrunesAtValidFrequencySteps', () => {
      const schedule = construct(kind, 100, 200, 10);
      expect(schedule.call(109).shouldPrune).toBe(false);
      expect(schedule.call(111).shouldPrune).toBe(false);
      expect(schedule.call(100).shouldPrune).toBe(true);
      expect(schedule.call(110).shouldPrune).toBe(true);
    });
  });
});

describe('ConstantSparsityTest (pruning_schedule_test.py)', () => {
  it('testPrunesForeverIfEndStepIsNegativeOne', () => {
    const schedule = new ConstantSparsity({targetSparsity: 0.5, beginStep: 0, endStep: -1, frequency: 10});
    for (const step of [10000, 100000000]) {
      expect(schedule.call(step)).toEqual({shouldPrune: true, sparsity: 0.5});
    }
  });

  it('testPrunesWithConstantSparsity', () => {
    const schedule = new ConstantSparsity({targetSparsity: 0.5, beginStep: 100, endStep: 200, frequency: 10});
    for (const step of [100, 110, 200]) {
      expect(schedule.call(step).sparsity).toBeCloseTo(0.5, 6);
    }
  });

  it('testSerializeDeserialize', () => {
    const schedule = new ConstantSparsity({targetSparsity: 0.7, beginStep: 10, endStep: 20, frequency: 10});
    const restored = deserializeSchedule(serializeSchedule(schedule));
    expect(restored).toBeInstanceOf(ConstantSparsity);
    expect({...restored}).toEqual({...schedule});
  });
});

describe('PolynomialDecayTest (pruning_schedule_test.py)', () => {
  it('testRaisesErrorIfEndStepIsNegative', () => {
    expect(() => new PolynomialDecay({initialSparsity: 0.4, finalSparsity: 0.8, beginStep: 10, endStep: -1}))
        .toThrow(ValueError);
  });

  it('testPolynomialDecay_PrunesCorrectly', () => {
    const schedule = new PolynomialDecay(
        {initialSparsity: 0.2, finalSparsity: 0.8, beginStep: 100, endStep: 110, power: 3, frequency: 2});
    const expected: Array<[number, number]> = [[100, 0.2], [102, 0.4928], [105, 0.725], [110, 0.8]];
    for (const [step, sparsity] of expected) {
      expect(schedule.call(step).sparsity, `step ${step}`).toBeCloseTo(sparsity, 6);
    }
  });

  it('testSerializeDeserialize', () => {
    const schedule = new PolynomialDecay(
        {initialSparsity: 0.2, finalSparsity: 0.6, beginStep: 10, endStep: 20, power: 5, frequency: 10});
    const restored = deserializeSchedule(serializeSchedule(schedule));
    expect(restored).toBeInstanceOf(PolynomialDecay);
    expect({...restored}).toEqual({...schedule});
  });
});

describe('deliberate differences from pruning_schedule.py', () => {
  it('PolynomialDecay with endStep == beginStep: one pruning step, to finalSparsity (TFMOT: 0 / 0, NaN)', () => {
    const schedule = new PolynomialDecay(
        {initialSparsity: 0.2, finalSparsity: 0.8, beginStep: 10, endStep: 10, frequency: 1});
    expect(schedule.call(9).shouldPrune).toBe(false);
    expect(schedule.call(9).sparsity).toBeCloseTo(0.2, 12);
    expect(schedule.call(10)).toEqual({shouldPrune: true, sparsity: 0.8});
    expect(schedule.call(11)).toEqual({shouldPrune: false, sparsity: 0.8});
  });

  it('PolynomialDecay power must be a finite number >= 0 (TFMOT takes any; < 0 leaves [0, 1))', () => {
    const args = {initialSparsity: 0.2, finalSparsity: 0.8, beginStep: 0, endStep: 10};
    expect(() => new PolynomialDecay({...args, power: -1})).toThrow(/power must be a finite number >= 0/);
    expect(new PolynomialDecay({...args, power: 0}).call(5).sparsity).toBeCloseTo(0.2, 12);
  });

  it('steps and frequency must be integers (TFMOT only compares them with 0)', () => {
    expect(() => new ConstantSparsity({targetSparsity: 0.5, beginStep: 0, frequency: 2.5}))
        .toThrow(/frequency must be an integer >= 1; received 2\.5/);
    expect(() => new ConstantSparsity({targetSparsity: 0.5, beginStep: 1.5}))
        .toThrow(/beginStep must be an integer >= 0; received 1\.5/);
  });
});
