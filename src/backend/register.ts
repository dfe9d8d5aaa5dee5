/**
 * Registers the gradient kernels that tfjs-backend-wasm 4.22 lacks, so
 * conv, depthwise and embedding models can train on wasm, and replaces its
 * slow Conv2DBackpropInput.
 */
import * as tf from '@tensorflow/tfjs-core';

import {checkOptionKeys, describeValue, ValueError} from '../errors.js';
import {conv2DBackpropFilter} from './kernels/conv2d_backprop_filter.js';
import {coversConv2DBackpropInput, fastConv2DBackpropInput} from './kernels/conv2d_backprop_input.js';
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

/** Options of `registerWasmTrainingKernels` (and of `init`). */
export interface WasmTrainingKernelOptions {
  /**
   * Replace tfjs-backend-wasm's own Conv2DBackpropInput kernel (the input
   * gradient of conv2d, also the forward pass of conv2dTranspose) with this
   * library's, which runs it as one XNNPACK conv2d, several times faster
   * (BENCHMARKS.md gives the measured speed-ups). Results match wasm's kernel to float rounding. Cases it does not
   * cover (a dilations attr other than 1, a dy that is not the forward
   * conv's output size) still run wasm's kernel. `false` puts wasm's own kernel back. Default true.
   */
  fastConvInputGradient?: boolean;
}

/** `options.fastConvInputGradient` with its default applied; throws unless boolean or undefined. */
export function checkFastConvInputGradient(value: unknown): boolean {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new ValueError(
        `options.fastConvInputGradient must be a boolean; received ${describeValue(value)}.`);
  }
  return value ?? true;
}

/**
 * Marks our Conv2DBackpropInput kernelFunc and holds the config it replaced.
 * A global symbol, so a second copy of this library recognizes it too.
 */
const REPLACED_CONFIG = Symbol.for('tfjs-model-optimization.replacedConv2DBackpropInput');

type FastKernelFunc = tf.KernelFunc & {[REPLACED_CONFIG]?: tf.KernelConfig};

/** wasm's original Conv2DBackpropInput config if ours is registered, else null. */
function replacedConv2DBackpropInput(): tf.KernelConfig | null {
  const current = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
  return (current?.kernelFunc as FastKernelFunc | undefined)?.[REPLACED_CONFIG] ?? null;
}

/** Installs (`fast` true) or removes our Conv2DBackpropInput; true if it changed anything. */
function setFastConv2DBackpropInput(fast: boolean): boolean {
  const replaced = replacedConv2DBackpropInput();
  if (fast === (replaced != null)) {
    return false;
  }
  if (!fast) {
    tf.unregisterKernel(tf.Conv2DBackpropInput, 'wasm');
    tf.registerKernel(replaced!);
    return true;
  }
  const original = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
  if (original == null) {
    // Not a wasm backend this library knows: nothing to fall back to.
    return false;
  }
  const kernelFunc: FastKernelFunc = (args) => coversConv2DBackpropInput(args) ?
      fastConv2DBackpropInput(args) :
      original.kernelFunc(args);
  kernelFunc[REPLACED_CONFIG] = original;
  tf.unregisterKernel(tf.Conv2DBackpropInput, 'wasm');
  // wasm's setupFunc binds the native function its kernelFunc calls; the
  // engine runs the setupFuncs of the kernels registered when the backend
  // initializes, so ours must carry it (and its disposeFunc) along.
  tf.registerKernel({...original, kernelFunc});
  return true;
}

/**
 * Registers Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter,
 * DepthwiseConv2dNativeBackpropInput and UnsortedSegmentSum for the 'wasm'
 * backend, each only if no wasm kernel of that name exists yet: a future
 * tfjs-backend-wasm that ships its own native kernel keeps it, and a
 * second call registers nothing.
 *
 * Also replaces wasm's own, slow Conv2DBackpropInput with a faster one
 * unless `options.fastConvInputGradient` is false (see
 * `WasmTrainingKernelOptions`); with false it puts wasm's own kernel back if
 * an earlier call had replaced it. Calling this again with the same option
 * changes nothing: the replacement is never wrapped twice.
 *
 * `init()` calls this already; call it yourself only if you select the wasm
 * backend without `init()`.
 *
 * @returns The names of the kernels this call changed: those it registered,
 *     and 'Conv2DBackpropInput' if it replaced wasm's kernel (or restored it,
 *     with `fastConvInputGradient: false`). Empty if nothing changed.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-wasm';
 * import * as tfmot from 'tfjs-model-optimization';
 *
 * tfmot.backend.registerWasmTrainingKernels();  // [...4 names, 'Conv2DBackpropInput']
 * await tf.setBackend('wasm');
 * ```
 */
export function registerWasmTrainingKernels(options: WasmTrainingKernelOptions = {}): string[] {
  checkOptionKeys(options, ['fastConvInputGradient'], 'registerWasmTrainingKernels options');
  const fast = checkFastConvInputGradient(options.fastConvInputGradient);
  const registered: string[] = [];
  for (const config of WASM_TRAINING_KERNELS) {
    if (tf.getKernel(config.kernelName, 'wasm') == null) {
      tf.registerKernel(config);
      registered.push(config.kernelName);
    }
  }
  if (setFastConv2DBackpropInput(fast)) {
    registered.push(tf.Conv2DBackpropInput);
  }
  return registered;
}
