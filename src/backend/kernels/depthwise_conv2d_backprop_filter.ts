/**
 * DepthwiseConv2dNativeBackpropFilter for wasm: the filter gradient of
 * depthwiseConv2d (DepthwiseConv2D and SeparableConv2D layers).
 */
import * as tf from '@tensorflow/tfjs-core';

import {computeWithTensors, convInputWindow, KernelArgs} from './kernel_utils.js';

/**
 * dW[i, j, c, m] = sum over n, p, q of
 *   x[n, p*stride + i*dilation - pad, ..., c] * dy[n, p, q, c*M + m].
 * With (c, n) folded into the channel axis this is one 'valid'
 * depthwiseConv2d of the input window with dy as the filter (stride and
 * dilation swapped); summing over n afterwards gives the gradient. Unlike a
 * dense conv2d over all channels, no cross-channel products are wasted.
 */
export function depthwiseConv2dNativeBackpropFilter(
    {inputs, backend, attrs}: KernelArgs): tf.TensorInfo {
  const {x, dy} = inputs as tf.DepthwiseConv2dNativeBackpropFilterInputs;
  const {strides, dilations, pad, dimRoundingMode, filterShape} =
      attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  return computeWithTensors(
      backend as tf.KernelBackend, [x, dy], (xIn, dyIn) => {
        const info = tf.backend_util.computeConv2DInfo(
            xIn.shape as [number, number, number, number], filterShape,
            strides, dilations, pad, dimRoundingMode, true);
        const [batch, , , channels] = info.inShape;
        const [filterHeight, filterWidth, , multiplier] = filterShape;
        const window = convInputWindow(xIn as tf.Tensor4D, info);
        const [, windowHeight, windowWidth] = window.shape;
        // [N, H, W, C] -> [1, H, W, C*N], channel index c*N + n.
        const input = tf.reshape(
            tf.transpose(window, [1, 2, 3, 0]),
            [1, windowHeight, windowWidth, channels * batch]);
        // [N, oH, oW, C*M] -> [oH, oW, C*N, M], matching the input channels.
        const filter = tf.reshape(
            tf.transpose(
                tf.reshape(dyIn, [batch, info.outHeight, info.outWidth, channels, multiplier]),
                [1, 2, 3, 0, 4]),
            [info.outHeight, info.outWidth, channels * batch, multiplier]);
        const perSample = tf.depthwiseConv2d(
            input as tf.Tensor4D, filter as tf.Tensor4D,
            [info.dilationHeight, info.dilationWidth], 'valid', 'NHWC',
            [info.strideHeight, info.strideWidth]);
        return tf.sum(
            tf.reshape(
                perSample, [filterHeight, filterWidth, channels, batch, multiplier]),
            3);
      });
}
