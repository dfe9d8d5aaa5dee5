/**
 * The pure mask math (src/pruning/masks.ts): exact top-k counts, block and
 * m-by-n structure, filter selection by L2 norm, and global selection over
 * several tensors.
 */
import {describe, expect, it} from 'vitest';

import {expandMask, makeUnits, MaskStructure, mByNMask, selectUnits} from '../../src/pruning/masks.js';
import {lcg} from '../helpers/models.js';

const UNSTRUCTURED: MaskStructure = {blockSize: [1, 1], blockPooling: 'AVG', mByN: null, structure: 'unstructured'};
const FILTERS: MaskStructure = {...UNSTRUCTURED, structure: 'filters'};
const blocks = (blockSize: [number, number], blockPooling: 'AVG'|'MAX' = 'AVG'): MaskStructure =>
  ({...UNSTRUCTURED, blockSize, blockPooling});

/** The mask of one tensor pruned alone to `sparsity`. */
function maskOf(w: ArrayLike<number>, shape: number[], outputAxis: number, s: MaskStructure,
    sparsity: number): Float32Array {
  const units = makeUnits(w, shape, outputAxis, s);
  return expandMask(units, selectUnits([units], sparsity)[0]);
}

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0);

describe('unstructured masks', () => {
  it('keep exactly max(round(N * (1 - s)), 1) weights, the largest |w|', () => {
    for (const [n, s] of [[100, 0.5], [108, 0.8], [37, 0.33], [10, 0.99], [7, 0], [1, 0.9]]) {
      const w = lcg(n, n + 1);
      const mask = maskOf(w, [n, 1], 1, UNSTRUCTURED, s);
      const k = Math.max(Math.round(n * (1 - s)), 1);
      expect(sum(mask), `N=${n}, s=${s}`).toBe(k);
      const smallestKept = Math.min(...Array.from(w).filter((_, i) => mask[i] === 1).map(Math.abs));
      const largestPruned = Math.max(0, ...Array.from(w).filter((_, i) => mask[i] === 0).map(Math.abs));
      expect(smallestKept).toBeGreaterThanOrEqual(largestPruned);
    }
  });

  it('break ties by position, so the count stays exact', () => {
    const w = [0.1, -1, 1, 0.5, 1, -1, 0.2, 1];
    // Four weights tie at |w| = 1; keeping 3 takes the first three of them.
    expect(Array.from(maskOf(w, [8, 1], 1, UNSTRUCTURED, 0.625))).toEqual([0, 1, 1, 0, 1, 0, 0, 0]);
    // All equal: the first k by position.
    expect(Array.from(maskOf(new Array(6).fill(2), [2, 3], 1, UNSTRUCTURED, 0.5))).toEqual([1, 1, 1, 0, 0, 0]);
  });

  it('reject sparsities outside [0, 1)', () => {
    const units = makeUnits([1, 2], [2, 1], 1, UNSTRUCTURED);
    expect(() => selectUnits([units], 1)).toThrow(/sparsity must be in \[0, 1\); received 1/);
    expect(() => selectUnits([units], -0.1)).toThrow(/sparsity/);
    expect(() => selectUnits([units], NaN)).toThrow(/sparsity/);
  });
});

describe('block masks', () => {
  /** Asserts every [br, bc] block of a [rows, cols] mask is all 0 or all 1; returns kept blocks. */
  function expectBlocks(mask: Float32Array, rows: number, cols: number, [br, bc]: [number, number]): number {
    let kept = 0;
    for (let r0 = 0; r0 < rows; r0 += br) {
      for (let c0 = 0; c0 < cols; c0 += bc) {
        const values = new Set<number>();
        for (let r = r0; r < Math.min(r0 + br, rows); r++) {
          for (let c = c0; c < Math.min(c0 + bc, cols); c++) {
            values.add(mask[r * cols + c]);
          }
        }
        expect(values.size, `block at (${r0}, ${c0})`).toBe(1);
        kept += values.has(1) ? 1 : 0;
      }
    }
    return kept;
  }

  it('[2, 2] blocks on a Dense kernel: whole blocks, exact block count', () => {
    const w = lcg(8 * 6, 3);
    const mask = maskOf(w, [8, 6], 1, blocks([2, 2]), 0.5);
    expect(expectBlocks(mask, 8, 6, [2, 2])).toBe(6);  // 12 blocks, half kept
  });

  it('[1, 4] blocks: runs of 4 outputs of one input', () => {
    const w = lcg(5 * 8, 4);
    const mask = maskOf(w, [5, 8], 1, blocks([1, 4]), 0.7);
    expect(expectBlocks(mask, 5, 8, [1, 4])).toBe(3);  // round(10 * 0.3)
  });

  it('blocks of a conv kernel run over the [h * w * in, out] view', () => {
    const shape = [3, 3, 2, 4];  // 18 rows x 4 cols
    const mask = maskOf(lcg(72, 5), shape, 3, blocks([2, 2]), 0.5);
    expect(expectBlocks(mask, 18, 4, [2, 2])).toBe(9);
  });

  it('partial edge blocks are units of their own, scored by their real size', () => {
    const units = makeUnits(lcg(25, 6), [5, 5], 1, blocks([2, 2]));
    expect(Array.from(units.sizes)).toEqual([4, 4, 2, 4, 4, 2, 2, 2, 1]);
    const mask = maskOf(lcg(25, 6), [5, 5], 1, blocks([2, 2]), 0.5);
    expect(expectBlocks(mask, 5, 5, [2, 2])).toBe(5);  // round(9 * 0.5) = round(4.5)
    // A lone large weight in the 1x1 corner block: AVG over 1 weight keeps it.
    const w = new Array(25).fill(0.1);
    w[24] = 5;
    const corner = maskOf(w, [5, 5], 1, blocks([2, 2]), 0.85);  // keep 1 of 9 blocks
    expect(sum(corner)).toBe(1);
    expect(corner[24]).toBe(1);
  });

  it('AVG and MAX pooling pick different blocks', () => {
    // Two [1, 2] blocks per row: A = [1, 0] (avg 0.5, max 1), B = [0.6, 0.6] (avg 0.6, max 0.6).
    const w = [1, 0, 0.6, -0.6];
    const avg = maskOf(w, [1, 4], 1, blocks([1, 2], 'AVG'), 0.5);
    const max = maskOf(w, [1, 4], 1, blocks([1, 2], 'MAX'), 0.5);
    expect(Array.from(avg)).toEqual([0, 0, 1, 1]);
    expect(Array.from(max)).toEqual([1, 1, 0, 0]);
  });
});

describe('m-by-n masks', () => {
  /** Checks every group of n along `axis`: m zeroed (fewer in a short last group), the kept ones the largest. */
  function expectMByN(w: Float32Array, mask: Float32Array, shape: number[], axis: number, m: number, n: number) {
    const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    let groups = 0;
    for (let i = 0; i < w.length; i++) {
      const start = Math.floor(i / stride) % shape[axis];
      if (start % n !== 0) {
        continue;
      }
      const members = Array.from({length: Math.min(n, shape[axis] - start)}, (_, j) => i + j * stride);
      const kept = members.filter((j) => mask[j] === 1);
      expect(kept).toHaveLength(Math.min(n - m, members.length));
      const minKept = Math.min(...kept.map((j) => Math.abs(w[j])));
      const maxPruned = Math.max(...members.filter((j) => mask[j] === 0).map((j) => Math.abs(w[j])));
      expect(minKept).toBeGreaterThanOrEqual(maxPruned);
      groups++;
    }
    expect(groups).toBe(w.length / shape[axis] * Math.ceil(shape[axis] / n));
  }

  it('2:4 on a Dense kernel [in 8, out 3] groups along the input axis', () => {
    const w = lcg(24, 7);
    const mask = mByNMask(w, [8, 3], 0, [2, 4]);
    expect(sum(mask)).toBe(12);
    expectMByN(w, mask, [8, 3], 0, 2, 4);
  });

  it('2:4 on a Conv2D kernel [3, 3, in 8, out 5] groups along input channels', () => {
    const w = lcg(3 * 3 * 8 * 5, 8);
    const mask = mByNMask(w, [3, 3, 8, 5], 2, [2, 4]);
    expect(sum(mask)).toBe(w.length / 2);
    expectMByN(w, mask, [3, 3, 8, 5], 2, 2, 4);
  });

  it('m is the number of zeros: 1:4 keeps 3 of 4, 3:8 keeps 5 of 8 (TFMOT)', () => {
    const w = lcg(16 * 2, 9);
    const oneByFour = mByNMask(w, [16, 2], 0, [1, 4]);
    expect(sum(oneByFour)).toBe(24);
    expectMByN(w, oneByFour, [16, 2], 0, 1, 4);
    const threeByEight = mByNMask(w, [16, 2], 0, [3, 8]);
    expect(sum(threeByEight)).toBe(20);
    expectMByN(w, threeByEight, [16, 2], 0, 3, 8);
  });

  it('an input dimension not a multiple of n ends with a short group, padded with zeros as TFMOT', () => {
    const w = lcg(18, 1);
    const mask = mByNMask(w, [6, 3], 0, [2, 4]);
    // Per output: a full group of 4 keeps 2, the short group of 2 keeps min(2, 2).
    expect(sum(mask)).toBe(3 * (2 + 2));
    expectMByN(w, mask, [6, 3], 0, 2, 4);
    const threeOfFour = mByNMask(w, [6, 3], 0, [3, 4]);
    expect(sum(threeOfFour)).toBe(3 * (1 + 1));
    expectMByN(w, threeOfFour, [6, 3], 0, 3, 4);
  });

  it('throw a clear error unless 1 <= m < n', () => {
    for (const bad of [[4, 4], [5, 4], [0, 4], [1.5, 4], [2]]) {
      expect(() => mByNMask(lcg(16, 1), [4, 4], 0, bad as [number, number])).toThrow(
          /sparsityMByN \[m, n\] puts m zeros in every n consecutive weights, so it must be two integers with 1 <= m < n; received/);
    }
  });
});

describe('filter masks', () => {
  it('zero whole output channels, lowest L2 norms first', () => {
    const shape = [3, 3, 2, 6];
    const base = lcg(108, 10);
    // Filter c scaled by a distinct factor, so the norm order is known: 3, 0, 5 lowest.
    const scale = [0.2, 1.5, 0.9, 0.1, 2, 0.3];
    const w = base.map((v, i) => v * scale[i % 6]);
    const mask = maskOf(w, shape, 3, FILTERS, 0.5);
    for (let c = 0; c < 6; c++) {
      const channel = Array.from(mask).filter((_, i) => i % 6 === c);
      expect(new Set(channel), `filter ${c}`).toEqual(new Set([[0, 3, 5].includes(c) ? 0 : 1]));
    }
  });

  it('score by L2 norm, not L1: a spiky filter beats a flat one of equal L1', () => {
    // Dense [4, 2]: unit 0 = [2, 0, 0, 0] (L1 2, L2 2); unit 1 = [0.5 x 4] (L1 2, L2 1).
    const w = [2, 0.5, 0, 0.5, 0, 0.5, 0, 0.5];
    expect(Array.from(maskOf(w, [4, 2], 1, FILTERS, 0.5))).toEqual([1, 0, 1, 0, 1, 0, 1, 0]);
  });
});

describe('global selection over several tensors', () => {
  it('hits the overall target and prunes the small-magnitude tensor more', () => {
    const big = lcg(300, 11);                               // |w| up to 1
    const small = lcg(500, 12).map((v) => v * 0.25);        // |w| up to 0.25
    const units = [makeUnits(big, [30, 10], 1, UNSTRUCTURED), makeUnits(small, [50, 10], 1, UNSTRUCTURED)];
    const [keepBig, keepSmall] = selectUnits(units, 0.7);
    const keptBig = sum(keepBig);
    const keptSmall = sum(keepSmall);
    expect(keptBig + keptSmall).toBe(Math.round(800 * 0.3));
    const sparsityBig = 1 - keptBig / 300;
    const sparsitySmall = 1 - keptSmall / 500;
    expect(sparsitySmall).toBeGreaterThan(sparsityBig + 0.2);
    // One threshold: every kept weight is at least as large as every pruned one.
    const all = [...Array.from(big).map((v, i) => [Math.abs(v), keepBig[i]]),
      ...Array.from(small).map((v, i) => [Math.abs(v), keepSmall[i]])];
    const minKept = Math.min(...all.filter(([, k]) => k === 1).map(([v]) => v));
    const maxPruned = Math.max(...all.filter(([, k]) => k === 0).map(([v]) => v));
    expect(minKept).toBeGreaterThanOrEqual(maxPruned);
  });

  it('global filters: kept weights reach the target within one filter', () => {
    const a = lcg(3 * 3 * 4 * 8, 13);                       // filters of 36 weights
    const b = lcg(2 * 2 * 8 * 16, 14).map((v) => v * 0.5);  // filters of 32 weights
    const units = [makeUnits(a, [3, 3, 4, 8], 3, FILTERS), makeUnits(b, [2, 2, 8, 16], 3, FILTERS)];
    const keeps = selectUnits(units, 0.5, true);
    const kept = sum(keeps[0]) * 36 + sum(keeps[1]) * 32;
    const target = Math.round((288 + 512) * 0.5);
    expect(kept).toBeGreaterThanOrEqual(target);
    expect(kept - target).toBeLessThan(36);
  });
});
