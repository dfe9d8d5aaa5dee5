/**
 * initCentroids on small, hand-checked weight vectors: each method's
 * definition (TFMOT's clustering_centroids.py), seeding, and the
 * sparsity-preserving split around a pinned 0 centroid.
 */
import {describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';

const {initCentroids} = tfmot.clustering;
type Method = tfmot.clustering.CentroidInitializationName;

const init = (w: ArrayLike<number>, n: number, method: Method, preserveSparsity = false, seed?: number|string) =>
  initCentroids(w, n, {method, preserveSparsity, seed});

/** 20 values, dense near 0 with a long positive tail, in shuffled order. */
const SKEWED = [0.9, -0.3, 0.02, 2.5, -0.05, 0.1, 0.01, -0.2, 0.4, 0.05,
  -0.01, 1.6, 0.2, -0.1, 0.03, 0.6, 0.08, -0.02, 0.15, 0.3];

/** Three well separated groups of 8 values each, interleaved. */
const GROUPS = Array.from({length: 24}, (_, i) => [-5, 0.5, 6][i % 3] + 0.01 * ((i * 7) % 8));

describe('LINEAR', () => {
  it('is linspace(min, max, n)', () => {
    const c = init(SKEWED, 5, 'LINEAR');
    expect(c[0]).toBe(-0.3);
    expect(c[4]).toBe(2.5);
    // Step (2.5 - -0.3) / 4 = 0.7.
    [-0.3, 0.4, 1.1, 1.8, 2.5].forEach((v, i) => expect(c[i]).toBeCloseTo(v, 14));
    expect(init([3, 1, 2, 7, 5], 2, 'LINEAR')).toEqual([1, 7]);
  });
});

describe('DENSITY_BASED', () => {
  it('is the first point of a 30-point grid over [min - 0.01, max + 0.01] whose CDF exceeds each of linspace(0.01, 1, n)', () => {
    // Grid step (2.51 - -0.31) / 29 = 0.0972414: grid[i] = -0.31 + 0.0972414 i.
    // CDF(grid[1] = -0.2128) = 1/20 > 0.01; CDF(grid[3] = -0.0183) = 5/20 is
    // not above 0.2575, CDF(grid[4] = 0.0790) = 10/20 is; 0.505 is first
    // exceeded at grid[5] = 0.1762 (13/20), 0.7525 at grid[8] = 0.4679 (16/20;
    // grid[7] has 15/20 = 0.75); p = 1 never is: the last point, max + 0.01.
    const c = init(SKEWED, 5, 'DENSITY_BASED');
    [-0.2128, 0.0790, 0.1762, 0.4679, 2.51].forEach((v, i) => expect(c[i]).toBeCloseTo(v, 4));
    // Every centroid lies on the grid.
    for (const v of c) {
      const i = (v + 0.31) / ((2.51 + 0.31) / 29);
      expect(Math.abs(i - Math.round(i))).toBeLessThan(1e-4);
    }
  });

  it('puts more centroids where the weights are dense than LINEAR does', () => {
    const inCore = (c: number[]) => c.filter((v) => Math.abs(v) <= 0.2).length;
    expect(inCore(init(SKEWED, 8, 'DENSITY_BASED'))).toBeGreaterThan(inCore(init(SKEWED, 8, 'LINEAR')));
  });

  it('compares in float32, as TF does with a float32 kernel', () => {
    // Grid from 0 to 2.9 by float32(0.1): grid[7] is float32(0.7) = 0.69999999, below
    // the double 0.7 but equal to the kernel's float32 0.7, so CDF(grid[7]) = 2/3
    // exceeds 0.505 there (in doubles it would first at grid[8] = 0.8).
    const c = init([0.01, 0.7, 2.89], 3, 'DENSITY_BASED');
    expect(c[1]).toBe(Math.fround(0.7));
    expect(init(Float32Array.of(0.01, 0.7, 2.89), 3, 'DENSITY_BASED')).toEqual(c);
  });
});

describe('DENSITY_BASED_EXACT', () => {
  it('is the inverse empirical CDF at linspace(0.01, 1, n)', () => {
    // sorted: -0.3 -0.2 -0.1 -0.05 -0.02 -0.01 0.01 0.02 0.03 0.05
    //          0.08 0.1 0.15 0.2 0.3 0.4 0.6 0.9 1.6 2.5
    // q = 0.01, 0.2575, 0.505, 0.7525, 1 -> the smallest x with F(x) >= q is
    // the ceil(20 q)-th value: 1st, 6th, 11th, 16th, 20th.
    expect(init(SKEWED, 5, 'DENSITY_BASED_EXACT')).toEqual([-0.3, -0.01, 0.08, 0.4, 2.5]);
    // q = 0.01, 0.505, 1 -> 1st, 11th, 20th.
    expect(init(SKEWED, 3, 'DENSITY_BASED_EXACT')).toEqual([-0.3, 0.08, 2.5]);
  });

  it('puts more centroids where the weights are dense than LINEAR does', () => {
    const inCore = (c: number[]) => c.filter((v) => Math.abs(v) <= 0.2).length;
    expect(inCore(init(SKEWED, 8, 'DENSITY_BASED_EXACT'))).toBeGreaterThan(inCore(init(SKEWED, 8, 'LINEAR')));
  });
});

describe('RANDOM', () => {
  it('draws n sorted values in [min, max], the same for a seed and different for another', () => {
    const a = init(SKEWED, 6, 'RANDOM', false, 1);
    expect(a).toHaveLength(6);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
    for (const v of a) {
      expect(v).toBeGreaterThanOrEqual(-0.3);
      expect(v).toBeLessThanOrEqual(2.5);
    }
    expect(init(SKEWED, 6, 'RANDOM', false, 1)).toEqual(a);
    expect(init(SKEWED, 6, 'RANDOM', false, 2)).not.toEqual(a);
  });
});

describe('KMEANS_PLUS_PLUS', () => {
  it('picks weight values, sorted, the same for a seed and different for another', () => {
    const a = init(SKEWED, 6, 'KMEANS_PLUS_PLUS', false, 'a');
    expect(a).toHaveLength(6);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
    for (const v of a) {
      expect(SKEWED).toContain(v);
    }
    expect(init(SKEWED, 6, 'KMEANS_PLUS_PLUS', false, 'a')).toEqual(a);
    const others = ['b', 'c', 'd'].map((s) => init(SKEWED, 6, 'KMEANS_PLUS_PLUS', false, s));
    expect(others.some((o) => JSON.stringify(o) !== JSON.stringify(a))).toBe(true);
  });

  it('spreads out: one centroid per well separated group, for every one of 50 seeds', () => {
    const group = (v: number) => (v < -2 ? 0 : v < 3 ? 1 : 2);
    for (let seed = 0; seed < 50; seed++) {
      const c = init(GROUPS, 3, 'KMEANS_PLUS_PLUS', false, seed);
      expect(c.map(group), `seed ${seed}: ${c}`).toEqual([0, 1, 2]);
    }
  });
});

describe('preserveSparsity', () => {
  /** 6 negative, 6 positive and 2 zero weights. */
  const BALANCED = [-0.9, 0, -0.7, 0.1, -0.5, 0.3, -0.3, 0.5, 0, -0.2, 0.7, -0.1, 0.9, 1.1];

  const signs = (c: number[]) => ({
    neg: c.filter((v) => v < 0).length,
    zero: c.filter((v) => v === 0).length,
    pos: c.filter((v) => v > 0).length,
  });

  it('pins one centroid at exactly 0 and runs the method on each sign separately', () => {
    // 3 negative / 9 positive non-zero weights, n = 5: the 4 others split
    // round(4 * 3 / 12) = 1 negative, 3 positive.
    const w = [-0.6, 0.1, 0, -0.2, 0.4, 0.2, 0, 0.8, -0.4, 0.3, 0.5, 0.6, 0.7, 1.0];
    const linear = init(w, 5, 'LINEAR', true);
    expect(linear).toHaveLength(5);
    // One negative centroid: linspace(min, max, 1) = min; positives linspace(0.1, 1.0, 3).
    expect(linear[0]).toBe(-0.6);
    expect(linear[1]).toBe(0);
    expect(Object.is(linear[1], 0)).toBe(true);  // +0, not -0
    [0.1, 0.55, 1.0].forEach((v, i) => expect(linear[2 + i]).toBeCloseTo(v, 14));
    // DENSITY_BASED_EXACT per sign: negatives [-0.6, -0.4, -0.2] -> q = 0.01 -> -0.6;
    // positives (9 values) at q = 0.01, 0.505, 1 -> 1st, 5th, 9th.
    expect(init(w, 5, 'DENSITY_BASED_EXACT', true)).toEqual([-0.6, 0, 0.1, 0.5, 1.0]);
    // DENSITY_BASED per sign, with a gap of min(0.01, |min| / 2, |max| / 2):
    // negatives on a grid over [-0.61, -0.19]: CDF exceeds 0.01 first at
    // -0.61 + 0.42 / 29 = -0.5955. Positives on a grid over [0.09, 1.01] (step
    // 0.92 / 29): 0.01 at 0.1217, 0.505 (5 of the 9) at the first point >= 0.5,
    // 0.09 + 13 step = 0.5024; 1 never: the last point, 1.01.
    const density = init(w, 5, 'DENSITY_BASED', true);
    [-0.5955, 0, 0.1217, 0.5024, 1.01].forEach((v, i) => expect(density[i]).toBeCloseTo(v, 4));
    for (const method of ['RANDOM', 'KMEANS_PLUS_PLUS'] as const) {
      const c = init(w, 5, method, true, 3);
      expect(signs(c), method).toEqual({neg: 1, zero: 1, pos: 3});
      expect(c[0]).toBeGreaterThanOrEqual(-0.6);
      expect(c[0]).toBeLessThanOrEqual(-0.2);
      expect(Math.min(...c.slice(2))).toBeGreaterThanOrEqual(0.1);
      expect(Math.max(...c.slice(2))).toBeLessThanOrEqual(1.0);
    }
  });

  it('splits the other n - 1 centroids by the sign counts, rounding half to even as TFMOT', () => {
    // 5 * 6 / 12 = 2.5 -> 2 negative, 3 positive (tf.math.round).
    expect(signs(init(BALANCED, 6, 'LINEAR', true))).toEqual({neg: 2, zero: 1, pos: 3});
    // 3 * 6 / 12 = 1.5 -> 2 negative, 1 positive.
    expect(signs(init(BALANCED, 4, 'LINEAR', true))).toEqual({neg: 2, zero: 1, pos: 1});
    // 15 * 0.5 = 7.5 -> 8 negative, 7 positive.
    expect(signs(init([...BALANCED, ...BALANCED.map((v) => v + 0.01 * Math.sign(v))], 16, 'LINEAR', true)))
        .toEqual({neg: 8, zero: 1, pos: 7});
    // 9 negative, 3 positive, n = 8: 7 * 0.75 = 5.25 -> 5 negative, 2 positive.
    const mostlyNegative = [-1, -0.9, -0.8, -0.7, -0.6, -0.5, -0.4, -0.3, -0.2, 0, 0.5, 0.6, 0.7];
    for (const method of ['LINEAR', 'RANDOM', 'DENSITY_BASED', 'DENSITY_BASED_EXACT', 'KMEANS_PLUS_PLUS'] as const) {
      const c = init(mostlyNegative, 8, method, true, 4);
      expect(c, method).toHaveLength(8);
      expect(signs(c), method).toEqual({neg: 5, zero: 1, pos: 2});
    }
  });

  it('gives every sign present at least one centroid (TFMOT would give it none)', () => {
    // 1 negative among 13 non-zero, n = 4: round(3 / 13) = 0 in TFMOT, and the
    // negative weight would snap to 0; here it keeps a centroid of its own.
    const w = [-0.5, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2];
    expect(init(w, 4, 'LINEAR', true)).toEqual([-0.5, 0, expect.closeTo(0.1, 14), 1.2]);
  });

  it('gives all n - 1 centroids to the only sign present', () => {
    const positive = [0, 0.25, 0, 0.5, 0.75, 1];
    const c = init(positive, 4, 'LINEAR', true);
    expect(c).toEqual([0, 0.25, expect.closeTo(0.625, 14), 1]);
    expect(signs(init(positive.map((v) => -v), 4, 'KMEANS_PLUS_PLUS', true))).toEqual({neg: 3, zero: 1, pos: 0});
  });

  it('gives only the pinned 0 for an all-zero (fully pruned) weight', () => {
    expect(init([0, 0, 0, 0], 3, 'LINEAR', true)).toEqual([0, 0, 0]);
  });
});

describe('arguments', () => {
  it('names clusterCentroidsInit and its allowed values', () => {
    expect(() => init(SKEWED, 3, 'linear' as Method)).toThrow(
        /clusterCentroidsInit must be one of 'LINEAR', 'RANDOM', 'DENSITY_BASED', 'DENSITY_BASED_EXACT', 'KMEANS_PLUS_PLUS'; received "linear"/);
  });
});
