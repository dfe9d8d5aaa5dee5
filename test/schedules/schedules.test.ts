/**
 * Pruning schedules against TFMOT's formulas (pruning_schedule.py), values
 * worked out by hand, argument validation and config round trips.
 */
import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';

import {ValueError} from '../../src/errors.js';
import {ConstantSparsity, deserializeSchedule, PolynomialDecay, PruningSchedule,
  serializeSchedule, shouldPruneInStep} from '../../schedules/index.js';
import type {PruningDecision} from '../../schedules/index.js';

/** TFMOT's `_should_prune_in_step`, written out again for comparison. */
function tfmotShouldPrune(step: number, begin: number, end: number, frequency: number): boolean {
  const inRange = step >= begin && (step <= end || end < 0);
  const floorMod = ((step - begin) % frequency + frequency) % frequency;
  return inRange && floorMod === 0;
}

/** TFMOT's PolynomialDecay sparsity. */
function tfmotPolynomial(step: number, initial: number, final: number, begin: number, end: number,
    power: number): number {
  const p = Math.min(1, Math.max(0, (step - begin) / (end - begin)));
  return final + (initial - final) * Math.pow(1 - p, power);
}

const STEPS = [0, 1, 2, 49, 50, 99, 100, 101, 150, 199, 200, 250, 300, 333, 399, 400, 500, 550,
  600, 601, 650, 700, 999, 1000, 1001, 1100, 1200, 5000, 1_000_000];

describe('ConstantSparsity', () => {
  it('prunes every `frequency` steps in [begin, end] at the target sparsity', () => {
    const s = new ConstantSparsity({targetSparsity: 0.6, beginStep: 100, endStep: 600,
      frequency: 50});
    for (const step of STEPS) {
      expect(s.call(step)).toEqual(
          {shouldPrune: tfmotShouldPrune(step, 100, 600, 50), sparsity: 0.6});
    }
    expect(s.call(100).shouldPrune).toBe(true);   // begin
    expect(s.call(600).shouldPrune).toBe(true);   // end
    expect(s.call(350).shouldPrune).toBe(true);   // between, on frequency
    expect(s.call(375).shouldPrune).toBe(false);  // between, off frequency
    expect(s.call(50).shouldPrune).toBe(false);   // before begin
    expect(s.call(650).shouldPrune).toBe(false);  // after end, on the frequency grid
  });

  it('has TFMOT defaults: endStep -1 (prune forever) and frequency 100', () => {
    const s = new ConstantSparsity({targetSparsity: 0.5, beginStep: 0});
    expect(s.getConfig()).toEqual(
        {targetSparsity: 0.5, beginStep: 0, endStep: -1, frequency: 100});
    expect(s.call(0)).toEqual({shouldPrune: true, sparsity: 0.5});
    expect(s.call(50)).toEqual({shouldPrune: false, sparsity: 0.5});
    expect(s.call(10_000_000)).toEqual({shouldPrune: true, sparsity: 0.5});
    expect(s.call(10_000_001).shouldPrune).toBe(false);
  });

  it('prunes only at beginStep when endStep == beginStep', () => {
    const s = new ConstantSparsity({targetSparsity: 0.25, beginStep: 7, endStep: 7, frequency: 3});
    const pruned = [...Array(40).keys()].filter((step) => s.call(step).shouldPrune);
    expect(pruned).toEqual([7]);
  });

  it('accepts targetSparsity 0', () => {
    expect(new ConstantSparsity({targetSparsity: 0, beginStep: 0}).call(0).sparsity).toBe(0);
  });
});

describe('PolynomialDecay', () => {
  it('matches hand-computed values for 0.5 -> 0.8 over steps 0..1000, power 3', () => {
    const s = new PolynomialDecay(
        {initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 0, endStep: 1000});
    // 0.8 + (0.5 - 0.8) * (1 - p)^3
    expect(s.call(0)).toEqual({shouldPrune: true, sparsity: 0.5});
    expect(s.call(250).sparsity).toBeCloseTo(0.8 - 0.3 * 0.421875, 12);  // 0.6734375
    expect(s.call(500)).toEqual({shouldPrune: true, sparsity: expect.closeTo(0.7625, 12)});
    expect(s.call(750).sparsity).toBeCloseTo(0.8 - 0.3 * 0.015625, 12);  // 0.7953125
    expect(s.call(1000)).toEqual({shouldPrune: true, sparsity: 0.8});
    expect(s.call(550)).toEqual({shouldPrune: false, sparsity: expect.closeTo(0.8 - 0.3 * 0.091125, 12)});
    expect(s.call(1100)).toEqual({shouldPrune: false, sparsity: 0.8});  // after end
    expect(s.call(5000)).toEqual({shouldPrune: false, sparsity: 0.8});
  });

  it('follows TFMOT\'s formula before, at, between and after begin and end', () => {
    const cases = [
      {initialSparsity: 0.1, finalSparsity: 0.9, beginStep: 100, endStep: 600, power: 3,
        frequency: 50},
      {initialSparsity: 0, finalSparsity: 0.5, beginStep: 0, endStep: 1000, power: 1,
        frequency: 100},
      {initialSparsity: 0.2, finalSparsity: 0.75, beginStep: 1, endStep: 700, power: 2.5,
        frequency: 33},
      // Decreasing sparsity is allowed, as in TFMOT.
      {initialSparsity: 0.8, finalSparsity: 0.3, beginStep: 200, endStep: 1200, power: 2,
        frequency: 1},
    ];
    for (const c of cases) {
      const s = new PolynomialDecay(c);
      for (const step of STEPS) {
        const got = s.call(step);
        expect(got.shouldPrune).toBe(tfmotShouldPrune(step, c.beginStep, c.endStep, c.frequency));
        expect(got.sparsity).toBeCloseTo(tfmotPolynomial(step, c.initialSparsity,
            c.finalSparsity, c.beginStep, c.endStep, c.power), 12);
      }
    }
  });

  it('holds initialSparsity before beginStep without pruning', () => {
    const s = new PolynomialDecay(
        {initialSparsity: 0.3, finalSparsity: 0.7, beginStep: 500, endStep: 900, frequency: 100});
    expect(s.call(0)).toEqual({shouldPrune: false, sparsity: 0.3});
    expect(s.call(400)).toEqual({shouldPrune: false, sparsity: 0.3});
    expect(s.call(500)).toEqual({shouldPrune: true, sparsity: 0.3});
    // 900 - 500 = 400 is a multiple of 100, so the final sparsity is pruned to at 900.
    expect(s.call(900)).toEqual({shouldPrune: true, sparsity: 0.7});
    expect(s.call(1000)).toEqual({shouldPrune: false, sparsity: 0.7});
  });

  it('has TFMOT defaults: power 3 and frequency 100', () => {
    const s = new PolynomialDecay(
        {initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 0, endStep: 1000});
    expect(s.getConfig()).toEqual({initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 0,
      endStep: 1000, power: 3, frequency: 100});
  });
});

describe('shouldPruneInStep', () => {
  it('is TFMOT\'s _should_prune_in_step', () => {
    for (const [begin, end, freq] of [[0, -1, 1], [0, -1, 100], [10, 10, 5], [3, 500, 7],
      [100, 600, 50]]) {
      for (let step = 0; step < 1200; step++) {
        expect(shouldPruneInStep(step, begin, end, freq)).toBe(
            tfmotShouldPrune(step, begin, end, freq));
      }
    }
  });
});

/** Expects `fn` to throw a ValueError whose message matches every pattern. */
function expectValueError(fn: () => unknown, ...patterns: RegExp[]): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ValueError);
  for (const pattern of patterns) {
    expect((error as Error).message).toMatch(pattern);
  }
}

describe('validation', () => {
  const constant = {targetSparsity: 0.5, beginStep: 10, endStep: 100, frequency: 10};
  const poly = {initialSparsity: 0.2, finalSparsity: 0.8, beginStep: 10, endStep: 100, power: 3,
    frequency: 10};

  const constantCases: Array<[string, unknown, RegExp[]]> = [
    ['beginStep', -1, [/integer >= 0/, /received -1\./]],
    ['beginStep', 1.5, [/integer >= 0/, /received 1\.5\./]],
    ['beginStep', '10', [/integer >= 0/, /received "10"\./]],
    ['beginStep', undefined, [/received undefined\./]],
    ['beginStep', NaN, [/received NaN\./]],
    ['endStep', 9, [/-1 \(no end\) or an integer >= beginStep \(10\)/, /received 9\./]],
    ['endStep', -2, [/received -2\./]],
    ['endStep', 50.5, [/received 50\.5\./]],
    ['endStep', null, [/received null\./]],
    ['frequency', 0, [/integer >= 1/, /received 0\./]],
    ['frequency', -100, [/received -100\./]],
    ['frequency', 2.5, [/received 2\.5\./]],
    ['frequency', Infinity, [/received Infinity\./]],
    ['frequency', null, [/received null\./]],
    ['targetSparsity', 1, [/\[0, 1\)/, /received 1\./]],
    ['targetSparsity', -0.1, [/\[0, 1\)/, /received -0\.1\./]],
    ['targetSparsity', NaN, [/received NaN\./]],
    ['targetSparsity', '0.5', [/received "0\.5"\./]],
    ['targetSparsity', undefined, [/received undefined\./]],
  ];
  it.each(constantCases)('ConstantSparsity rejects %s = %s', (arg, value, patterns) => {
    const args = {...constant, [arg]: value};
    expectValueError(() => new ConstantSparsity(args as never),
        /^ConstantSparsity: /, new RegExp(`\\b${arg} must be`), ...patterns);
  });

  const polyCases: Array<[string, unknown, RegExp[]]> = [
    ['beginStep', -5, [/integer >= 0/, /received -5\./]],
    ['beginStep', 0.5, [/received 0\.5\./]],
    ['endStep', -1, [/integer >= beginStep \(10\)/, /-1.*not allowed/, /received -1\./]],
    ['endStep', 9, [/integer >= beginStep \(10\)/, /received 9\./]],
    ['endStep', 5, [/received 5\./]],
    ['endStep', 100.5, [/received 100\.5\./]],
    ['endStep', undefined, [/received undefined\./]],
    ['frequency', 0, [/integer >= 1/, /received 0\./]],
    ['frequency', 1.1, [/received 1\.1\./]],
    ['initialSparsity', 1, [/\[0, 1\)/, /received 1\./]],
    ['initialSparsity', -0.5, [/received -0\.5\./]],
    ['initialSparsity', undefined, [/received undefined\./]],
    ['finalSparsity', 1.2, [/\[0, 1\)/, /received 1\.2\./]],
    ['finalSparsity', NaN, [/received NaN\./]],
    ['power', -1, [/finite number >= 0/, /received -1\./]],
    ['power', NaN, [/received NaN\./]],
    ['power', Infinity, [/received Infinity\./]],
    ['power', '3', [/received "3"\./]],
    ['power', null, [/received null\./]],
  ];
  it.each(polyCases)('PolynomialDecay rejects %s = %s', (arg, value, patterns) => {
    const args = {...poly, [arg]: value};
    expectValueError(() => new PolynomialDecay(args as never),
        /^PolynomialDecay: /, new RegExp(`\\b${arg} must be`), ...patterns);
  });

  it('rejects PolynomialDecay without endStep (it has no default)', () => {
    const {endStep: _unused, ...rest} = poly;
    expectValueError(() => new PolynomialDecay(rest as never), /endStep must be/,
        /received undefined/);
  });

  it('rejects a misspelt or unknown argument instead of using the default', () => {
    expectValueError(() => new ConstantSparsity({...constant, endstep: 5} as never),
        /unknown option 'endstep' \(did you mean endStep\?\)/, /targetSparsity, beginStep, endStep, frequency/);
    expectValueError(() => new PolynomialDecay({...poly, exponent: 2} as never),
        /unknown option 'exponent'/, /power/);
  });

  it('rejects a missing or non-object argument', () => {
    expectValueError(() => new ConstantSparsity(undefined as never),
        /ConstantSparsity: expects an object/, /received undefined/);
    expectValueError(() => new PolynomialDecay([0.1, 0.5, 0, 100] as never),
        /PolynomialDecay: expects an object/, /received Array/);
  });

  it('rejects a step that is not an integer >= 0', () => {
    const c = new ConstantSparsity({targetSparsity: 0.5, beginStep: 0});
    const p = new PolynomialDecay(poly);
    for (const step of [-1, 0.5, NaN, Infinity, '3']) {
      expectValueError(() => c.call(step as number), /^ConstantSparsity\.call: step must be an integer >= 0/);
      expectValueError(() => p.call(step as number), /^PolynomialDecay\.call: step must be an integer >= 0/);
    }
  });
});

/** Deep-freezes a plain object, so any write to it throws in strict mode. */
function deepFreeze<T>(obj: T): T {
  if (obj != null && typeof obj === 'object') {
    Object.values(obj).forEach(deepFreeze);
    Object.freeze(obj);
  }
  return obj;
}

function decisions(schedule: PruningSchedule): PruningDecision[] {
  const out: PruningDecision[] = [];
  for (let step = 0; step <= 3000; step += 7) {
    out.push(schedule.call(step));
  }
  return out;
}

describe('serialization', () => {
  const schedules: PruningSchedule[] = [
    new ConstantSparsity({targetSparsity: 0.5, beginStep: 0}),
    new ConstantSparsity({targetSparsity: 0.35, beginStep: 14, endStep: 2100, frequency: 7}),
    new PolynomialDecay({initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 0, endStep: 1000}),
    new PolynomialDecay({initialSparsity: 0.1, finalSparsity: 0.95, beginStep: 21, endStep: 2800,
      power: 1.5, frequency: 7}),
  ];

  it.each(schedules.map((s) => [s.getClassName(), s] as const))(
      '%s round-trips through JSON with the same decisions', (_name, schedule) => {
        const spec = JSON.parse(JSON.stringify(serializeSchedule(schedule)));
        const copy = structuredClone(spec);
        const restored = deserializeSchedule(deepFreeze(spec));
        expect(restored).toBeInstanceOf(schedule.constructor);
        expect(restored.getConfig()).toEqual(schedule.getConfig());
        expect(decisions(restored)).toEqual(decisions(schedule));
        expect(spec).toEqual(copy);
      });

  it('puts every constructor argument in getConfig', () => {
    const args = {initialSparsity: 0.1, finalSparsity: 0.95, beginStep: 21, endStep: 2800,
      power: 1.5, frequency: 7};
    expect(new PolynomialDecay(args).getConfig()).toEqual(args);
    const constant = {targetSparsity: 0.35, beginStep: 14, endStep: 2100, frequency: 7};
    expect(new ConstantSparsity(constant).getConfig()).toEqual(constant);
  });

  it('fromConfig does not mutate its input', () => {
    const config = {initialSparsity: 0.2, finalSparsity: 0.6, beginStep: 0, endStep: 400};
    const before = structuredClone(config);
    const s = PolynomialDecay.fromConfig<PolynomialDecay>(PolynomialDecay, deepFreeze(config));
    expect(config).toEqual(before);
    expect(s.call(400).sparsity).toBe(0.6);
  });

  it('registers under the Tfmot package', () => {
    expect(serializeSchedule(schedules[0]).className).toBe('ConstantSparsity');
    const registered = tf.serialization.SerializationMap.getMap().classNameMap;
    expect(registered['ConstantSparsity'][0]).toBe(ConstantSparsity);
    expect(registered['PolynomialDecay'][0]).toBe(PolynomialDecay);
  });

  it('loads a registered custom schedule', () => {
    class EveryStep extends PruningSchedule {
      static className = 'TestEveryStepSchedule';
      readonly sparsity: number;
      constructor(args: {sparsity: number}) {
        super();
        this.sparsity = args.sparsity;
      }
      call(): PruningDecision {
        return {shouldPrune: true, sparsity: this.sparsity};
      }
      getConfig() {
        return {sparsity: this.sparsity};
      }
    }
    tf.serialization.registerClass(EveryStep, 'Test');
    const restored = deserializeSchedule(serializeSchedule(new EveryStep({sparsity: 0.4})));
    expect(restored).toBeInstanceOf(EveryStep);
    expect(restored.call(3)).toEqual({shouldPrune: true, sparsity: 0.4});
  });

  it('rejects unknown classes, classes that are not schedules, and malformed specs', () => {
    expectValueError(() => deserializeSchedule({className: 'NoSuchSchedule', config: {}}),
        /'NoSuchSchedule' is not a registered PruningSchedule/);
    class NotASchedule extends tf.serialization.Serializable {
      static className = 'TestNotASchedule';
      getConfig() {
        return {};
      }
    }
    tf.serialization.registerClass(NotASchedule, 'Test');
    expectValueError(() => deserializeSchedule({className: 'TestNotASchedule', config: {}}),
        /'TestNotASchedule' is not a registered PruningSchedule/);
    expectValueError(() => deserializeSchedule(null as never), /expects \{className/,
        /received null/);
    expectValueError(() => deserializeSchedule({config: {}}), /received className undefined/);
    // Bad values inside the config fail in the constructor, naming the argument.
    expectValueError(() => deserializeSchedule({className: 'ConstantSparsity',
      config: {targetSparsity: 1.5, beginStep: 0}}), /targetSparsity must be a number in \[0, 1\)/);
  });
});
