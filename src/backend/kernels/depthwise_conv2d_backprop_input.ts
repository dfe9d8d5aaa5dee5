/**
 * DepthwiseConv2dNativeBackpropInput for wasm: the input gradient of
 * depthwiseConv2d (needed by any depthwise layer that is not the first).
 */
import * as tf from '@tensorflow/tfjs-core';

import {computeWithTensors, KernelArgs, padOrCropSpatial} from './kernel_utils.js';

/**
 * The transposed depthwise conv: spread dy onto the stride grid (zeros in
 * between), pad it so every input pixel sees the whole filter, and correlate
 * with the spatially flipped filter at the forward dilation. Each of the C*M
 * dy channels uses its own filter slice (multiplier 1); summing the M
 * channels of each input channel finishes the job.
 */
export function depthwiseConv2dNativeBackpropInput(
    {inputs, backend, attrs}: KernelArgs): tf.TensorInfo {
  const {dy, filter} = inputs as tf.DepthwiseConv2dNativeBackpropInputInputs;
  const {strides, dilations, pad, dimRoundingMode, inputShape} =
      attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  return computeWithTensors(
      backend as tf.KernelBackend, [dy, filter], (dyIn, filterIn) => {
        const info = tf.backend_util.computeConv2DInfo(
            inputShape, filterIn.shape as [number, number, number, number],
            strides, dilations, pad, dimRoundingMode, true);
        const [batch, height, width, channels] = inputShape;
        const [filterHeight, filterWidth, , multiplier] = info.filterShape;
        const outChannels = channels * multiplier;
        const {strideHeight, strideWidth} = info;

        let spread = dyIn as tf.Tensor4D;
        if (strideHeight > 1 || strideWidth > 1) {
          // [N, oH, 1, oW, 1, CM] padded to [N, oH, sH, oW, sW, CM]: each dy
          // value followed by stride - 1 zeros on both axes.
          const grid = tf.pad(
              tf.reshape(spread, [batch, info.outHeight, 1, info.outWidth, 1, outChannels]),
              [[0, 0], [0, 0], [0, strideHeight - 1], [0, 0], [0, strideWidth - 1], [0, 0]]);
          spread = tf.reshape(grid, [
            batch, info.outHeight * strideHeight, info.outWidth * strideWidth,
            outChannels
          ]);
        }
        // dx[y] = sum_i spread[y + padTop - i*dilation] * w[i]: a 'valid'
        // correlation with the flipped filter once `spread` starts
        // (effectiveFilter - 1 - padTop) rows early and covers every y.
        const top = info.effectiveFilterHeight - 1 - info.padInfo.top;
        const left = info.effectiveFilterWidth - 1 - info.padInfo.left;
        const bottom = height + info.effectiveFilterHeight - 1 - top - spread.shape[1];
        const right = width + info.effectiveFilterWidth - 1 - left - spread.shape[2];
        const padded = padOrCropSpatial(spread, top, bottom, left, right);
        const flipped = tf.reshape(
            tf.reverse(filterIn, [0, 1]), [filterHeight, filterWidth, outChannels, 1]);
        const perChannel = tf.depthwiseConv2d(
            padded, flipped as tf.Tensor4D, 1, 'valid', 'NHWC',
            [info.dilationHeight, info.dilationWidth]);
        if (multiplier === 1) {
          return perChannel;
        }
        return tf.sum(
            tf.reshape(perChannel, [batch, height, width, channels, multiplier]), 4);
      });
}
