/**
 * The layers whose weights QAT quantizes and the int8 export lowers: where
 * each keeps its kernel, how its output channels are laid out, and its
 * forward computation from a given kernel. Computing it here (not through
 * the layer's own `call`) keeps the ops unfused, so training skips gradients
 * nobody needs, and BatchNorm folding stays one multiply.
 *
 * DepthwiseConv2D stores [h, w, in, multiplier]; its output channel is
 * in * multiplier + m, TFLite's dimension 3.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {NotSupportedError} from '../errors.js';

export interface KernelLayout {
  /** Attribute of the layer that holds the kernel LayerVariable. */
  kernelAttr: string;
  /** The kernel viewed as [..., outChannels]. */
  toChannelsLast(kernel: tf.Tensor): tf.Tensor;
  /** Inverse of `toChannelsLast` for a kernel of `shape`. */
  fromChannelsLast(view: tf.Tensor, shape: number[]): tf.Tensor;
  /** The layer's output before bias and activation, for kernel `kernel`. */
  forward(layer: tfl.layers.Layer, x: tf.Tensor, kernel: tf.Tensor): tf.Tensor;
}

type Config = tf.serialization.ConfigDict;
type Padding = 'same'|'valid';

function checkChannelsLast(layer: tfl.layers.Layer): Config {
  const config = layer.getConfig();
  if (config['dataFormat'] === 'channelsFirst') {
    throw new NotSupportedError(
        `Layer '${layer.name}' uses dataFormat 'channelsFirst'; quantization and TFLite ` +
        `need channelsLast (NHWC).`);
  }
  return config;
}

/** A layer's int-or-pair argument (strides, dilation, pool size) as [h, w]. */
export const pair = (v: unknown): [number, number] =>
    Array.isArray(v) ? [v[0] as number, (v[1] ?? v[0]) as number] : [v as number, v as number];

const KERNEL_LAYOUTS: Record<string, KernelLayout> = {
  Dense: {
    kernelAttr: 'kernel',
    toChannelsLast: (k) => k,
    fromChannelsLast: (v) => v,
    forward: (_layer, x, kernel) => {
      if (x.rank === 2) {
        return tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D);
      }
      const flat = tf.reshape(x, [-1, x.shape[x.rank - 1]]) as tf.Tensor2D;
      const y = tf.matMul(flat, kernel as tf.Tensor2D);
      return tf.reshape(y, [...x.shape.slice(0, -1), kernel.shape[1] as number]);
    },
  },
  Conv2D: {
    kernelAttr: 'kernel',
    toChannelsLast: (k) => k,
    fromChannelsLast: (v) => v,
    forward: (layer, x, kernel) => {
      const c = checkChannelsLast(layer);
      return tf.conv2d(
          x as tf.Tensor4D, kernel as tf.Tensor4D, pair(c['strides']), c['padding'] as Padding,
          'NHWC', pair(c['dilationRate'] ?? 1));
    },
  },
  DepthwiseConv2D: {
    kernelAttr: 'depthwiseKernel',
    toChannelsLast: (k) => {
      const [h, w, inChannels, multiplier] = k.shape as number[];
      return tf.reshape(k, [h, w, inChannels * multiplier]);
    },
    fromChannelsLast: (v, shape) => tf.reshape(v, shape),
    forward: (layer, x, kernel) => {
      const c = checkChannelsLast(layer);
      // tfjs-layers' DepthwiseConv2D ignores dilationRate; so do we, to
      // compute what the float model computes.
      return tf.depthwiseConv2d(
          x as tf.Tensor4D, kernel as tf.Tensor4D, pair(c['strides']), c['padding'] as Padding,
          'NHWC');
    },
  },
};

/** The kernel layout of a built-in layer class, or undefined. */
export function kernelLayout(className: string): KernelLayout|undefined {
  return KERNEL_LAYOUTS[className];
}
