/**
 * deviceTopk keeps topk on a GPU backend: webgl hands topk to the CPU
 * (reading its input back) for a last dimension under
 * TOPK_LAST_DIM_CPU_HANDOFF_SIZE_THRESHOLD or k over
 * TOPK_K_CPU_HANDOFF_THRESHOLD, which every pruning mask update would hit.
 * A stand-in GPU backend (the cpu backend under another name, with a TopK
 * kernel that records the flags) shows they are lifted for the call and
 * restored after.
 */
// Registers the TOPK_* flags (in Node it registers no backend).
import '@tensorflow/tfjs-backend-webgl';
import * as tf from '@tensorflow/tfjs-core';
import {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {deviceTopk} from '../../src/pruning/device_masks.js';

const FLAGS = ['TOPK_LAST_DIM_CPU_HANDOFF_SIZE_THRESHOLD', 'TOPK_K_CPU_HANDOFF_THRESHOLD'];
const GPU = 'stand-in-gpu';
const seen: number[][] = [];

beforeAll(async () => {
  const cpuTopk = tf.getKernel(tf.TopK, 'cpu')!;
  tf.registerKernel({...cpuTopk, backendName: GPU, kernelFunc: (args) => {
    seen.push(FLAGS.map((f) => tf.env().getNumber(f)));
    return cpuTopk.kernelFunc(args);
  }});
  tf.registerBackend(GPU, () => new MathBackendCPU(), -1);
});

afterAll(async () => {
  tf.unregisterKernel(tf.TopK, GPU);
  tf.removeBackend(GPU);
  await tfmot.backend.init();
});

describe('deviceTopk', () => {
  it('lifts the CPU hand-off thresholds for its call on a GPU backend, then restores them', async () => {
    expect(await tf.setBackend(GPU)).toBe(true);
    const before = FLAGS.map((f) => tf.env().getNumber(f));
    expect(before).toEqual([100000, 128]);
    const indices = tf.tidy(() => Array.from(deviceTopk(tf.tensor1d([3, 1, 3, 2, 5]), 3).indices.dataSync()));
    // Ties to the lower index.
    expect(indices).toEqual([4, 0, 2]);
    expect(seen).toEqual([[0, Number.MAX_SAFE_INTEGER]]);
    expect(FLAGS.map((f) => tf.env().getNumber(f))).toEqual(before);
  });

  it('leaves the flags alone on wasm and cpu, where topk reads nothing back', async () => {
    const env = tf.env();
    const set = env.set;
    const sets: string[] = [];
    env.set = function(this: typeof env, flag, value) {
      sets.push(flag);
      return set.call(this, flag, value);
    };
    try {
      for (const backend of ['wasm', 'cpu', GPU] as const) {
        await tf.setBackend(backend);
        tf.tidy(() => deviceTopk(tf.tensor1d([1, 2]), 1));
      }
    } finally {
      env.set = set;
    }
    // Only the stand-in GPU backend's call set (and restored) the two flags.
    expect(sets).toEqual([...FLAGS, ...FLAGS]);
  });
});
