/**
 * TFMOT's sparsity/keras/pruning_utils_test.py, ported. Its m-by-n cases
 * have literal weights and masks and run against our mask functions; its
 * pooling and expansion cases compare two TF computations on random
 * weights, so here they check the same property (block scores are the
 * pooled magnitudes, block masks expand like a Kronecker product) on seeded
 * weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {ValueError} from '../../src/errors.js';
import {expandMask, isPrunedMByN, makeUnits, MaskStructure, mByNMask} from '../../src/pruning/masks.js';
import {updatePruningStep} from '../../src/pruning/mask_update.js';
import {lcg} from '../helpers/models.js';

const {sparsity} = tfmot;

/** TFMOT's window shapes (named_parameters of PruningUtilsParameterizedTest). */
const WINDOWS: Array<[number, number]> = [[1, 1], [4, 4], [6, 6], [1, 4], [4, 1], [1, 8], [8, 1]];
/**
 * Smaller than TFMOT's [1024, 2048]. 47 columns leave every window one short
 * at the end, where TF's SAME pooling pads one column after (none before),
 * so its windows start at 0 like ours (see the last difference below).
 */
const ROWS = 48;
const COLS = 47;

const blocks = (blockSize: [number, number], blockPooling: 'AVG'|'MAX'): MaskStructure =>
  ({blockSize, blockPooling, mByN: null, structure: 'unstructured'});

/** Pools |w| of a [rows, cols] matrix over [br, bc] windows from (0, 0); averages count real entries only. */
function pool(w: Float32Array, [br, bc]: [number, number], type: 'AVG'|'MAX'): number[] {
  const out: number[] = [];
  for (let r0 = 0; r0 < ROWS; r0 += br) {
    for (let c0 = 0; c0 < COLS; c0 += bc) {
      const cells: number[] = [];
      for (let r = r0; r < Math.min(r0 + br, ROWS); r++) {
        for (let c = c0; c < Math.min(c0 + bc, COLS); c++) {
          cells.push(Math.abs(w[r * COLS + c]));
        }
      }
      out.push(type === 'MAX' ? Math.max(...cells) : cells.reduce((a, b) => a + b, 0) / cells.length);
    }
  }
  return out;
}

beforeAll(async () => {
  await tfmot.backend.init();
});

describe('PruningUtilsParameterizedTest (pruning_utils_test.py)', () => {
  describe.each(WINDOWS)('window %i x %i', (br, bc) => {
    const w = lcg(ROWS * COLS, br * 10 + bc);

    it('testFactorizedAvgPool', () => {
      const units = makeUnits(w, [ROWS, COLS], 1, blocks([br, bc], 'AVG'));
      const expected = pool(w, [br, bc], 'AVG');
      expect(units.scores.length).toBe(expected.length);
      units.scores.forEach((s, i) => expect(s).toBeCloseTo(expected[i], 6));
    });

    it('testFactorizedMaxPool', () => {
      const units = makeUnits(w, [ROWS, COLS], 1, blocks([br, bc], 'MAX'));
      expect(Array.from(units.scores)).toEqual(pool(w, [br, bc], 'MAX'));
    });

    it('testExpandTensor', () => {
      const units = makeUnits(w, [ROWS, COLS], 1, blocks([br, bc], 'AVG'));
      const keep = Uint8Array.from(units.scores, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
      const blockCols = Math.ceil(COLS / bc);
      // Kronecker product of the block grid with ones([br, bc]), cut to the weight's shape.
      const kron = Array.from({length: ROWS * COLS}, (_, i) =>
        keep[Math.floor(Math.floor(i / COLS) / br) * blockCols + Math.floor((i % COLS) / bc)]);
      expect(Array.from(expandMask(units, keep))).toEqual(kron);
    });
  });
});

describe('GenerateMbyNMaskTest (pruning_utils_test.py)', () => {
  // TFMOT's generate_m_by_n_mask groups along the last axis of a 2-D tensor: axis 1 here.
  const cases: Array<[string, number[][], [number, number], number[][]]> = [
    ['wt_2x1_mbyn_2x4', [[1.24], [1.11]], [2, 4], [[1], [1]]],
    ['wt_2x3_mbyn_2x4', [[-0.49, -0.66, 0.42], [0.31, 0.63, -1.63]], [2, 4], [[1, 1, 0], [0, 1, 1]]],
    ['wt_2x3_mbyn_1x2', [[-0.49, -0.66, 0.42], [0.31, 0.63, -1.63]], [1, 2], [[0, 1, 1], [0, 1, 1]]],
    ['wt_2x4_mbyn_2x4', [[0.25, -1.33, 0.43, -0.11], [0.47, 0.92, -0.13, -2.23]], [2, 4], [[0, 1, 1, 0], [0, 1, 0, 1]]],
    ['wt_2x5_mbyn_3x5', [[1.71, -0.27, -0.3, -0.61, -0.19], [-0.4, 1.12, 0.46, -1.12, 0.17]], [3, 5],
      [[1, 0, 0, 1, 0], [0, 1, 0, 1, 0]]],
  ];
  it.each(cases)('testGenerateMbyNMask %s', (_name, weights, mByN, expected) => {
    const shape = [weights.length, weights[0].length];
    expect(Array.from(mByNMask(weights.flat(), shape, 1, mByN))).toEqual(expected.flat());
  });

  it.each([[[4, 4]], [[5, 4]]] as Array<[[number, number]]>)('testGenerateMbyNMaskRaise %j', (mByN) => {
    expect(() => mByNMask(lcg(10, 3), [2, 5], 1, mByN)).toThrow(ValueError);
    expect(() => sparsity.pruneLowMagnitude(tfl.layers.dense({units: 2}), {sparsityMByN: mByN}))
        .toThrow(/sparsityMByN \[m, n\] puts m zeros in every n/);
  });

  it('testGenerateMbyNMask wt_2x3_mbyn_2x4 as a Dense kernel [3 in, 2 out] through the wrapper', () => {
    // TFMOT's wt_2x3 case transposed into a Dense kernel: TFMOT transposes it back before grouping.
    const layer = sparsity.pruneLowMagnitude(tfl.layers.dense({units: 2, useBias: false}), {sparsityMByN: [2, 4]});
    layer.apply(tfl.input({shape: [3]}));
    tf.tidy(() => layer.layer.setWeights([tf.tensor2d([[-0.49, 0.31], [-0.66, 0.63], [0.42, -1.63]])]));
    updatePruningStep([layer], 0);
    expect(Array.from(layer.masks[0].read().dataSync())).toEqual([1, 0, 1, 1, 0, 1]);
  });
});

describe('IsPrunedMbyNTest (pruning_utils_test.py)', () => {
  const cases: Array<[number[][], 'C_OUT'|'C_IN', boolean, [number, number]?]> = [
    [[[1, 2, 0, 0]], 'C_OUT', true],
    [[[1, 2, 0, 0]], 'C_OUT', false, [1, 2]],
    [[[1, 0, 2, 0]], 'C_OUT', true, [1, 2]],
    [[[1, 2, 3, 4]], 'C_OUT', false],
    [[[0, 0, 0, 0]], 'C_OUT', true],
    [[[1, 2, 0, 4], [0, 0, 1, 2]], 'C_OUT', false],
    [[[1, 2, 0, 0], [0, 0, 0, 1], [0, 2, 1, 0]], 'C_OUT', true],
    [[[1, 2, 0, 0], [1, 0, 0, 1], [0, 2, 1, 0]], 'C_IN', true],
    [[[1, 2, 3, 4, 5, 6]], 'C_OUT', false],
    [[[1, 2, 0, 0, 5, 6]], 'C_OUT', true],
    [[[1, 2, 0, 0, 5, 6, 7]], 'C_OUT', false],
    [[[1, 2, 0, 0, 5, 6, 0]], 'C_OUT', true],
  ];
  it.each(cases)('testIsPruned2by4 %j %s -> %s', (rows, lastChannel, expected, mByN = [2, 4]) => {
    if (lastChannel === 'C_OUT') {
      // TFMOT transposes the rows into a Dense kernel [in, out]; groups run along the input axis 0.
      const kernel = rows[0].flatMap((_, i) => rows.map((row) => row[i]));
      expect(isPrunedMByN(kernel, [rows[0].length, rows.length], 0, mByN)).toBe(expected);
    } else {
      expect(isPrunedMByN(rows.flat(), [rows.length, rows[0].length], 1, mByN)).toBe(expected);
    }
  });
});

/** Prunes `layer` at [2, 4] once and returns its pruned weight and the shape. */
function pruneOnce(layer: tfl.layers.Layer, inputShape: number[], inputDtype: 'float32'|'int32' = 'float32'):
    {values: Float32Array, shape: number[]} {
  const wrapper = sparsity.pruneLowMagnitude(layer, {sparsityMByN: [2, 4]});
  wrapper.apply(tfl.input({shape: inputShape, dtype: inputDtype}));
  const variable = wrapper.weightVariable(wrapper.weightSpecs[0]);
  const values = tf.tensor(lcg(variable.shape.reduce((a, b) => a! * b!, 1)!, 5), variable.shape as number[]);
  variable.write(values);
  values.dispose();
  updatePruningStep([wrapper], 0);
  return {values: Float32Array.from(variable.read().dataSync()), shape: variable.shape as number[]};
}

describe('m-by-n weight layouts (weights_rearrange, pruning_utils.py)', () => {
  it('Embedding [vocab 8, dim 4]: groups along the vocabulary (axis 0), as TFMOT groups every 2-D weight', () => {
    const {values, shape} = pruneOnce(tfl.layers.embedding({inputDim: 8, outputDim: 4}), [3], 'int32');
    expect(isPrunedMByN(values, shape, 0, [2, 4])).toBe(true);
    expect(isPrunedMByN(values, shape, 1, [2, 4])).toBe(false);
  });

  it('Conv2D [h, w, in 8, out 3]: groups along the input channels (axis 2), as TFMOT', () => {
    const {values, shape} = pruneOnce(tfl.layers.conv2d({filters: 3, kernelSize: 2}), [4, 4, 8]);
    expect(isPrunedMByN(values, shape, 2, [2, 4])).toBe(true);
    expect(isPrunedMByN(values, shape, 3, [2, 3])).toBe(false);
  });
});

describe('deliberate differences from pruning_utils.py', () => {
  it('Conv2DTranspose [h, w, out 8, in 8]: groups along its input channels (axis 3; TFMOT: axis 2, the outputs)', () => {
    const {values, shape} = pruneOnce(tfl.layers.conv2dTranspose({filters: 8, kernelSize: 2}), [3, 3, 8]);
    expect(isPrunedMByN(values, shape, 3, [2, 4])).toBe(true);
    expect(isPrunedMByN(values, shape, 2, [2, 4])).toBe(false);
  });

  it('testWeightsRearrangeRaise [2, 2, 2]: a 3-D kernel (Conv1D) is pruned m-by-n along its input axis', () => {
    const layer = sparsity.pruneLowMagnitude(tfl.layers.conv1d({filters: 2, kernelSize: 2, useBias: false}),
        {sparsityMByN: [2, 4]});
    layer.apply(tfl.input({shape: [5, 4]}));
    updatePruningStep([layer], 0);
    const kernel = layer.layer.getWeights()[0];
    expect(kernel.shape).toEqual([2, 4, 2]);
    expect(isPrunedMByN(kernel.dataSync(), [2, 4, 2], layer.weightSpecs[0].inputAxis, [2, 4])).toBe(true);
    expect(Array.from(layer.masks[0].read().dataSync()).filter((v) => v === 1)).toHaveLength(8);
  });

  it('blocks over a dimension not a multiple of the block start at 0 (TFMOT pools SAME-padded windows offset from its mask blocks)', () => {
    // Kernel [4 in, 2 out], block [3, 1], half the blocks: ours scores rows
    // {0, 1, 2} (mean 4) and {3} (0.1) of each column and keeps the first.
    // TFMOT pads one row before and one after, pools {0, 1} and {2, 3} but
    // expands its mask from row 0, so it keeps row 3 (0.1) and prunes the 10s.
    const layer = sparsity.pruneLowMagnitude(tfl.layers.dense({units: 2, useBias: false}), {blockSize: [3, 1],
      pruningSchedule: new sparsity.ConstantSparsity({targetSparsity: 0.5, beginStep: 0})});
    layer.apply(tfl.input({shape: [4]}));
    tf.tidy(() => layer.layer.setWeights([tf.tensor2d([[1, 1], [1, 1], [10, 10], [0.1, 0.1]])]));
    updatePruningStep([layer], 0);
    expect(Array.from(layer.masks[0].read().dataSync())).toEqual([1, 1, 1, 1, 1, 1, 0, 0]);
  });
});
