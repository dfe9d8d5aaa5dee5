/**
 * Initial cluster centroids for a weight vector, TFMOT's four methods (and
 * an exact-quantile variant of DENSITY_BASED), on plain numbers. With
 * `preserveSparsity` one centroid is 0 and the others are split between the
 * negative and positive weights by their counts.
 */
import seedrandom from 'seedrandom';

import {checkOptionKeys, checkStringUnion, optionKeys} from '../errors.js';

/**
 * How the centroids of `clusterWeights` start, as string constants.
 * Mirrors tfmot.clustering.keras.CentroidInitialization, plus
 * DENSITY_BASED_EXACT.
 */
export const CentroidInitialization = {
  /** Evenly spaced from the smallest to the largest weight. */
  LINEAR: 'LINEAR',
  /** Uniformly random between the smallest and largest weight (seeded), sorted. */
  RANDOM: 'RANDOM',
  /**
   * As TFMOT computes it: the weights' CDF sampled on 30 points evenly spaced
   * from `min - gap` to `max + gap`; each centroid is the first of those
   * points whose CDF exceeds a probability evenly spaced from 0.01 to 1. So
   * dense ranges of values get more centroids, centroids lie on that grid,
   * and the last one is `max + gap`. The gap is 0.01, or with
   * `preserveSparsity` min(0.01, half the smaller magnitude of the sign's
   * weights), so a sign's centroids keep that sign.
   */
  DENSITY_BASED: 'DENSITY_BASED',
  /**
   * Not in TFMOT: exact quantiles of the weights at probabilities evenly
   * spaced from 0.01 to 1 (the smallest weight whose empirical CDF reaches
   * each one), so every centroid is a weight value, independent of the
   * weights' scale (DENSITY_BASED's gap is an absolute 0.01).
   */
  DENSITY_BASED_EXACT: 'DENSITY_BASED_EXACT',
  /** k-means++ seeding: each next centroid is a weight drawn with probability growing with its squared distance to the nearest chosen one. */
  KMEANS_PLUS_PLUS: 'KMEANS_PLUS_PLUS',
} as const;
/**
 * A key of {@link CentroidInitialization}: `'LINEAR'`, `'RANDOM'`,
 * `'DENSITY_BASED'`, `'DENSITY_BASED_EXACT'` or `'KMEANS_PLUS_PLUS'`.
 */
export type CentroidInitializationName = keyof typeof CentroidInitialization;
export const VALID_CENTROID_INITS = Object.keys(CentroidInitialization) as CentroidInitializationName[];

/** n evenly spaced values from a to b (a alone when n is 1). */
function linspace(a: number, b: number, n: number): number[] {
  return n === 1 ? [a] : Array.from({length: n}, (_, i) => a + (b - a) * i / (n - 1));
}

/** Rounds to the nearest integer, ties to the even one (as tf.math.round). */
function roundHalfToEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Number of points of DENSITY_BASED's CDF grid (TFMOT's constant). */
const CDF_GRID_POINTS = 30;

/**
 * TFMOT's DENSITY_BASED centroids, in float32 as TF computes them, so ties
 * between a probability and a CDF value fall the same way.
 */
function densityBased(values: Float64Array, n: number, min: number, max: number, gap: number): number[] {
  const f = Math.fround;
  const lo = f(f(min) - f(gap));
  const hi = f(f(max) + f(gap));
  const step = f(f(hi - lo) / (CDF_GRID_POINTS - 1));
  const grid = Array.from({length: CDF_GRID_POINTS},
      (_, i) => (i === CDF_GRID_POINTS - 1 ? hi : f(lo + f(i * step))));
  // CDF at each (ascending) grid point: the share of weights <= it.
  const sorted = Float32Array.from(values).sort();
  let below = 0;
  const cdf = grid.map((x) => {
    while (below < sorted.length && sorted[below] <= x) {
      below++;
    }
    return f(below / sorted.length);
  });
  const pStep = f(f(1 - f(0.01)) / Math.max(n - 1, 1));
  const probabilities = Array.from({length: n}, (_, i) => (i > 0 && i === n - 1 ? 1 : f(f(0.01) + f(i * pStep))));
  // TFMOT solves the line through the point found and the one before it at
  // the found point's own CDF value, which gives back that point's x: the
  // centroid is the first grid point whose CDF exceeds the probability (the
  // last point when none does).
  return probabilities.map((p) => grid[Math.min(cdf.filter((c) => c <= p).length, CDF_GRID_POINTS - 1)]);
}

/** Centroids for `values` (all of them non-empty) by one method. */
function initDense(values: Float64Array, n: number, method: CentroidInitializationName,
    random: () => number, preserveSparsity = false): number[] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  // DENSITY_BASED's margin on either side of [min, max]; within one sign it
  // stays small enough not to cross 0.
  const gap = preserveSparsity ? Math.min(0.01, Math.min(Math.abs(min), Math.abs(max)) / 2) : 0.01;
  switch (method) {
    case 'LINEAR':
      return linspace(min, max, n);
    case 'RANDOM':
      return Array.from({length: n}, () => min + (max - min) * random()).sort((a, b) => a - b);
    case 'DENSITY_BASED':
      return densityBased(values, n, min, max, gap);
    case 'DENSITY_BASED_EXACT': {
      // Inverse of the empirical CDF at linspace(0.01, 1, n) (just 0.01 when n is 1, as in TFMOT).
      const sorted = Float64Array.from(values).sort();
      return linspace(0.01, 1, n).map(
          (q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]);
    }
    case 'KMEANS_PLUS_PLUS': {
      const centroids = [values[Math.floor(random() * values.length)]];
      const dist = Float64Array.from(values, (v) => (v - centroids[0]) ** 2);
      while (centroids.length < n) {
        const total = dist.reduce((a, b) => a + b, 0);
        let pick = values.length - 1;
        if (total > 0) {
          let r = random() * total;
          for (let i = 0; i < values.length; i++) {
            r -= dist[i];
            if (r < 0) {
              pick = i;
              break;
            }
          }
        }
        const c = values[pick];
        centroids.push(c);
        for (let i = 0; i < values.length; i++) {
          dist[i] = Math.min(dist[i], (values[i] - c) ** 2);
        }
      }
      return centroids.sort((a, b) => a - b);
    }
  }
}

/** Options of {@link initCentroids}. */
export interface CentroidInitOptions {
  /** The initialization method. */
  method: CentroidInitializationName;
  /**
   * Pin one centroid at 0 and split the other `n - 1` between negative and
   * positive weights by their counts (zeros are ignored), so pruned
   * weights stay zero.
   */
  preserveSparsity: boolean;
  /** Seed for RANDOM and KMEANS_PLUS_PLUS. */
  seed?: number|string;
}

/**
 * `n` initial centroids for `weights`, sorted ascending: what ClusterWeights
 * starts each weight (or output channel) with. Exposed to inspect or
 * compare initialization methods on plain numbers.
 *
 * A weight vector with no non-zero value under `preserveSparsity` gets `n`
 * zeros. Unlike TFMOT, with `preserveSparsity` a sign that has weights
 * always gets at least one centroid.
 *
 * @throws ValueError if `options.method` is not a {@link CentroidInitializationName}.
 *
 * ```ts
 * initCentroids(Float32Array.of(-1, 0, 0.5, 3), 3, {method: 'LINEAR', preserveSparsity: false});  // [-1, 1, 3]
 * ```
 */
export function initCentroids(weights: ArrayLike<number>, n: number, options: CentroidInitOptions): number[] {
  checkOptionKeys(options, optionKeys<CentroidInitOptions>({method: true, preserveSparsity: true, seed: true}),
      'initCentroids options');
  const method = checkStringUnion(options?.method, VALID_CENTROID_INITS, 'clusterCentroidsInit');
  const random = seedrandom(String(options.seed ?? 0));
  if (!options.preserveSparsity) {
    return initDense(Float64Array.from(weights), n, method, random);
  }
  const negatives = Float64Array.from(Array.from(weights).filter((v) => v < 0));
  const positives = Float64Array.from(Array.from(weights).filter((v) => v > 0));
  if (negatives.length + positives.length === 0) {
    // A fully pruned weight (or channel) keeps only the pinned 0.
    return new Array(n).fill(0);
  }
  // n - 1 centroids besides the pinned 0, shared by the counts of each sign
  // (rounded half to even, as tf.math.round in TFMOT); unlike TFMOT, a sign
  // that has weights always gets at least one centroid.
  let nNeg = roundHalfToEven((n - 1) * negatives.length / (negatives.length + positives.length));
  nNeg = negatives.length === 0 ? 0 : positives.length === 0 ? n - 1 : Math.min(Math.max(nNeg, 1), n - 2);
  const nPos = n - 1 - nNeg;
  return [
    ...(nNeg > 0 ? initDense(negatives, nNeg, method, random, true) : []),
    0,
    ...(nPos > 0 ? initDense(positives, nPos, method, random, true) : []),
  ];
}
