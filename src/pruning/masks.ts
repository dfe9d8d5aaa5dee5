/**
 * Pruning masks from weight magnitudes, as plain numbers (no layers, no
 * tensors). Weights are grouped into units (single weights, blocks, or whole
 * output filters); units are scored; the best are kept. m-by-n zeroes the m
 * smallest of every n consecutive weights along the input axis (TFMOT's
 * meaning: m zeros in every n).
 */
import {formatValue, ValueError} from '../errors.js';

/** How weights group into units that are kept or pruned together. */
export interface MaskStructure {
  /** [rows, cols] blocks over the 2-D view [weights per output, outputs]. */
  blockSize: [number, number];
  /** How a block's magnitudes combine into its score: mean or maximum. */
  blockPooling: 'AVG'|'MAX';
  /** m zeros in every n along the input axis (overrides the sparsity). */
  mByN: [number, number]|null;
  /** 'filters': whole output channels, scored by L2 norm. */
  structure: 'unstructured'|'filters';
}

/** One weight tensor's units: scores, sizes, and which weight is in which unit. */
export interface Units {
  scores: Float64Array;
  sizes: Int32Array;
  /** Unit index of every weight. */
  unitOf: Int32Array;
}

/** Strides of a row-major shape. */
function strides(shape: number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) {
    s[i] = s[i + 1] * shape[i + 1];
  }
  return s;
}

/** Index along `axis` of every element of a row-major tensor. */
function axisIndex(shape: number[], axis: number): (i: number) => number {
  const stride = strides(shape)[axis];
  return (i) => Math.floor(i / stride) % shape[axis];
}

/** Groups the weights of one tensor into units and scores them. */
export function makeUnits(w: ArrayLike<number>, shape: number[], outputAxis: number,
    s: MaskStructure): Units {
  const n = w.length;
  const unitOf = new Int32Array(n);
  let count: number;
  if (s.structure === 'filters') {
    const outOf = axisIndex(shape, outputAxis);
    count = shape[outputAxis];
    for (let i = 0; i < n; i++) {
      unitOf[i] = outOf(i);
    }
  } else {
    const [br, bc] = s.blockSize;
    // 2-D view: rows = every index but the output one, cols = outputs.
    const cols = shape[outputAxis];
    const outOf = axisIndex(shape, outputAxis);
    const outStride = strides(shape)[outputAxis];
    const blockCols = Math.ceil(cols / bc);
    for (let i = 0; i < n; i++) {
      const col = outOf(i);
      // Row index in the 2-D view: position among the weights of this output.
      const row = Math.floor(i / (outStride * cols)) * outStride + (i % outStride);
      unitOf[i] = Math.floor(row / br) * blockCols + Math.floor(col / bc);
    }
    count = Math.ceil(n / cols / br) * blockCols;
  }
  const scores = new Float64Array(count);
  const sizes = new Int32Array(count);
  for (let i = 0; i < n; i++) {
    const u = unitOf[i];
    const v = s.structure === 'filters' ? w[i] * w[i] : Math.abs(w[i]);
    scores[u] = s.blockPooling === 'MAX' && s.structure !== 'filters' ?
        Math.max(scores[u], v) : scores[u] + v;
    sizes[u]++;
  }
  for (let u = 0; u < count; u++) {
    if (s.structure === 'filters') {
      scores[u] = Math.sqrt(scores[u]);
    } else if (s.blockPooling === 'AVG' && sizes[u] > 0) {
      scores[u] /= sizes[u];
    }
  }
  return {scores, sizes, unitOf};
}

/**
 * Chooses which units to keep: per tensor, max(round(units * (1 - sparsity)), 1)
 * units by descending score (ties by position, so the count is exact).
 * With several tensors (global scope), units from all of them compete and
 * are kept until the kept weights reach (1 - sparsity) of all weights;
 * `normalize` divides scores by sqrt(unit size) so filters of different
 * sizes compare by RMS.
 */
export function selectUnits(all: Units[], sparsity: number, normalize = false): Uint8Array[] {
  if (!(sparsity >= 0 && sparsity < 1)) {
    throw new ValueError(`sparsity must be in [0, 1); received ${sparsity}.`);
  }
  const keeps = all.map((u) => new Uint8Array(u.scores.length));
  const entries: Array<[number, number, number]> = [];  // [score, tensor, unit]
  all.forEach((u, t) => u.scores.forEach((score, i) => {
    if (u.sizes[i] > 0) {
      entries.push([normalize ? score / Math.sqrt(u.sizes[i]) : score, t, i]);
    }
  }));
  entries.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2]);
  if (all.length === 1) {
    const keep = Math.max(Math.round(entries.length * (1 - sparsity)), 1);
    for (const [, , i] of entries.slice(0, keep)) {
      keeps[0][i] = 1;
    }
    return keeps;
  }
  const total = all.reduce((sum, u) => sum + u.unitOf.length, 0);
  const target = Math.max(Math.round(total * (1 - sparsity)), 1);
  let kept = 0;
  for (const [, t, i] of entries) {
    if (kept >= target) {
      break;
    }
    keeps[t][i] = 1;
    kept += all[t].sizes[i];
  }
  return keeps;
}

/** The 0/1 mask of every weight from the kept units. */
export function expandMask(units: Units, keep: Uint8Array): Float32Array {
  return Float32Array.from(units.unitOf, (u) => keep[u]);
}

/** Throws unless `[m, n]` are integers with 1 <= m < n (m zeros in every n). */
export function checkMByN(value: unknown, name = 'sparsityMByN'): [number, number] {
  if (!Array.isArray(value) || value.length !== 2 || !value.every((v) => Number.isInteger(v)) ||
      !(value[0] >= 1 && value[0] < value[1])) {
    throw new ValueError(`${name} [m, n] puts m zeros in every n consecutive weights, so it must be ` +
        `two integers with 1 <= m < n; received ${formatValue(value)}.`);
  }
  return [value[0], value[1]];
}

/**
 * Zeroes the m smallest |w| of every n consecutive weights along `inputAxis`
 * (TFMOT's generate_m_by_n_mask). When the axis is not a multiple of n, the
 * last group is short: TFMOT pads it with zeros, which rank below every real
 * weight, so the group keeps its min(n - m, length) largest weights.
 */
export function mByNMask(w: ArrayLike<number>, shape: number[], inputAxis: number,
    mByN: [number, number]): Float32Array {
  const [m, n] = checkMByN(mByN);
  const mask = new Float32Array(w.length);
  const size = shape[inputAxis];
  const stride = strides(shape)[inputAxis];
  const inOf = axisIndex(shape, inputAxis);
  for (let i = 0; i < w.length; i++) {
    const start = inOf(i);
    if (start % n !== 0) {
      continue;  // each group is handled from its first element
    }
    const group = Array.from({length: Math.min(n, size - start)}, (_, j) => i + j * stride);
    // Ties go to the lower index, as TF's top_k picks them.
    group.sort((a, b) => Math.abs(w[b]) - Math.abs(w[a]) || a - b);
    for (const j of group.slice(0, n - m)) {
      mask[j] = 1;
    }
  }
  return mask;
}

/**
 * True if every group of n consecutive weights along `inputAxis` (the last
 * one possibly short) holds at most n - m non-zeros: TFMOT's
 * is_pruned_m_by_n.
 */
export function isPrunedMByN(w: ArrayLike<number>, shape: number[], inputAxis: number,
    mByN: [number, number]): boolean {
  const [m, n] = checkMByN(mByN);
  const size = shape[inputAxis];
  const stride = strides(shape)[inputAxis];
  const inOf = axisIndex(shape, inputAxis);
  for (let i = 0; i < w.length; i++) {
    const start = inOf(i);
    if (start % n === 0) {
      let nonZeros = 0;
      for (let j = 0; j < Math.min(n, size - start); j++) {
        nonZeros += w[i + j * stride] !== 0 ? 1 : 0;
      }
      if (nonZeros > n - m) {
        return false;
      }
    }
  }
  return true;
}
