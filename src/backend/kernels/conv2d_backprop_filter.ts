/**
 * Conv2DBackpropFilter for wasm: the filter gradient of conv2d (and of
 * conv2dTranspose), which tfjs-backend-wasm 4.22 does not implement.
 */
import * as tf from '@tensorflow/tfjs-core';

import {computeWithTensors, convInputWindow, KernelArgs} from './kernel_utils.js';

/**
 * dW[i, j, c, k] = sum over n, p, q of
 *   x[n, p*stride + i*dilation - pad, q*stride + j*dilation - pad, c] * dy[n, p, q, k].
 * That is itself a 'valid' conv2d: input channels c become the batch, the
 * batch n becomes the reduced channel axis, dy is the filter, and stride and
 * dilation swap roles. wasm runs that one conv natively (XNNPACK).
 */
export function conv2DBackpropFilter(
    {inputs, backend, attrs}: KernelArgs): tf.TensorInfo {
  const {x, dy} = inputs as tf.Conv2DBackpropFilterInputs;
  const {strides, pad, dataFormat, dimRoundingMode, filterShape} =
      attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  return computeWithTensors(
      backend as tf.KernelBackend, [x, dy], (xIn, dyIn) => {
        let x4 = xIn as tf.Tensor4D;
        let dy4 = dyIn as tf.Tensor4D;
        if (dataFormat === 'NCHW') {
          x4 = tf.transpose(x4, [0, 2, 3, 1]);
          dy4 = tf.transpose(dy4, [0, 2, 3, 1]);
        }
        // The op has no dilations attr: conv2d gradients require dilation 1.
        const info = tf.backend_util.computeConv2DInfo(
            x4.shape, filterShape, strides, 1, pad, dimRoundingMode);
        const input = tf.transpose(convInputWindow(x4, info), [3, 1, 2, 0]);
        const filter = tf.transpose(dy4, [1, 2, 0, 3]);
        const grad = tf.conv2d(
            input, filter, [info.dilationHeight, info.dilationWidth], 'valid',
            'NHWC', [info.strideHeight, info.strideWidth]);
        return tf.transpose(grad, [1, 2, 0, 3]);
      });
}
