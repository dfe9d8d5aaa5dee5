/**
 * One lowering per layer class: a tfjs layer call becomes TFLite operators in
 * the float IR. Layouts change here (Dense [in,out] -> [out,in], Conv2D HWIO
 * -> OHWI, depthwise [h,w,c,m] -> [1,h,w,c*m]); everything else keeps NHWC.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {NotSupportedError, ValueError} from '../errors.js';
import {batchNormScaleShift} from '../quantization/batch_norm_fold.js';
import {pair} from '../quantization/kernel_layout.js';
import {FusedActivation, IrBuilder, IrOp, IrTensor} from './ir.js';

type Layer = tfl.layers.Layer;
type Config = tf.serialization.ConfigDict;

/** What a lowering may use besides the layer and its input tensors. */
export interface LowerContext {
  ir: IrBuilder;
  /** Kernel values to use instead of the layer's own (QAT: folded, quantized). */
  kernel?: tf.Tensor;
  /** Bias values to use instead of the layer's own (QAT: BatchNorm folded). */
  bias?: tf.Tensor|null;
}

export type Lowering = (ctx: LowerContext, layer: Layer, inputs: IrTensor[]) => IrTensor[];

const ACTIVATIONS: Record<string, FusedActivation|'SOFTMAX'|'LOGISTIC'|'TANH'> = {
  linear: 'NONE', relu: 'RELU', relu6: 'RELU6', softmax: 'SOFTMAX', sigmoid: 'LOGISTIC',
  tanh: 'TANH',
};

/** The TFLite form of a layer's activation; unsupported ones throw. */
export function activationOf(layer: Layer, name?: string|null): FusedActivation|'SOFTMAX'|'LOGISTIC'|'TANH' {
  const act = name ??
      (layer as unknown as {activation?: {getClassName(): string}}).activation?.getClassName() ??
      'linear';
  const mapped = ACTIVATIONS[act];
  if (mapped == null) {
    throw new NotSupportedError(
        `Layer '${layer.name}' (${layer.getClassName()}) uses activation '${act}', which the ` +
        `TFLite converter does not support; supported: ${Object.keys(ACTIVATIONS).join(', ')}.`);
  }
  return mapped;
}

/** Applies a non-fused activation as its own op after `t`. */
function applyActivation(
    ctx: LowerContext, layer: Layer, op: IrOp, act: ReturnType<typeof activationOf>): IrTensor {
  if (act === 'NONE' || act === 'RELU' || act === 'RELU6') {
    op.activation = act;
    return op.outputs[0];
  }
  const input = op.outputs[0];
  const out = ctx.ir.tensor(`${layer.name}/${act.toLowerCase()}`, input.shape);
  ctx.ir.op(act, [input], [out], layer.name, act === 'SOFTMAX' ? {beta: 1} : {});
  return out;
}

function read(layer: Layer, attr: string): tf.Tensor|null {
  const v = (layer as unknown as Record<string, tfl.LayerVariable|null>)[attr];
  return v != null ? v.read() : null;
}

function floatData(t: tf.Tensor): Float32Array {
  return Float32Array.from(t.dataSync());
}

/** The values of a tensor computed from weights, freeing it. */
function computed(f: () => tf.Tensor): Float32Array {
  const t = tf.tidy(f);
  try {
    return floatData(t);
  } finally {
    t.dispose();
  }
}


function padding(layer: Layer, config: Config): 'SAME'|'VALID' {
  const p = config['padding'];
  if (p !== 'same' && p !== 'valid') {
    throw new NotSupportedError(`Layer '${layer.name}' uses padding '${p}'; TFLite takes 'same' or 'valid'.`);
  }
  requireChannelsLast(layer, config);
  return p === 'same' ? 'SAME' : 'VALID';
}

/** TFLite ops index NHWC; a channelsFirst layer would be lowered over the wrong axes. */
function requireChannelsLast(layer: Layer, config: Config): void {
  if (config['dataFormat'] === 'channelsFirst') {
    throw new NotSupportedError(
        `Layer '${layer.name}' uses dataFormat 'channelsFirst'; TFLite needs channelsLast (NHWC).`);
  }
}

function outSize(inSize: number, filter: number, stride: number, dilation: number,
    pad: 'SAME'|'VALID'): number {
  const effective = (filter - 1) * dilation + 1;
  return pad === 'SAME' ? Math.ceil(inSize / stride) : Math.ceil((inSize - effective + 1) / stride);
}

function biasConstant(ctx: LowerContext, name: string, bias: tf.Tensor|null, channels: number): IrTensor {
  // TFLite kernels accept a missing bias, but the int8 spec wants one to carry
  // the rescaled zero-point terms, so zeros stand in.
  const data = bias != null ? floatData(bias) : new Float32Array(channels);
  return ctx.ir.constant(`${name}/bias`, [channels], data, 'bias');
}

const lowerDense: Lowering = (ctx, layer, [x]) => {
  const kernel = ctx.kernel ?? read(layer, 'kernel')!;
  const [inDim, units] = kernel.shape;
  const weights = ctx.ir.constant(
      `${layer.name}/kernel`, [units, inDim], computed(() => tf.transpose(kernel)),
      'weights', 0);
  const bias = biasConstant(ctx, layer.name, ctx.bias !== undefined ? ctx.bias : read(layer, 'bias'), units);
  const out = ctx.ir.tensor(`${layer.name}/out`, [...x.shape.slice(0, -1), units]);
  const op = ctx.ir.op('FULLY_CONNECTED', [x, weights, bias], [out], layer.name,
      {keepNumDims: x.shape.length > 2});
  return [applyActivation(ctx, layer, op, activationOf(layer))];
};

const lowerConv2D: Lowering = (ctx, layer, [x]) => {
  const config = layer.getConfig();
  const pad = padding(layer, config);
  const kernel = ctx.kernel ?? read(layer, 'kernel')!;
  const [kh, kw, , filters] = kernel.shape;
  const [sh, sw] = pair(config['strides']);
  const [dh, dw] = pair(config['dilationRate'] ?? 1);
  const weights = ctx.ir.constant(`${layer.name}/kernel`, [filters, kh, kw, kernel.shape[2] as number],
      computed(() => tf.transpose(kernel, [3, 0, 1, 2])), 'weights', 0);
  const bias = biasConstant(ctx, layer.name, ctx.bias !== undefined ? ctx.bias : read(layer, 'bias'), filters);
  const out = ctx.ir.tensor(`${layer.name}/out`, [x.shape[0],
    outSize(x.shape[1], kh, sh, dh, pad), outSize(x.shape[2], kw, sw, dw, pad), filters]);
  const op = ctx.ir.op('CONV_2D', [x, weights, bias], [out], layer.name,
      {padding: pad, strideH: sh, strideW: sw, dilationH: dh, dilationW: dw});
  return [applyActivation(ctx, layer, op, activationOf(layer))];
};

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

const lowerDepthwise: Lowering = (ctx, layer, [x]) => {
  const kernel = ctx.kernel ?? read(layer, 'depthwiseKernel')!;
  const bias = ctx.bias !== undefined ? ctx.bias : read(layer, 'bias');
  const op = depthwise(ctx, layer, x, kernel, bias, layer.getConfig(), layer.name);
  return [applyActivation(ctx, layer, op, activationOf(layer))];
};

const lowerSeparable: Lowering = (ctx, layer, [x]) => {
  const config = layer.getConfig();
  const [dh, dw] = pair(config['dilationRate'] ?? 1);
  if (dh !== 1 || dw !== 1) {
    throw new NotSupportedError(`Layer '${layer.name}': SeparableConv2D with dilation is not supported.`);
  }
  const dwOp = depthwise(ctx, layer, x, read(layer, 'depthwiseKernel')!, null, config,
      `${layer.name}/depthwise`);
  const pointwise = read(layer, 'pointwiseKernel')!;
  const [, , inCh, filters] = pointwise.shape;
  const weights = ctx.ir.constant(`${layer.name}/pointwise_kernel`, [filters, 1, 1, inCh],
      computed(() => tf.transpose(pointwise, [3, 0, 1, 2])), 'weights', 0);
  const bias = biasConstant(ctx, layer.name, read(layer, 'bias'), filters);
  const mid = dwOp.outputs[0];
  const out = ctx.ir.tensor(`${layer.name}/out`, [...mid.shape.slice(0, 3), filters]);
  const op = ctx.ir.op('CONV_2D', [mid, weights, bias], [out], layer.name,
      {padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1});
  return [applyActivation(ctx, layer, op, activationOf(layer))];
};

function lowerPool(type: 'MAX_POOL_2D'|'AVERAGE_POOL_2D'): Lowering {
  return (ctx, layer, [x]) => {
    const config = layer.getConfig();
    const pad = padding(layer, config);
    const [fh, fw] = pair(config['poolSize']);
    const [sh, sw] = pair(config['strides'] ?? config['poolSize']);
    const out = ctx.ir.tensor(`${layer.name}/out`,
        [x.shape[0], outSize(x.shape[1], fh, sh, 1, pad), outSize(x.shape[2], fw, sw, 1, pad), x.shape[3]]);
    ctx.ir.op(type, [x], [out], layer.name,
        {padding: pad, strideH: sh, strideW: sw, filterHeight: fh, filterWidth: fw});
    return [out];
  };
}

function lowerGlobalPool(type: 'MEAN'|'REDUCE_MAX'): Lowering {
  return (ctx, layer, [x]) => {
    requireChannelsLast(layer, layer.getConfig());
    const axes = ctx.ir.constant(`${layer.name}/axes`, [2], Int32Array.from([1, 2]), 'shape');
    const out = ctx.ir.tensor(`${layer.name}/out`, [x.shape[0], x.shape[3]]);
    ctx.ir.op(type, [x, axes], [out], layer.name, {keepDims: false});
    return [out];
  };
}

/** RESHAPE to `shape` (batch included). */
export function reshapeTo(ctx: LowerContext, name: string, source: string, x: IrTensor,
    shape: number[]): IrTensor {
  // The target goes in the options only: a shape tensor would add a tensor
  // and a buffer to every file for nothing (all shapes here are static).
  const out = ctx.ir.tensor(`${name}/out`, shape);
  ctx.ir.op('RESHAPE', [x], [out], source, {newShape: shape});
  return out;
}

const lowerFlatten: Lowering = (ctx, layer, [x]) => {
  // channelsFirst flattens in channels-last order (a transpose first); rank 2 has nothing to move.
  if (x.shape.length > 2) {
    requireChannelsLast(layer, layer.getConfig());
  }
  return [reshapeTo(ctx, layer.name, layer.name, x, [x.shape[0], x.shape.slice(1).reduce((a, b) => a * b, 1)])];
};

const lowerReshape: Lowering = (ctx, layer, [x]) => {
  // tfjs-layers stores the inferred dimension (-1 when created) as null in its config.
  const target = (layer.getConfig()['targetShape'] as Array<number|null>).map((d) => d ?? -1);
  const size = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  return [reshapeTo(ctx, layer.name, layer.name, x,
      [x.shape[0], ...target.map((d) => d === -1 ? size / known : d)])];
};

/** Numpy-style broadcast of two static shapes, as tfjs and TFLite do; the error names the layer. */
function broadcastShape(layer: Layer, a: number[], b: number[]): number[] {
  try {
    return tf.backend_util.assertAndGetBroadcastShape(a, b);
  } catch {
    throw new ValueError(`Layer '${layer.name}': input shapes [${a}] and [${b}] do not broadcast.`);
  }
}

function lowerElementwise(type: 'ADD'|'MUL'): Lowering {
  return (ctx, layer, inputs) => {
    let acc = inputs[0];
    for (let i = 1; i < inputs.length; i++) {
      // The output takes the broadcast shape: a smaller first input must not shrink it.
      const out = ctx.ir.tensor(`${layer.name}/out${i === inputs.length - 1 ? '' : `_${i}`}`,
          broadcastShape(layer, acc.shape, inputs[i].shape));
      ctx.ir.op(type, [acc, inputs[i]], [out], layer.name);
      acc = out;
    }
    return [acc];
  };
}

const lowerConcatenate: Lowering = (ctx, layer, inputs) => {
  const rank = inputs[0].shape.length;
  const axisConfig = (layer.getConfig()['axis'] ?? -1) as number;
  if (axisConfig < -1) {
    // tfjs-layers declares the output shape for that axis but computes over the
    // last one: the file would disagree with the model either way.
    throw new NotSupportedError(`Layer '${layer.name}': Concatenate axis ${axisConfig} is computed ` +
        `over the last axis by tfjs-layers; give it as ${axisConfig + rank} (counting the batch axis) or -1.`);
  }
  const axis = axisConfig < 0 ? axisConfig + rank : axisConfig;
  const shape = [...inputs[0].shape];
  shape[axis] = inputs.reduce((sum, t) => sum + t.shape[axis], 0);
  const out = ctx.ir.tensor(`${layer.name}/out`, shape);
  ctx.ir.op('CONCATENATION', inputs, [out], layer.name, {axis});
  return [out];
};

/** A standalone activation layer (ReLU, Activation, Softmax). */
function lowerActivationLayer(activationName: (layer: Layer) => string): Lowering {
  return (ctx, layer, [x]) => {
    const act = activationOf(layer, activationName(layer));
    if (act === 'NONE') {
      return [x];
    }
    const out = ctx.ir.tensor(`${layer.name}/out`, x.shape);
    ctx.ir.op(act, [x], [out], layer.name, act === 'SOFTMAX' ? {beta: 1} : {});
    return [out];
  };
}

/** TFLite's SOFTMAX normalizes over the last axis only. */
const lowerSoftmaxLayer: Lowering = (ctx, layer, inputs) => {
  const axis = layer.getConfig()['axis'] as number|undefined;
  const rank = inputs[0].shape.length;
  if (axis != null && axis !== -1 && axis !== rank - 1) {
    throw new NotSupportedError(`Layer '${layer.name}': Softmax over axis ${axis} of a rank-${rank} tensor; ` +
        `TFLite's SOFTMAX takes the last axis only (axis -1 or ${rank - 1}).`);
  }
  return lowerActivationLayer(() => 'softmax')(ctx, layer, inputs);
};

const reluName = (layer: Layer) => {
  const maxValue = layer.getConfig()['maxValue'];
  if (maxValue == null) {
    return 'relu';
  }
  return maxValue === 6 ? 'relu6' : `relu(maxValue=${maxValue})`;
};

/**
 * A standalone BatchNormalization, x * s + (beta - mean * s) per channel, as
 * one 1x1 DEPTHWISE_CONV_2D (reshaped to 4-D around it if needed): a single
 * op with per-channel int8 weights keeps int8 exact where MUL + ADD would
 * round an intermediate tensor. Marked so the fold pass can merge it into a
 * conv/dense before it.
 */
const lowerBatchNorm: Lowering = (ctx, layer, [x]) => {
  const config = layer.getConfig();
  const axis = config['axis'] as number;
  if (axis !== -1 && axis !== x.shape.length - 1) {
    throw new NotSupportedError(`Layer '${layer.name}': BatchNormalization over axis ${axis} ` +
        `(only the channel axis, -1, is supported).`);
  }
  const [scale, shift] = batchNormScaleShiftData(layer);
  const channels = scale.length;
  const rank4 = x.shape.length === 4;
  const x4 = rank4 ? x : reshapeTo(ctx, `${layer.name}/to4d`, layer.name, x,
      [1, 1, x.shape.slice(0, -1).reduce((a, b) => a * b, 1), channels]);
  const weights = ctx.ir.constant(`${layer.name}/scale`, [1, 1, 1, channels], scale, 'weights', 3);
  const bias = ctx.ir.constant(`${layer.name}/shift`, [channels], shift, 'bias');
  const y = ctx.ir.tensor(rank4 ? `${layer.name}/out` : `${layer.name}/affine`, x4.shape);
  ctx.ir.op('DEPTHWISE_CONV_2D', [x4, weights, bias], [y], layer.name, {padding: 'VALID',
    strideH: 1, strideW: 1, depthMultiplier: 1, dilationH: 1, dilationW: 1, batchNorm: true});
  return [rank4 ? y : reshapeTo(ctx, layer.name, layer.name, y, x.shape)];
};

/** Per-channel multiplier and shift of a BatchNormalization's frozen statistics. */
export function batchNormScaleShiftData(layer: Layer): [Float32Array, Float32Array] {
  const {scale, shift} = batchNormScaleShift(layer);
  try {
    return [floatData(scale), floatData(shift)];
  } finally {
    tf.dispose([scale, shift]);
  }
}

const lowerZeroPadding: Lowering = (ctx, layer, [x]) => {
  const config = layer.getConfig();
  requireChannelsLast(layer, config);
  const p = config['padding'] as number[][];
  const [[top, bottom], [left, right]] = p;
  const paddings = ctx.ir.constant(`${layer.name}/paddings`, [4, 2],
      Int32Array.from([0, 0, top, bottom, left, right, 0, 0]), 'shape');
  const out = ctx.ir.tensor(`${layer.name}/out`,
      [x.shape[0], x.shape[1] + top + bottom, x.shape[2] + left + right, x.shape[3]]);
  ctx.ir.op('PAD', [x, paddings], [out], layer.name);
  return [out];
};

const identity: Lowering = (_ctx, _layer, inputs) => inputs;

/** Lowerings by tfjs-layers class name. */
export const LOWERINGS: Record<string, Lowering> = {
  Dense: lowerDense,
  Conv2D: lowerConv2D,
  DepthwiseConv2D: lowerDepthwise,
  SeparableConv2D: lowerSeparable,
  MaxPooling2D: lowerPool('MAX_POOL_2D'),
  AveragePooling2D: lowerPool('AVERAGE_POOL_2D'),
  GlobalAveragePooling2D: lowerGlobalPool('MEAN'),
  GlobalMaxPooling2D: lowerGlobalPool('REDUCE_MAX'),
  Flatten: lowerFlatten,
  Reshape: lowerReshape,
  Add: lowerElementwise('ADD'),
  Multiply: lowerElementwise('MUL'),
  Concatenate: lowerConcatenate,
  ReLU: lowerActivationLayer(reluName),
  Activation: lowerActivationLayer((l) => l.getConfig()['activation'] as string),
  Softmax: lowerSoftmaxLayer,
  BatchNormalization: lowerBatchNorm,
  ZeroPadding2D: lowerZeroPadding,
  Dropout: identity,
  SpatialDropout1D: identity,
};

/** Layer classes the converter lowers. */
export const CONVERTIBLE_LAYERS = Object.keys(LOWERINGS);
