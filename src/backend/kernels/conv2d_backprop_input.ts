/**
 * A faster Conv2DBackpropInput for wasm: the input gradient of conv2d (every
 * conv layer but the first needs it) and the forward pass of conv2dTranspose.
 * tfjs-backend-wasm 4.22 has its own kernel, a plain loop nest that takes
 * several times as long as the forward conv; this one runs the same arithmetic as one
 * XNNPACK conv2d.
 */
import * as tf from '@tensorflow/tfjs-core';

import {computeWithTensors, KernelArgs} from './kernel_utils.js';

/**
 * Whether `conv2DBackpropInput` computes this call. The op passes no
 * dilations (conv2d gradients require dilation 1), so anything else comes
 * from a caller running the kernel directly and is left to wasm's kernel, as
 * is a dy whose spatial size is not the forward conv's output size
 * (conv2dTranspose accepts any outputShape; both reference kernels then read
 * only the rows the forward conv would have produced, or past dy's end).
 */
export function coversConv2DBackpropInput({inputs, attrs}: KernelArgs): boolean {
  const {dy, filter} = inputs as tf.Conv2DBackpropInputInputs;
  const {strides, pad, dataFormat, dimRoundingMode, inputShape} =
      attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const dilations = (attrs as {dilations?: number | number[]}).dilations;
  if (dilations != null && [dilations].flat().some((d) => d !== 1)) {
    return false;
  }
  if (dy == null || filter == null || dy.shape.length !== 4 || filter.shape.length !== 4 ||
      inputShape.length !== 4) {
    return false;
  }
  const info = tf.backend_util.computeConv2DInfo(
      inputShape, filter.shape as [number, number, number, number], strides, 1,
      pad, dimRoundingMode, false, tf.backend_util.convertConv2DDataFormat(dataFormat));
  return tf.util.arraysEqual(dy.shape, info.outShape);
}

/**
 * dx[n, r, t, c] = sum over p, q, i, j, k with r = p*sH + i - padTop and
 * t = q*sW + j - padLeft of dy[n, p, q, k] * w[i, j, c, k].
 *
 * Spread dy onto the stride grid (sH - 1 zero rows after each row, likewise
 * columns), pad it by (filter - 1 - forward pad) in front and as much as
 * makes the output exactly the input's size behind (cropping where those
 * amounts are negative), and correlate with the filter flipped spatially and
 * with in/out channels swapped: one 'valid' stride-1 conv2d. Its padding is
 * passed to XNNPACK as explicit padding, so no padded copy is made.
 *
 * The caller checks `coversConv2DBackpropInput` first.
 */
export function fastConv2DBackpropInput(
    {inputs, backend, attrs}: KernelArgs): tf.TensorInfo {
  const {dy, filter} = inputs as tf.Conv2DBackpropInputInputs;
  const {strides, pad, dataFormat, dimRoundingMode, inputShape} =
      attrs as unknown as tf.Conv2DBackpropInputAttrs;
  return computeWithTensors(
      backend as tf.KernelBackend, [dy, filter], (dyIn, filterIn) => {
        const channelsFirst = dataFormat === 'NCHW';
        const info = tf.backend_util.computeConv2DInfo(
            inputShape, filterIn.shape as [number, number, number, number],
            strides, 1, pad, dimRoundingMode, false,
            channelsFirst ? 'channelsFirst' : 'channelsLast');
        const {batchSize, inHeight, inWidth, outHeight, outWidth, outChannels} = info;
        const {filterHeight, filterWidth, strideHeight, strideWidth} = info;

        let spread = dyIn as tf.Tensor4D;
        if (channelsFirst) {
          spread = tf.transpose(spread, [0, 2, 3, 1]);
        }
        if (strideHeight > 1 || strideWidth > 1) {
          // [N, oH, 1, oW, 1, K] padded to [N, oH, sH, oW, sW, K]: each dy
          // value followed by stride - 1 zeros on both axes.
          const grid = tf.pad(
              tf.reshape(spread, [batchSize, outHeight, 1, outWidth, 1, outChannels]),
              [[0, 0], [0, 0], [0, strideHeight - 1], [0, 0], [0, strideWidth - 1], [0, 0]]);
          spread = tf.reshape(
              grid, [batchSize, outHeight * strideHeight, outWidth * strideWidth, outChannels]);
        }
        // A 'valid' correlation of the flipped filter yields row r from
        // spread rows r - top .. r - top + filterHeight - 1, so the padded
        // spread must start `top` rows early and be inHeight + fH - 1 long.
        const top = filterHeight - 1 - info.padInfo.top;
        const left = filterWidth - 1 - info.padInfo.left;
        const bottom = inHeight + filterHeight - 1 - top - spread.shape[1];
        const right = inWidth + filterWidth - 1 - left - spread.shape[2];
        if (top < 0 || bottom < 0 || left < 0 || right < 0) {
          // Forward padding wider than filter - 1, or trailing zeros of the
          // stride grid that no input row reads.
          const [, spreadHeight, spreadWidth] = spread.shape;
          const cropTop = Math.max(0, -top);
          const cropLeft = Math.max(0, -left);
          spread = tf.slice(spread, [0, cropTop, cropLeft, 0], [
            batchSize, spreadHeight - cropTop - Math.max(0, -bottom),
            spreadWidth - cropLeft - Math.max(0, -right), outChannels
          ]);
        }
        // [fH, fW, C, K] -> flipped [fH, fW, K, C]: the conv maps dy's K
        // channels back to x's C.
        const flipped = tf.transpose(tf.reverse(filterIn, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
        const padding: tf.backend_util.ExplicitPadding = [
          [0, 0], [Math.max(0, top), Math.max(0, bottom)],
          [Math.max(0, left), Math.max(0, right)], [0, 0]
        ];
        const dx = tf.conv2d(spread, flipped, 1, padding, 'NHWC');
        return channelsFirst ? tf.transpose(dx, [0, 3, 1, 2]) : dx;
      });
}
