/**
 * The goals for the zoo's files, as assertions shared by the smoke
 * test and the e2e test.
 */
import {expect} from 'vitest';

import type {ZooRun} from './zoo_run.js';

/**
 * Largest |LiteRT - tfjs| over the output range per float-output mode: float32
 * is the goal; float16, dynamic range and 16x8 use the per-mode
 * tolerances of test/tflite/layers_export.test.ts.
 */
const WORST_OF_RANGE: Record<string, number> = {float32: 1e-4, float16: 3e-3, dynamic: 0.03, int16x8: 0.01};

/** The int8 goals: argmax agreement for classifiers, and elements within 2 output steps. */
export const INT8_ARGMAX = 0.99;
export const INT8_WITHIN_2_STEPS = 0.95;
/**
 * Post-training int8 files against their float source: test/tflite/layers_export.test.ts's int8
 * tolerance. The step goal is checked on QAT files only, whose source (the fake-quant model)
 * computes what the file computes; a post-training file also carries the weights' and activations'
 * rounding through every layer, which no conversion removes.
 */
const PTQ_WORST_OF_RANGE = 0.06;

/**
 * Checks the goals, unless the trained model itself is too sensitive for
 * them: when rounding its weights to float16 in tfjs alone moves its
 * outputs more than the float16 tolerance, no file could meet the goals
 * (MobileNetV1 0.25 after its short synthetic training), and what is checked
 * instead is that the converter adds nothing beyond that: float32 at the
 * goal, the float16 file within twice the tfjs rounding floor. Returns
 * whether the goals were checked.
 */
export function expectGoals(run: ZooRun): boolean {
  if (run.float16RoundingFloor > WORST_OF_RANGE.float16) {
    for (const f of run.files.filter((file) => file.source === 'float')) {
      if (f.mode === 'float32') {
        expect(f.worstOfRange, `${run.name} float32`).toBeLessThanOrEqual(WORST_OF_RANGE.float32);
      } else if (f.mode === 'float16') {
        expect(f.worstOfRange, `${run.name} float16 vs its rounding floor ${run.float16RoundingFloor}`)
            .toBeLessThanOrEqual(2 * run.float16RoundingFloor);
      }
    }
    return false;
  }
  for (const f of run.files) {
    const what = `${run.name} ${f.source}/${f.mode}`;
    if (f.step == null) {
      expect(f.worstOfRange, what).toBeLessThanOrEqual(WORST_OF_RANGE[f.mode]);
      continue;
    }
    if (f.argmaxAgreement != null) {
      expect(f.argmaxAgreement, `${what}: argmax agreement`).toBeGreaterThanOrEqual(INT8_ARGMAX);
    }
    if (f.source === 'qat') {
      expect(f.within2, `${what}: share within 2 steps`).toBeGreaterThanOrEqual(INT8_WITHIN_2_STEPS);
    } else {
      expect(f.worstOfRange, what).toBeLessThanOrEqual(PTQ_WORST_OF_RANGE);
    }
  }
  return true;
}
