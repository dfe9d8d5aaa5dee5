import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';

import {init, registerWasmTrainingKernels, VALID_BACKENDS} from '../../src/backend/index.js';
import type {BackendName} from '../../src/backend/index.js';
import {ValueError} from '../../src/errors.js';

const TRAINING_KERNELS = [
  tf.Conv2DBackpropFilter,
  tf.DepthwiseConv2dNativeBackpropFilter,
  tf.DepthwiseConv2dNativeBackpropInput,
  tf.UnsortedSegmentSum,
];

describe('init', () => {
  it('picks wasm here (tfjs-node is absent) and registers the training kernels', async () => {
    const handlers = process.listeners('uncaughtException').length;
    expect(await init()).toBe('wasm');
    // The wasm glue's rethrowing process handlers are removed, so a user's
    // uncaught error is reported by Node, not as a dump of the glue source.
    expect(process.listeners('uncaughtException').length).toBe(handlers);
    expect(tf.getBackend()).toBe('wasm');
    for (const name of TRAINING_KERNELS) {
      expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
    }
    // Already registered: a second registration adds nothing.
    expect(registerWasmTrainingKernels()).toEqual([]);
  });

  it('can be called twice, also concurrently', async () => {
    expect(await init()).toBe('wasm');
    expect(await init()).toBe('wasm');
    expect(await Promise.all([init(), init({backend: 'cpu'}), init()]))
        .toEqual(['wasm', 'cpu', 'wasm']);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('uses an explicitly requested backend', async () => {
    expect(await init({backend: 'cpu'})).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await init({backend: 'wasm'})).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('throws a ValueError naming tfjs-node when tensorflow is requested but absent', async () => {
    const error = await init({backend: 'tensorflow'}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValueError);
    const message = (error as Error).message;
    expect(message).toContain(`backend 'tensorflow' could not be started`);
    expect(message).toContain('@tensorflow/tfjs-node');
    expect(message).toContain(`Allowed backends are 'tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'`);
    // The failed attempt leaves the active backend alone.
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects unknown backend names, listing the allowed ones', async () => {
    await expect(init({backend: 'webnn' as BackendName})).rejects.toThrow(ValueError);
    await expect(init({backend: 'webnn' as BackendName})).rejects.toThrow(
        `options.backend must be one of 'tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'; received "webnn"`);
    expect(VALID_BACKENDS).toEqual(['tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu']);
  });

  it('starts webgl and webgpu in Node only where registered: neither is, so naming one fails and says why', async () => {
    await expect(init({backend: 'webgl'})).rejects.toThrow(
        /backend 'webgl' could not be started: no WebGL backend is registered here/);
    await expect(init({backend: 'webgpu'})).rejects.toThrow(/import '@tensorflow\/tfjs-backend-webgpu' first/);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects a wasmPaths that is not a URL or a map of URLs', async () => {
    await expect(init({wasmPaths: 3 as unknown as string})).rejects.toThrow(
        /options.wasmPaths must be the URL of the folder serving tfjs-backend-wasm's .wasm files .*received number 3/);
    await expect(init({wasmPaths: ''})).rejects.toThrow(ValueError);
  });
});
