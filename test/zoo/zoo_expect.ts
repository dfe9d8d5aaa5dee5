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

export function expectGoals(run: ZooRun): void {
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
}
