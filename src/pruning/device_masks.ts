/**
 * Pruning masks computed with tensor ops on the active backend, so a mask
 * update never reads weights back to the CPU (a GPU stall on webgl/webgpu,
 * and the cost that made a mask update every step slow even on wasm). Same
 * masks as the JS reference in masks.ts: units (single weights, blocks, or
 * output filters) are scored, the best are kept, ties by unit position.
 *
 * Scores are float32 here (float64 in masks.ts): units whose scores differ
 * by less than float32 rounding (AVG blocks, filter norms) may tie here and
 * then go by position. Single weights and MAX blocks score exactly alike.
 */
import * as tf from '@tensorflow/tfjs-core';

import {floatMask} from '../backend/float_mask.js';
import {ValueError} from '../errors.js';
import {checkMByN, MaskStructure} from './masks.js';

/** One weight tensor's units, scored on the backend. */
interface DeviceUnits {
  /** Unit scores, [units], in masks.ts's unit order. */
  scores: tf.Tensor1D;
  /** Weights per unit (known from the shape alone). */
  sizes: Int32Array;
  /** The 0/1 weight mask from a 0/1 keep vector over the units. */
  expand: (keep: tf.Tensor1D) => tf.Tensor;
}

/** `axis` moved last, and the permutation that puts it back. */
function axisLast(rank: number, axis: number): {perm: number[], inverse: number[]} {
  const perm = [...Array(rank).keys()].filter((a) => a !== axis).concat(axis);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return {perm, inverse};
}

const isIdentity = (perm: number[]) => perm.every((p, i) => p === i);

function transposeIf(x: tf.Tensor, perm: number[]): tf.Tensor {
  return isIdentity(perm) ? x : tf.transpose(x, perm);
}

/**
 * Groups a weight into units and scores them, as masks.ts's makeUnits:
 * filters by L2 norm over everything but `outputAxis`; otherwise [br, bc]
 * blocks of the 2-D view [weights per output, outputs] (outputs last), by
 * the mean or maximum |w|.
 */
function deviceUnits(w: tf.Tensor, outputAxis: number, s: MaskStructure): DeviceUnits {
  const shape = w.shape;
  const cols = shape[outputAxis];
  const rows = w.size / cols;
  if (s.structure === 'filters') {
    const others = [...Array(w.rank).keys()].filter((a) => a !== outputAxis);
    const keepShape = shape.map((d, a) => (a === outputAxis ? d : 1));
    return {
      scores: tf.sqrt(tf.sum(tf.square(w), others)) as tf.Tensor1D,
      sizes: new Int32Array(cols).fill(rows),
      expand: (keep) => tf.broadcastTo(tf.reshape(keep, keepShape), shape),
    };
  }
  const {perm, inverse} = axisLast(w.rank, outputAxis);
  const transposedShape = perm.map((a) => shape[a]);
  const view = tf.reshape(transposeIf(tf.abs(w), perm), [rows, cols]);
  const fromView = (mask: tf.Tensor) => transposeIf(tf.reshape(mask, transposedShape), inverse);
  const [br, bc] = s.blockSize;
  if (br === 1 && bc === 1) {
    return {scores: tf.reshape(view, [-1]), sizes: new Int32Array(w.size).fill(1), expand: fromView};
  }
  const blockRows = Math.ceil(rows / br);
  const blockCols = Math.ceil(cols / bc);
  const padRows = blockRows * br - rows;
  const padCols = blockCols * bc - cols;
  // Zero padding changes neither a block's sum nor its max (|w| >= 0).
  const padded = padRows + padCols > 0 ? tf.pad(view, [[0, padRows], [0, padCols]]) : view;
  const blocks = tf.reshape(padded, [blockRows, br, blockCols, bc]);
  const sizes = new Int32Array(blockRows * blockCols);
  for (let r = 0; r < blockRows; r++) {
    for (let c = 0; c < blockCols; c++) {
      sizes[r * blockCols + c] = Math.min(br, rows - r * br) * Math.min(bc, cols - c * bc);
    }
  }
  let scores: tf.Tensor;
  if (s.blockPooling === 'MAX') {
    scores = tf.max(blocks, [1, 3]);
  } else {
    // The mean, not the sum: blocks of other tensors compete in scope 'global'.
    const sums = tf.reshape(tf.sum(blocks, [1, 3]), [-1]);
    scores = tf.div(sums, padRows + padCols > 0 ? tf.tensor1d(sizes, 'float32') : tf.scalar(br * bc));
  }
  return {
    scores: tf.reshape(scores, [-1]),
    sizes,
    expand: (keep) => {
      const grid = tf.broadcastTo(tf.reshape(keep, [blockRows, 1, blockCols, 1]), [blockRows, br, blockCols, bc]);
      const full = tf.reshape(grid, [blockRows * br, blockCols * bc]);
      return fromView(padRows + padCols > 0 ? tf.slice(full, [0, 0], [rows, cols]) : full);
    },
  };
}

/**
 * The webgl backend (and webgpu, if it reads the same flags) hands topk to
 * the CPU, reading its input back, for small inputs or k > 128; pruning
 * picks thousands of units, so force the GPU kernel for this call.
 */
const TOPK_CPU_HANDOFF_FLAGS: Array<[string, number]> = [
  ['TOPK_LAST_DIM_CPU_HANDOFF_SIZE_THRESHOLD', 0],
  ['TOPK_K_CPU_HANDOFF_THRESHOLD', Number.MAX_SAFE_INTEGER],
];

/** tf.topk (ties to the lower index on every backend), never handed to the CPU. */
export function deviceTopk(x: tf.Tensor1D, k: number): {values: tf.Tensor1D, indices: tf.Tensor1D} {
  const env = tf.env();
  const saved: Array<[string, number]> = [];
  if (tf.getBackend() !== 'cpu' && tf.getBackend() !== 'wasm') {
    for (const [flag, value] of TOPK_CPU_HANDOFF_FLAGS) {
      try {
        const before = env.getNumber(flag);
        env.set(flag, value);
        saved.push([flag, before]);
      } catch {
        // Not a flag of this backend: nothing to force.
      }
    }
  }
  try {
    return tf.topk(x, k);
  } finally {
    for (const [flag, value] of saved) {
      env.set(flag, value);
    }
  }
}

/**
 * 1 for units scoring above `cutoff`, then for units tied at it in position
 * order while the size kept before them is below `target` (sizes: 1 per unit
 * if omitted). The tie rule of masks.ts's selectUnits on every backend,
 * whatever order topk gives ties in; and no scatterND, whose webgl kernel
 * visits every update for every output element (seconds for one kernel).
 */
function keepThrough(scores: tf.Tensor1D, cutoff: tf.Tensor, target: number|tf.Tensor,
    sizes?: tf.Tensor1D): tf.Tensor1D {
  const unitSizes = sizes ?? tf.onesLike(scores);
  const above = tf.greater(scores, cutoff);
  const tied = tf.equal(scores, cutoff);
  const zeros = tf.zerosLike(unitSizes);
  const sizeAbove = tf.sum(tf.where(above, unitSizes, zeros));
  const tiedBefore = tf.cumsum(tf.where(tied, unitSizes, zeros), 0, true);
  const room = tf.less(tf.add(sizeAbove, tiedBefore), target);
  return floatMask(tf.logicalOr(above, tf.logicalAnd(tied, room))) as tf.Tensor1D;
}

/**
 * The k = max(round(units * (1 - sparsity)), 1) best units of one tensor
 * (ties by position), and the smallest score kept.
 */
function keepBest(scores: tf.Tensor1D, sparsity: number): {keep: tf.Tensor1D, lowest: tf.Scalar} {
  const units = scores.size;
  const k = Math.max(Math.round(units * (1 - sparsity)), 1);
  if (k >= units) {
    return {keep: tf.onesLike(scores), lowest: tf.min(scores)};
  }
  const lowest = tf.min(deviceTopk(scores, k).values) as tf.Scalar;
  return {keep: keepThrough(scores, lowest, k), lowest};
}

/**
 * Units from several tensors compete (scope 'global'): by descending score
 * (ties by tensor, then unit), kept while the weights kept before them are
 * below (1 - sparsity) of all weights, as masks.ts's selectUnits. The
 * cutoff score does not depend on how topk orders ties: the first unit of
 * each score's group always has the same weights before it.
 */
function keepGlobal(scores: tf.Tensor1D, sizes: Int32Array, sparsity: number): tf.Tensor1D {
  const total = sizes.reduce((a, b) => a + b, 0);
  const target = Math.max(Math.round(total * (1 - sparsity)), 1);
  const unitSizes = tf.tensor1d(sizes, 'int32');
  const {values, indices} = deviceTopk(scores, scores.size);
  const before = tf.cumsum(tf.gather(unitSizes, indices), 0, true);
  const kept = tf.sum(tf.cast(tf.less(before, target), 'int32'));
  const cutoff = tf.gather(values, tf.cast(tf.sub(kept, 1), 'int32'));
  return keepThrough(scores, cutoff, target, unitSizes);
}

function checkSparsity(sparsity: number): void {
  if (!(sparsity >= 0 && sparsity < 1)) {
    throw new ValueError(`sparsity must be in [0, 1); received ${sparsity}.`);
  }
}

/** A weight to mask, with the axis of its outputs (see PrunableWeight). */
export interface DeviceWeight {
  /** The weight's current value. */
  value: tf.Tensor;
  /** Axis of its output channels (filters; the 2-D view's columns). */
  outputAxis: number;
}

/** A weight's 0/1 mask (float32, its shape) and the smallest |w| it keeps. */
export interface DeviceMask {
  /** 1 = kept. */
  mask: tf.Tensor;
  /** The smallest kept |w| (0 if none is kept). */
  threshold: tf.Scalar;
}

/**
 * Masks keeping the best units at `sparsity`: each tensor alone, or with
 * `global` (more than one tensor) all competing for (1 - sparsity) of their
 * weights, filters compared by RMS (norm / sqrt(size)). Call inside `tf.tidy`.
 */
export function deviceMasks(weights: DeviceWeight[], s: MaskStructure, sparsity: number, global: boolean):
    DeviceMask[] {
  checkSparsity(sparsity);
  const units = weights.map(({value, outputAxis}) => deviceUnits(value, outputAxis, s));
  const withThreshold = (mask: tf.Tensor, i: number) => ({mask, threshold: keptThreshold(weights[i].value, mask)});
  if (!global || units.length === 1) {
    return units.map((u, i) => {
      const {keep, lowest} = keepBest(u.scores, sparsity);
      // Single weights score |w|: the lowest kept score is the threshold.
      return u.sizes.length === weights[i].value.size && s.structure !== 'filters' ?
        {mask: u.expand(keep), threshold: lowest} : withThreshold(u.expand(keep), i);
    });
  }
  const normalize = s.structure === 'filters';
  const scores = tf.concat(units.map((u) => normalize ? tf.div(u.scores, Math.sqrt(u.sizes[0])) : u.scores));
  const sizes = new Int32Array(units.reduce((n, u) => n + u.sizes.length, 0));
  let offset = 0;
  for (const u of units) {
    sizes.set(u.sizes, offset);
    offset += u.sizes.length;
  }
  const keeps = tf.split(keepGlobal(scores as tf.Tensor1D, sizes, sparsity), units.map((u) => u.sizes.length));
  return units.map((u, i) => withThreshold(u.expand(keeps[i] as tf.Tensor1D), i));
}

/**
 * The m-by-n mask of masks.ts's mByNMask: in every n consecutive weights
 * along `inputAxis`, the n - m largest |w| kept (ties to the lower index);
 * a short last group ranks as if padded with values below every weight.
 * Ranks come from pairwise comparisons within each group (n is small), so
 * no sort runs. Call inside `tf.tidy`.
 */
export function deviceMByNMask(w: tf.Tensor, inputAxis: number, mByN: [number, number]): tf.Tensor {
  const [m, n] = checkMByN(mByN);
  const {perm, inverse} = axisLast(w.rank, inputAxis);
  const size = w.shape[inputAxis];
  const groups = Math.ceil(size / n);
  const pad = groups * n - size;
  let scores = tf.reshape(transposeIf(tf.abs(w), perm), [w.size / size, size]);
  if (pad > 0) {
    scores = tf.pad(scores, [[0, 0], [0, pad]], -1);
  }
  const grouped = tf.reshape(scores, [-1, groups, n, 1]);
  const others = tf.reshape(grouped, [-1, groups, 1, n]);
  // rank of i = how many j outrank it: larger, or equal and earlier.
  const earlier = tf.tensor2d(Array.from({length: n * n}, (_, k) => (k % n < Math.floor(k / n) ? 1 : 0)),
      [n, n], 'bool');
  const outranks = tf.logicalOr(tf.greater(others, grouped), tf.logicalAnd(tf.equal(others, grouped), earlier));
  const rank = tf.sum(tf.cast(outranks, 'int32'), 3);
  let mask = tf.reshape(floatMask(tf.less(rank, n - m)), [-1, groups * n]);
  if (pad > 0) {
    mask = tf.slice(mask, [0, 0], [-1, size]);
  }
  return transposeIf(tf.reshape(mask, perm.map((a) => w.shape[a])), inverse);
}

/** The smallest |w| the mask keeps (0 if it keeps none): the pruning threshold. */
export function keptThreshold(w: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  const smallest = tf.min(tf.where(tf.greater(mask, 0), tf.abs(w), tf.fill(w.shape, Infinity)));
  return tf.where(tf.isInf(smallest), tf.zerosLike(smallest), smallest) as tf.Scalar;
}
