/** Dense and the convolutions: the layers with kernels. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {NotSupportedError} from '../../errors.js';
import {IrOp, IrTensor} from '../ir.js';
import {pair} from '../layer_attributes.js';
import type {KernelLayout, LayerKind, LowerContext} from '../layer_kind.js';
import {
  activationOf, applyActivation, biasConstant, computed, Config, floatData, outSize, padding, requireChannelsLast,
  weightOf,
} from '../lowering.js';

type Layer = tfl.layers.Layer;
type Padding = 'same'|'valid';

/** Kernels whose layout is already [..., outChannels]. */
const channelsLastKernel = {toChannelsLast: (k: tf.Tensor) => k, fromChannelsLast: (v: tf.Tensor) => v};

const denseKernel: KernelLayout = {
  kernelAttr: 'kernel',
  ...channelsLastKernel,
  forward: (_layer, x, kernel) => {
    if (x.rank === 2) {
      return tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D);
    }
    const flat = tf.reshape(x, [-1, x.shape[x.rank - 1]]) as tf.Tensor2D;
    const y = tf.matMul(flat, kernel as tf.Tensor2D);
    return tf.reshape(y, [...x.shape.slice(0, -1), kernel.shape[1] as number]);
  },
};

export const Dense: LayerKind = {
  outputChannelsKey: 'units',
  weights: [{attr: 'kernel', outputAxis: 1, inputAxis: 0, prune: true, cluster: true}],
  quantize: {role: 'weighted', weightAttr: 'kernel', perAxis: false},
  kernel: denseKernel,
  lower: (ctx, layer, [x]) => {
    const kernel = weightOf(ctx, layer, 'kernel')!;
    const [inDim, units] = kernel.shape;
    const weights = ctx.ir.constant(
        `${layer.name}/kernel`, [units, inDim], computed(() => tf.transpose(kernel)), 'weights', 0);
    const bias = biasConstant(ctx, layer.name, weightOf(ctx, layer, 'bias'), units);
    const out = ctx.ir.tensor(`${layer.name}/out`, [...x.shape.slice(0, -1), units]);
    const op = ctx.ir.op('FULLY_CONNECTED', [x, weights, bias], [out], layer.name,
        {keepNumDims: x.shape.length > 2});
    return [applyActivation(ctx, layer, op, activationOf(layer))];
  },
};

export const Conv2D: LayerKind = {
  outputChannelsKey: 'filters',
  weights: [{attr: 'kernel', outputAxis: 3, inputAxis: 2, prune: true, cluster: true, clusterPerChannel: true}],
  quantize: {role: 'weighted', weightAttr: 'kernel', perAxis: true},
  kernel: {
    kernelAttr: 'kernel',
    ...channelsLastKernel,
    forward: (layer, x, kernel) => {
      const c = requireChannelsLast(layer);
      return tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, pair(c['strides']), c['padding'] as Padding,
          'NHWC', pair(c['dilationRate'] ?? 1));
    },
  },
  lower: (ctx, layer, [x]) => {
    const config = layer.getConfig();
    const pad = padding(layer, config);
    const kernel = weightOf(ctx, layer, 'kernel')!;
    const [kh, kw, , filters] = kernel.shape;
    const [sh, sw] = pair(config['strides']);
    const [dh, dw] = pair(config['dilationRate'] ?? 1);
    const weights = ctx.ir.constant(`${layer.name}/kernel`, [filters, kh, kw, kernel.shape[2] as number],
        computed(() => tf.transpose(kernel, [3, 0, 1, 2])), 'weights', 0);
    const bias = biasConstant(ctx, layer.name, weightOf(ctx, layer, 'bias'), filters);
    const out = ctx.ir.tensor(`${layer.name}/out`, [x.shape[0],
      outSize(x.shape[1], kh, sh, dh, pad), outSize(x.shape[2], kw, sw, dw, pad), filters]);
    const op = ctx.ir.op('CONV_2D', [x, weights, bias], [out], layer.name,
        {padding: pad, strideH: sh, strideW: sw, dilationH: dh, dilationW: dw});
    return [applyActivation(ctx, layer, op, activationOf(layer))];
  },
};

/** A depthwise kernel [h, w, in, multiplier] has in * multiplier output channels (TFLite's dimension 3). */
const depthwiseChannels = (shape: number[]) => [shape[0], shape[1], shape[2] * shape[3]];

/** DEPTHWISE_CONV_2D from a [h, w, c, m] kernel; returns the op too. */
function depthwise(ctx: LowerContext, layer: Layer, x: IrTensor, kernel: tf.Tensor,
    bias: tf.Tensor|null, config: Config, name: string): IrOp {
  const pad = padding(layer, config);
  const [kh, kw, channels, multiplier] = kernel.shape;
  const [sh, sw] = pair(config['strides']);
  const weights = ctx.ir.constant(`${name}/depthwise_kernel`, [1, kh, kw, channels * multiplier],
      floatData(kernel), 'weights', 3);
  const b = biasConstant(ctx, name, bias, channels * multiplier);
  // tfjs-layers' DepthwiseConv2D ignores dilationRate, so the file does too.
  const out = ctx.ir.tensor(`${name}/out`, [x.shape[0], outSize(x.shape[1], kh, sh, 1, pad),
    outSize(x.shape[2], kw, sw, 1, pad), channels * multiplier]);
  return ctx.ir.op('DEPTHWISE_CONV_2D', [x, weights, b], [out], layer.name,
      {padding: pad, strideH: sh, strideW: sw, depthMultiplier: multiplier, dilationH: 1, dilationW: 1});
}

export const DepthwiseConv2D: LayerKind = {
  pruningLeavesFloat: true,
  // tfjs-layers' getConfig writes the depthwise REGULARIZER as depthwiseConstraint: a copy would apply
  // L1L2 as a constraint (a scalar written into the kernel). Write the layer's real constraint.
  completeConfig: (layer, config) => {
    const constraint = (layer as unknown as {depthwiseConstraint?: tf.serialization.Serializable})
        .depthwiseConstraint;
    return {...config, depthwiseConstraint: constraint == null ? null :
      {className: constraint.getClassName(), config: constraint.getConfig()}};
  },
  weights: [{attr: 'depthwiseKernel', outputAxis: 3, inputAxis: 2, cluster: true, channelShape: depthwiseChannels}],
  quantize: {role: 'weighted', weightAttr: 'depthwiseKernel', perAxis: true},
  kernel: {
    kernelAttr: 'depthwiseKernel',
    toChannelsLast: (k) => tf.reshape(k, depthwiseChannels(k.shape)),
    fromChannelsLast: (v, shape) => tf.reshape(v, shape),
    forward: (layer, x, kernel) => {
      const c = requireChannelsLast(layer);
      // tfjs-layers' DepthwiseConv2D ignores dilationRate; so do we, to
      // compute what the float model computes.
      return tf.depthwiseConv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, pair(c['strides']),
          c['padding'] as Padding, 'NHWC');
    },
  },
  lower: (ctx, layer, [x]) => {
    const op = depthwise(ctx, layer, x, weightOf(ctx, layer, 'depthwiseKernel')!, weightOf(ctx, layer, 'bias'),
        layer.getConfig(), layer.name);
    return [applyActivation(ctx, layer, op, activationOf(layer))];
  },
};

export const SeparableConv2D: LayerKind = {
  weights: [
    {attr: 'depthwiseKernel', outputAxis: 3, inputAxis: 2, channelShape: depthwiseChannels},
    {attr: 'pointwiseKernel', outputAxis: 3, inputAxis: 2, prune: true},
  ],
  quantize: {role: 'weighted', weightAttr: 'pointwiseKernel', perAxis: true, split: 'separable'},
  // tfjs-layers' getConfig omits depthMultiplier: a copy or a saved wrapper would come back with 1.
  completeConfig: (layer, config) => config['depthMultiplier'] != null ? config :
    {...config, depthMultiplier: (layer as unknown as {depthMultiplier: number}).depthMultiplier},
  lower: (ctx, layer, [x]) => {
    const config = layer.getConfig();
    const [dh, dw] = pair(config['dilationRate'] ?? 1);
    if (dh !== 1 || dw !== 1) {
      throw new NotSupportedError(`Layer '${layer.name}': SeparableConv2D with dilation is not supported.`);
    }
    const dwOp = depthwise(ctx, layer, x, weightOf(ctx, layer, 'depthwiseKernel')!, null, config,
        `${layer.name}/depthwise`);
    const pointwise = weightOf(ctx, layer, 'pointwiseKernel')!;
    const [, , inCh, filters] = pointwise.shape;
    const weights = ctx.ir.constant(`${layer.name}/pointwise_kernel`, [filters, 1, 1, inCh],
        computed(() => tf.transpose(pointwise, [3, 0, 1, 2])), 'weights', 0);
    const bias = biasConstant(ctx, layer.name, weightOf(ctx, layer, 'bias'), filters);
    const mid = dwOp.outputs[0];
    const out = ctx.ir.tensor(`${layer.name}/out`, [...mid.shape.slice(0, 3), filters]);
    const op = ctx.ir.op('CONV_2D', [mid, weights, bias], [out], layer.name,
        {padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1});
    return [applyActivation(ctx, layer, op, activationOf(layer))];
  },
};
