/**
 * TFMOT's clustering/keras/clustering_centroids_test.py on our public API
 * (initCentroids): the literal inputs and expected centroids of each test,
 * at TFMOT's tolerance (4 decimal places). Tests drawn from TF's random
 * generator (RANDOM, KMEANS_PLUS_PLUS with TF's seed) check properties.
 */
import {describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';

const {CentroidInitialization, initCentroids} = tfmot.clustering;
type Method = tfmot.clustering.CentroidInitializationName;

const init = (weights: number[], n: number, method: Method, preserveSparsity = false, seed?: number) =>
  initCentroids(weights, n, {method, preserveSparsity, seed});

/** assertSequenceAlmostEqual(expected, actual, places=4). */
function expectAlmost(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((v, i) => expect(actual[i], `centroid ${i} of [${actual}]`).toBeCloseTo(v, 4));
}

const TFMOT_METHODS = ['LINEAR', 'RANDOM', 'DENSITY_BASED', 'KMEANS_PLUS_PLUS'] as const;

/** 0 to 3.5, dense between 3 and 3.5 (TFMOT's recurring input). */
const DENSE_TOP = [0, 1, 2, 3, 3.1, 3.2, 3.3, 3.4, 3.5];

describe('clustering_centroids_test.py (TFMOT)', () => {
  it('testExistingInitsAreSupported: the four TFMOT methods are accepted', () => {
    for (const method of TFMOT_METHODS) {
      expect(CentroidInitialization[method]).toBe(method);
      expect(init(DENSE_TOP, 3, method, false, 1), method).toHaveLength(3);
    }
  });

  it('testNonExistingInitIsNotSupported and testThrowsValueErrorForNonExistingInit: "DEADBEEF" is a ValueError', () => {
    expect(Object.keys(CentroidInitialization)).not.toContain('DEADBEEF');
    expect(() => init(DENSE_TOP, 3, 'DEADBEEF' as Method)).toThrow(tfmot.ValueError);
    expect(() => init(DENSE_TOP, 3, 'DEADBEEF' as Method)).toThrow(/clusterCentroidsInit must be one of .*"DEADBEEF"/);
  });

  it('testReturnsMethodForExistingInit: each name selects its own method', () => {
    // LINEAR's, DENSITY_BASED's and KMEANS_PLUS_PLUS' results differ on this input;
    // each is recognisable by its definition.
    expectAlmost(init(DENSE_TOP, 3, 'LINEAR'), [0, 1.75, 3.5]);
    expectAlmost(init(DENSE_TOP, 3, 'DENSITY_BASED'), [0.11137931, 3.145862, 3.51]);
    for (const v of init(DENSE_TOP, 3, 'KMEANS_PLUS_PLUS', false, 1)) {
      expect(DENSE_TOP).toContain(v);
    }
    const random = init(DENSE_TOP, 3, 'RANDOM', false, 1);
    expect(random.every((v) => v >= 0 && v <= 3.5)).toBe(true);
    expect(random.some((v) => !DENSE_TOP.includes(v))).toBe(true);
  });

  it.each([
    [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5, [0, 2.5, 5, 7.5, 10]],
    [DENSE_TOP, 3, [0, 1.75, 3.5]],
    [[-3, -2, -1, 0, 1.1, 2.2, 3.3, 4.4, 5.5, 6.6, 7.7, 8.8, 9], 6, [-3, -0.6, 1.8, 4.2, 6.6, 9]],
  ])('testLinearClusterCentroids: %j, %i clusters', (weights, n, expected) => {
    expectAlmost(init(weights, n, 'LINEAR'), expected);
  });

  it.each([
    [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5, [0, 1, 4, 7, 10]],
    [DENSE_TOP, 3, [0, 1, 3.5]],
    [[-3, -2, -1, 0, 1.1, 2.2, 3.3, 4.4, 5.5, 6.6, 7.7, 8.8, 9], 6, [-3, 0, 1.1, 3.7333333, 6.366666, 9]],
  ])('testLinearClusterCentroidsWithSparsityPreservation: %j, %i clusters', (weights, n, expected) => {
    expectAlmost(init(weights, n, 'LINEAR', true), expected);
  });

  it.each([
    [DENSE_TOP, 5, [0.11137931, 2.0534482, 3.145862, 3.3886206, 3.51]],
    [DENSE_TOP, 3, [0.11137931, 3.145862, 3.51]],
    [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3, [0.3010345, 5.2775865, 9.01]],
  ])('testDensityBasedClusterCentroids (testClusterCentroids in older TFMOT): %j, %i clusters', (weights, n, expected) => {
    expectAlmost(init(weights, n, 'DENSITY_BASED'), expected);
  });

  it.each([
    [[0, -1, -2, -3, -4, -5, -6], 4, [-5.836897, -2.8941379, -0.98999995, 0]],
    [[0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 5, [0, 1.2665517, 4.032069, 7.0741386, 9.01]],
    [[-4, -3, -2, -1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7], 6, [-3.9058623, -0.99, 0, 1.1975863, 4.103793, 7.01]],
    [[0, 1, 2, 3, -3.1, -3.2, -3.3, -0.005, 3.5], 3, [-3.1887069, 0, 1.0768965]],
  ])('testDensityBasedClusterCentroidsWithSparsityPreservation: %j, %i clusters', (weights, n, expected) => {
    expectAlmost(init(weights, n, 'DENSITY_BASED', true), expected);
  });

  it('testDensityBasedClusterCentroidsWithSparsityPreservation: all zeros give only zero centroids ' +
      '(TFMOT: [0], which its wrapper broadcasts to n; here n zeros directly)', () => {
    expect(init([0, 0, 0, 0], 2, 'DENSITY_BASED', true)).toEqual([0, 0]);
  });

  it.each([
    [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5],
    [DENSE_TOP, 3],
    [[-3, -2, -1, 0, 1.1, 2.2, 3.3, 4.4, 5.5, 6.6, 7.7, 8.8, 9], 6],
  ])('testRandomClusterCentroidsWithSparsityPreservation: %j, %i clusters include 0', (weights, n) => {
    for (const seed of [1, 2, 3]) {
      const c = init(weights, n, 'RANDOM', true, seed);
      expect(c).toHaveLength(n);
      expect(c).toContain(0);
      expect(c.every((v) => v >= Math.min(...weights) && v <= Math.max(...weights))).toBe(true);
    }
  });

  // TF's kmeans++ with its fixed seed 9 drew [3.1, 0, 2, 1, 3.4], [3.1, 0, 2] and
  // [6, 1, 8] (in draw order); ours is another generator and returns them sorted.
  it.each([
    [DENSE_TOP, 5],
    [DENSE_TOP, 3],
    [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3],
  ])('testKmeansPlusPlusClusterCentroids (testKmeanPlusPlusValues in older TFMOT): %j, %i distinct weights', (weights, n) => {
    for (const seed of [1, 2, 3]) {
      const c = init(weights, n, 'KMEANS_PLUS_PLUS', false, seed);
      expect(c).toHaveLength(n);
      expect(new Set(c).size).toBe(n);
      for (const v of c) {
        expect(weights).toContain(v);
      }
      expect([...c].sort((a, b) => a - b)).toEqual(c);
    }
  });

  // TF drew [0, 3, 1, 2, 3.3], [0, 3, 1] and [-2, -4, 0, 5.5, 2.2, 8.8]: the
  // same split by sign as ours (all positive; 4 negative and 9 positive
  // weights, n = 6: round(5 * 4 / 13) = 2 negative centroids, 3 positive).
  it.each([
    [DENSE_TOP, 5, 0],
    [DENSE_TOP, 3, 0],
    [[-4, -3, -2, -1, 0, 1.1, 2.2, 3.3, 4.4, 5.5, 6.6, 7.7, 8.8, 9], 6, 2],
  ])('testKmeansPlusPlusClusterCentroidsWithSparsityPreservation: %j, %i clusters, %i negative', (weights, n, negatives) => {
    for (const seed of [1, 2, 3]) {
      const c = init(weights, n, 'KMEANS_PLUS_PLUS', true, seed);
      expect(c).toHaveLength(n);
      expect(c.filter((v) => v === 0)).toHaveLength(1);
      expect(c.filter((v) => v < 0)).toHaveLength(negatives);
      expect(new Set(c).size).toBe(n);
      for (const v of c) {
        expect(weights).toContain(v);
      }
    }
  });
});
