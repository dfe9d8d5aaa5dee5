/**
 * Shared helpers for the backend tests: deterministic data and running the
 * same computation on the wasm and cpu backends.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradient functions; tfjs-layers' node bundle
// registers all of them (in tfjs' global registry), as the library's users get.
import '@tensorflow/tfjs-layers';
import {expect} from 'vitest';

import {relativeError} from '../helpers/compare.js';

/** Deterministic values in [-1, 1) (an LCG), so failures reproduce. */
export function randomValues(size: number, seed: number): Float32Array {
  const values = new Float32Array(size);
  let state = (seed * 2654435761) >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state / 2 ** 31 - 1;
  }
  return values;
}

/** A random float32 tensor on the active backend. */
export function randomTensor<R extends tf.Rank>(shape: number[], seed: number): tf.Tensor<R> {
  return tf.tensor(randomValues(tf.util.sizeFromShape(shape), seed), shape) as unknown as tf.Tensor<R>;
}

export interface Result {
  shape: number[];
  values: Float32Array | Int32Array;
}

/**
 * Runs `compute` on `backend` and copies its outputs out. Tensors are made
 * inside `compute`, so they live on that backend.
 */
export async function runOn(
    backend: 'wasm' | 'cpu', compute: () => tf.Tensor | tf.Tensor[]): Promise<Result[]> {
  if (!(await tf.setBackend(backend))) {
    throw new Error(`backend ${backend} did not start`);
  }
  const outputs = tf.tidy(compute);
  const list = Array.isArray(outputs) ? outputs : [outputs];
  const results = list.map((t) => ({
    shape: t.shape.slice(),
    values: (t.dataSync() as Float32Array | Int32Array).slice(),
  }));
  tf.dispose(list);
  return results;
}

/** Asserts equal shapes and relative error (test/helpers/compare.ts) below `tolerance`. */
export function expectResultsClose(actual: Result[], expected: Result[], tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    expect(a.shape).toEqual(expected[i].shape);
    expect(relativeError(a.values, expected[i].values)).toBeLessThan(tolerance);
  });
}

/** Same computation on wasm and cpu, compared. */
export async function expectWasmMatchesCpu(
    compute: () => tf.Tensor | tf.Tensor[], tolerance = 1e-5): Promise<void> {
  const wasm = await runOn('wasm', compute);
  const cpu = await runOn('cpu', compute);
  expectResultsClose(wasm, cpu, tolerance);
}

/** Forward output shape [N, oH, oW, C] of a (depthwise) conv, for sizing dy. */
export function convOutShape(
    inShape: number[], filterShape: number[], strides: number,
    pad: 'same' | 'valid', dilations = 1, depthwise = false): number[] {
  return tf.backend_util
      .computeConv2DInfo(
          inShape as [number, number, number, number],
          filterShape as [number, number, number, number], strides, dilations,
          pad, undefined, depthwise)
      .outShape;
}
