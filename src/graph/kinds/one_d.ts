/**
 * The 1-D layers of audio, sensor and text models. TFLite has no 1-D
 * convolution or pooling: each is computed in 4-D on [1, 1, T, C] (time as
 * the width) between two RESHAPEs, the layout the BatchNormalization
 * lowering also uses, so the converter's passes can drop a RESHAPE pair
 * between two such layers and fold a BatchNorm into the CONV_2D.
 *
 * tfjs-layers (4.x) has no SeparableConv1D, ZeroPadding1D, UpSampling1D or
 * Cropping1D, so there is nothing to describe for them.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {NotSupportedError} from '../../errors.js';
import type {IrTensor} from '../ir.js';
import type {LayerKind, LowerContext, Lowering} from '../layer_kind.js';
import {
  activationOf, applyActivation, biasConstant, computed, Config, outSize, padding, reshapeTo, weightOf,
} from '../lowering.js';

type Layer = tfl.layers.Layer;

/** tfjs-layers keeps 1-D sizes as one-element arrays; older configs hold a number. */
const first = (v: unknown): number => (Array.isArray(v) ? v[0] : v) as number;

/** Conv1D's getConfig drops dataFormat; the layer still has it. */
function requireChannelsLast1D(layer: Layer): void {
  if ((layer as unknown as {dataFormat?: string}).dataFormat === 'channelsFirst') {
    throw new NotSupportedError(
        `Layer '${layer.name}' uses dataFormat 'channelsFirst'; TFLite needs channelsLast (NWC).`);
  }
}

interface Conv1DConfig {
  kernelSize: number;
  stride: number;
  dilation: number;
  padding: 'same'|'valid';
}

/**
 * The config the converter and QAT compute with. 'causal' is refused:
 * tfjs-layers' Conv1D throws NotImplementedError when run with it and infers
 * its output length as for 'valid', so the layers after it are built for
 * other shapes than Keras's (a causal conv keeps the length).
 */
function conv1dConfig(layer: Layer, config: Config = layer.getConfig()): Conv1DConfig {
  requireChannelsLast1D(layer);
  const pad = config['padding'];
  if (pad !== 'same' && pad !== 'valid') {
    const why = pad === 'causal' ? ' (tfjs-layers cannot run \'causal\' and gives it the length of \'valid\')' : '';
    throw new NotSupportedError(
        `Layer '${layer.name}' (Conv1D) uses padding '${pad}'${why}; supported: 'same', 'valid'.`);
  }
  return {kernelSize: first(config['kernelSize']), stride: first(config['strides'] ?? 1),
    dilation: first(config['dilationRate'] ?? 1), padding: pad};
}

/** [1, T, C] -> [1, 1, T, C]. */
const to4d = (ctx: LowerContext, name: string, x: IrTensor) =>
  reshapeTo(ctx, `${name}/to4d`, name, x, [x.shape[0], 1, x.shape[1], x.shape[2]]);

/** [1, 1, T, C] -> [1, T, C]: the layer's output. */
const to3d = (ctx: LowerContext, name: string, y: IrTensor) =>
  reshapeTo(ctx, name, name, y, [y.shape[0], y.shape[2], y.shape[3]]);

export const Conv1D: LayerKind = {
  outputChannelsKey: 'filters',
  weights: [{attr: 'kernel', outputAxis: 2, inputAxis: 1, prune: true, cluster: true, clusterPerChannel: true}],
  quantize: {role: 'weighted', weightAttr: 'kernel', perAxis: true},
  checkConfig: (layer) => void conv1dConfig(layer),
  kernel: {
    kernelAttr: 'kernel',
    // [k, in, out] is already [..., outChannels].
    toChannelsLast: (k) => k,
    fromChannelsLast: (v) => v,
    forward: (layer, x, kernel) => {
      const c = conv1dConfig(layer);
      return tf.conv1d(x as tf.Tensor3D, kernel as tf.Tensor3D, c.stride, c.padding, 'NWC', c.dilation);
    },
  },
  lower: (ctx, layer, [x]) => {
    const c = conv1dConfig(layer);
    const kernel = weightOf(ctx, layer, 'kernel')!;
    const [k, inCh, filters] = kernel.shape;
    const x4 = to4d(ctx, layer.name, x);
    const pad = c.padding === 'same' ? 'SAME' : 'VALID';
    // OHWI with H = 1: [filters, 1, k, in].
    const weights = ctx.ir.constant(`${layer.name}/kernel`, [filters, 1, k, inCh],
        computed(() => tf.reshape(tf.transpose(kernel, [2, 0, 1]), [filters, 1, k, inCh])), 'weights', 0);
    const bias = biasConstant(ctx, layer.name, weightOf(ctx, layer, 'bias'), filters);
    const out = ctx.ir.tensor(`${layer.name}/conv`,
        [1, 1, outSize(x4.shape[2], k, c.stride, c.dilation, pad), filters]);
    const op = ctx.ir.op('CONV_2D', [x4, weights, bias], [out], layer.name,
        {padding: pad, strideH: 1, strideW: c.stride, dilationH: 1, dilationW: c.dilation});
    return [to3d(ctx, layer.name, applyActivation(ctx, layer, op, activationOf(layer)))];
  },
};

function lowerPool1D(type: 'MAX_POOL_2D'|'AVERAGE_POOL_2D'): Lowering {
  return (ctx, layer, [x]) => {
    const config = layer.getConfig();
    const pad = padding(layer, config);
    const size = first(config['poolSize']);
    const stride = first(config['strides'] ?? size);
    const x4 = to4d(ctx, layer.name, x);
    const out = ctx.ir.tensor(`${layer.name}/pool`, [1, 1, outSize(x.shape[1], size, stride, 1, pad), x.shape[2]]);
    ctx.ir.op(type, [x4], [out], layer.name,
        {padding: pad, strideH: 1, strideW: stride, filterHeight: 1, filterWidth: size});
    return [to3d(ctx, layer.name, out)];
  };
}

// As their 2-D forms: a max keeps its input's int8 parameters; an average is requantized.
export const MaxPooling1D: LayerKind = {
  quantize: {role: 'passThrough'}, lower: lowerPool1D('MAX_POOL_2D'), channelPassage: 'pooling',
};
export const AveragePooling1D: LayerKind = {
  quantize: {role: 'output'}, lower: lowerPool1D('AVERAGE_POOL_2D'), channelPassage: 'averagePooling',
};
