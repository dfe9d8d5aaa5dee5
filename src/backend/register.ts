/**
 * Registers the gradient kernels that tfjs-backend-wasm 4.22 lacks, so
 * conv, depthwise and embedding models can train on wasm.
 */
import * as tf from '@tensorflow/tfjs-core';

import {conv2DBackpropFilter} from './kernels/conv2d_backprop_filter.js';
import {depthwiseConv2dNativeBackpropFilter} from './kernels/depthwise_conv2d_backprop_filter.js';
import {depthwiseConv2dNativeBackpropInput} from './kernels/depthwise_conv2d_backprop_input.js';
import {unsortedSegmentSum} from './kernels/unsorted_segment_sum.js';

const WASM_TRAINING_KERNELS: readonly tf.KernelConfig[] = [
  {kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: conv2DBackpropFilter},
  {
    kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
    backendName: 'wasm',
    kernelFunc: depthwiseConv2dNativeBackpropFilter,
  },
  {
    kernelName: tf.DepthwiseConv2dNativeBackpropInput,
    backendName: 'wasm',
    kernelFunc: depthwiseConv2dNativeBackpropInput,
  },
  {kernelName: tf.UnsortedSegmentSum, backendName: 'wasm', kernelFunc: unsortedSegmentSum},
];

/**
 * Registers Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter,
 * DepthwiseConv2dNativeBackpropInput and UnsortedSegmentSum for the 'wasm'
 * backend, each only if no wasm kernel of that name exists yet: a future
 * tfjs-backend-wasm that ships its own native kernel keeps it, and a
 * second call registers nothing.
 *
 * `init()` calls this already; call it yourself only if you select the wasm
 * backend without `init()`.
 *
 * @returns The kernel names this call registered (empty if none were missing).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-wasm';
 * import * as tfmot from 'tfjs-model-optimization';
 *
 * tfmot.backend.registerWasmTrainingKernels();
 * await tf.setBackend('wasm');
 * ```
 */
export function registerWasmTrainingKernels(): string[] {
  const registered: string[] = [];
  for (const config of WASM_TRAINING_KERNELS) {
    if (tf.getKernel(config.kernelName, 'wasm') == null) {
      tf.registerKernel(config);
      registered.push(config.kernelName);
    }
  }
  return registered;
}
