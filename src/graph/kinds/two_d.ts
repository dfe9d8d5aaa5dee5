/** 2-D layers of segmentation and vision decoders: transposed convolution, upsampling, cropping. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {NotSupportedError} from '../../errors.js';
import {pair} from '../layer_attributes.js';
import type {LayerKind} from '../layer_kind.js';
import {
  activationOf, applyActivation, biasConstant, computed, Config, padding, requireChannelsLast, weightOf,
} from '../lowering.js';

type Layer = tfl.layers.Layer;

/** tfjs-layers' deconvLength: the output size of a transposed convolution along one axis. */
function deconvLength(size: number, stride: number, kernel: number, pad: 'SAME'|'VALID'): number {
  return pad === 'SAME' ? size * stride : size * stride + Math.max(kernel - stride, 0);
}

/** [batch, height, width, filters] as Conv2DTranspose computes it for input `x`. */
function transposeOutputShape(layer: Layer, config: Config, x: number[], kernel: number[]): number[] {
  const pad = padding(layer, config);
  const [sh, sw] = pair(config['strides']);
  return [x[0], deconvLength(x[1], sh, kernel[0], pad), deconvLength(x[2], sw, kernel[1], pad), kernel[2]];
}

/** The kernel [h, w, out, in] seen as [h, w, in, out] (its own inverse). */
const swapLastTwo = (k: tf.Tensor) => tf.transpose(k, [0, 1, 3, 2]);

export const Conv2DTranspose: LayerKind = {
  // tfjs stores Conv2DTranspose kernels as [h, w, out, in]. Clustered per
  // tensor: clusterPerChannel clusters along the last axis, the input here.
  // m-by-n groups run along the input channels (axis 3, TFLite's last);
  // TFMOT applies Conv2D's layout and groups along axis 2, the outputs.
  weights: [{attr: 'kernel', outputAxis: 2, inputAxis: 3, prune: true, cluster: true}],
  // Per output channel, as TFLite's TRANSPOSE_CONV takes int8 weights (its axis 0).
  quantize: {role: 'weighted', weightAttr: 'kernel', perAxis: true},
  kernel: {
    kernelAttr: 'kernel',
    toChannelsLast: swapLastTwo,
    fromChannelsLast: swapLastTwo,
    forward: (layer, x, kernel) => {
      const c = requireChannelsLast(layer);
      const shape = transposeOutputShape(layer, c, x.shape, kernel.shape) as [number, number, number, number];
      // tfjs-layers' Conv2DTranspose ignores dilationRate; so does QAT, to compute what the float model computes.
      return tf.conv2dTranspose(x as tf.Tensor4D, kernel as tf.Tensor4D, shape, pair(c['strides']),
          c['padding'] as 'same'|'valid');
    },
  },
  lower: (ctx, layer, [x]) => {
    const config = layer.getConfig();
    const pad = padding(layer, config);
    const kernel = weightOf(ctx, layer, 'kernel')!;
    const [kh, kw, filters, inCh] = kernel.shape;
    const [sh, sw] = pair(config['strides']);
    const shape = transposeOutputShape(layer, config, x.shape, kernel.shape);
    const weights = ctx.ir.constant(`${layer.name}/kernel`, [filters, kh, kw, inCh],
        computed(() => tf.transpose(kernel, [2, 0, 1, 3])), 'weights', 0);
    const bias = biasConstant(ctx, layer.name, weightOf(ctx, layer, 'bias'), filters);
    const outputShape = ctx.ir.constant(`${layer.name}/output_shape`, [4], Int32Array.from(shape), 'shape');
    const out = ctx.ir.tensor(`${layer.name}/out`, shape);
    const op = ctx.ir.op('TRANSPOSE_CONV', [x, weights, bias, outputShape], [out], layer.name,
        {padding: pad, strideH: sh, strideW: sw});
    return [applyActivation(ctx, layer, op, activationOf(layer))];
  },
};

export const UpSampling2D: LayerKind = {
  // As TFMOT: the output is fake-quantized (a bilinear output is a new value;
  // a nearest one equals its input, and the file's requantize is then exact).
  quantize: {role: 'output'},
  lower: (ctx, layer, [x]) => {
    const config = requireChannelsLast(layer);
    const [sh, sw] = pair(config['size']);
    const interpolation = config['interpolation'] ?? 'nearest';
    if (interpolation !== 'nearest' && interpolation !== 'bilinear') {
      throw new NotSupportedError(`Layer '${layer.name}': UpSampling2D interpolation '${interpolation}' ` +
          `cannot be converted; supported: bilinear, nearest.`);
    }
    const [n, h, w, c] = x.shape;
    const size = ctx.ir.constant(`${layer.name}/size`, [2], Int32Array.from([h * sh, w * sw]), 'shape');
    const out = ctx.ir.tensor(`${layer.name}/out`, [n, h * sh, w * sw, c]);
    ctx.ir.op(interpolation === 'nearest' ? 'RESIZE_NEAREST_NEIGHBOR' : 'RESIZE_BILINEAR', [x, size], [out],
        layer.name);
    return [out];
  },
};

export const Cropping2D: LayerKind = {
  quantize: {role: 'passThrough'},
  lower: (ctx, layer, [x]) => {
    const config = requireChannelsLast(layer);
    const [[top, bottom], [left, right]] = config['cropping'] as number[][];
    const [n, h, w, c] = x.shape;
    const shape = [n, h - top - bottom, w - left - right, c];
    const begin = ctx.ir.constant(`${layer.name}/begin`, [4], Int32Array.from([0, top, left, 0]), 'shape');
    // -1 keeps every row of the batch.
    const size = ctx.ir.constant(`${layer.name}/size`, [4], Int32Array.from([-1, ...shape.slice(1)]), 'shape');
    const out = ctx.ir.tensor(`${layer.name}/out`, shape);
    ctx.ir.op('SLICE', [x, begin, size], [out], layer.name);
    return [out];
  },
};
