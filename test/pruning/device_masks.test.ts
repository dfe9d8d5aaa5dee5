/**
 * The backend masks (src/pruning/device_masks.ts) against the JS reference
 * (src/pruning/masks.ts) over random and tie-heavy weights, for every
 * structure and the kernel layouts of Dense, Conv1D, Conv2D, depthwise,
 * Conv2DTranspose and Embedding, on the wasm and cpu backends.
 */
import * as tf from '@tensorflow/tfjs-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {deviceMasks, deviceMByNMask} from '../../src/pruning/device_masks.js';
import {expandMask, makeUnits, MaskStructure, mByNMask, selectUnits} from '../../src/pruning/masks.js';
import {lcg} from '../helpers/models.js';

const UNSTRUCTURED: MaskStructure = {blockSize: [1, 1], blockPooling: 'AVG', mByN: null, structure: 'unstructured'};
const STRUCTURES: Array<[string, MaskStructure]> = [
  ['unstructured', UNSTRUCTURED],
  ['blocks 2x2 AVG', {...UNSTRUCTURED, blockSize: [2, 2]}],
  ['blocks 2x2 MAX', {...UNSTRUCTURED, blockSize: [2, 2], blockPooling: 'MAX'}],
  ['blocks 3x2 AVG (partial blocks)', {...UNSTRUCTURED, blockSize: [3, 2]}],
  ['blocks 1x4 MAX (partial blocks)', {...UNSTRUCTURED, blockSize: [1, 4], blockPooling: 'MAX'}],
  ['filters', {...UNSTRUCTURED, structure: 'filters'}],
];

/** Kernel layouts: shape, output axis, input axis (as the layer registry gives them). */
const LAYOUTS: Array<[string, number[], number, number]> = [
  ['dense', [12, 7], 1, 0],
  ['conv1d', [3, 4, 5], 2, 1],
  ['conv2d', [3, 3, 4, 6], 3, 2],
  ['depthwise', [3, 3, 5, 2], 3, 2],
  ['conv2dTranspose', [2, 2, 5, 3], 2, 3],
  ['embedding', [10, 6], 0, 0],
];

const SPARSITIES = [0, 0.3, 0.5, 0.8, 0.95];

/**
 * Random weights, or tie-heavy ones: multiples of 1/4 in [-1, 1], whose
 * block sums and squared norms are exact in float32 as in float64, so ties
 * are ties on both sides (float32 scores of random weights could round two
 * float64 scores into one; see device_masks.ts).
 */
function weights(size: number, seed: number, ties: boolean): Float32Array {
  const values = lcg(size, seed);
  return ties ? values.map((v) => Math.round(v * 4) / 4) : values;
}

function referenceMasks(values: Float32Array[], shapes: number[][], axes: number[], s: MaskStructure,
    sparsity: number, global: boolean): Float32Array[] {
  const units = values.map((v, i) => makeUnits(v, shapes[i], axes[i], s));
  const keeps = global ? selectUnits(units, sparsity, s.structure === 'filters') :
    units.map((u) => selectUnits([u], sparsity)[0]);
  return units.map((u, i) => expandMask(u, keeps[i]));
}

const smallestKept = (values: Float32Array, mask: Float32Array) => {
  const kept = Array.from(values).filter((_, i) => mask[i] === 1).map(Math.abs);
  return kept.length > 0 ? Math.min(...kept) : 0;
};

/** The device masks and thresholds as plain arrays. */
function onDevice(values: Float32Array[], shapes: number[][], axes: number[], s: MaskStructure, sparsity: number,
    global: boolean): Array<{mask: number[], threshold: number}> {
  return tf.tidy(() => deviceMasks(values.map((v, i) => ({value: tf.tensor(v, shapes[i]), outputAxis: axes[i]})),
      s, sparsity, global).map(({mask, threshold}) => {
    expect(mask.dtype).toBe('float32');
    return {mask: Array.from(mask.dataSync()), threshold: threshold.dataSync()[0]};
  }));
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`device masks equal the JS reference on ${backend}`, () => {
    let tensorsBefore = 0;
    beforeAll(async () => {
      await tfmot.backend.init({backend});
      tensorsBefore = tf.memory().numTensors;
    });
    afterAll(() => {
      expect(tf.memory().numTensors).toBe(tensorsBefore);
    });

    for (const [structureName, s] of STRUCTURES) {
      it(`${structureName}: every layout, random and tied weights, every sparsity`, () => {
        let cases = 0;
        LAYOUTS.forEach(([layout, shape, outputAxis], li) => {
          const size = shape.reduce((a, b) => a * b, 1);
          const cols = shape[outputAxis];
          // Blocks larger than the 2-D view are rejected at build time; skip them here too.
          if (s.blockSize[0] > size / cols || s.blockSize[1] > cols) {
            return;
          }
          for (const ties of [false, true]) {
            const values = weights(size, 11 * li + (ties ? 1 : 0) + 1, ties);
            for (const sparsity of SPARSITIES) {
              const [expected] = referenceMasks([values], [shape], [outputAxis], s, sparsity, false);
              const [got] = onDevice([values], [shape], [outputAxis], s, sparsity, false);
              const what = `${layout} ${ties ? 'tied' : 'random'} sparsity ${sparsity}`;
              expect(got.mask, what).toEqual(Array.from(expected));
              expect(got.threshold, what).toBe(smallestKept(values, expected));
              cases++;
            }
          }
        });
        expect(cases).toBeGreaterThanOrEqual(40);
      });
    }

    for (const [structureName, s] of STRUCTURES) {
      it(`global scope, ${structureName}: three tensors compete for the kept weights`, () => {
        // Dense, conv2d and embedding kernels together; filters keep equal sizes per tensor.
        const layouts = [LAYOUTS[0], LAYOUTS[2], LAYOUTS[5]];
        const shapes = layouts.map(([, shape]) => shape);
        const axes = layouts.map(([, , axis]) => axis);
        for (const ties of [false, true]) {
          const values = shapes.map((shape, i) => weights(shape.reduce((a, b) => a * b, 1), 100 + i, ties));
          for (const sparsity of SPARSITIES) {
            const expected = referenceMasks(values, shapes, axes, s, sparsity, true);
            const got = onDevice(values, shapes, axes, s, sparsity, true);
            got.forEach((g, i) => {
              const what = `tensor ${i} ${ties ? 'tied' : 'random'} sparsity ${sparsity}`;
              expect(g.mask, what).toEqual(Array.from(expected[i]));
              expect(g.threshold, what).toBe(smallestKept(values[i], expected[i]));
            });
          }
        }
      });
    }

    it('m-by-n: every layout and [m, n] (short last groups too), random and tied weights', () => {
      for (const [layout, shape, , inputAxis] of LAYOUTS) {
        const size = shape.reduce((a, b) => a * b, 1);
        for (const mByN of [[2, 4], [1, 3], [3, 8], [1, 2]] as Array<[number, number]>) {
          for (const ties of [false, true]) {
            const values = weights(size, size + mByN[1], ties);
            const expected = mByNMask(values, shape, inputAxis, mByN);
            const got = tf.tidy(() => Array.from(deviceMByNMask(tf.tensor(values, shape), inputAxis, mByN).dataSync()));
            expect(got, `${layout} ${mByN} ${ties ? 'tied' : 'random'}`).toEqual(Array.from(expected));
          }
        }
      }
    });

    it('all weights equal: the first units by position, exactly the kept count', () => {
      const values = new Float32Array(24).fill(0.5);
      for (const [, s] of STRUCTURES) {
        const [expected] = referenceMasks([values], [[4, 6]], [1], s, 0.5, false);
        const [got] = onDevice([values], [[4, 6]], [1], s, 0.5, false);
        expect(got.mask).toEqual(Array.from(expected));
      }
    });

    it('rejects sparsities outside [0, 1) as the reference does', () => {
      expect(() => tf.tidy(() => {
        deviceMasks([{value: tf.ones([2, 2]), outputAxis: 1}], UNSTRUCTURED, 1, false);
      })).toThrow(/sparsity must be in \[0, 1\); received 1/);
    });
  });
}
