/**
 * What the layer kinds' lowerings share: reading weights (or a wrapper's
 * replacements), activations as TFLite fuses or emits them, padding and
 * output sizes, constants. Layouts change in the lowerings (Dense
 * [in,out] -> [out,in], Conv2D HWIO -> OHWI, depthwise [h,w,c,m] ->
 * [1,h,w,c*m]); everything else keeps NHWC.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {NotSupportedError, ValueError} from '../errors.js';
import {COMPOSED_ACTIVATIONS, COMPOSED_ACTIVATION_NAMES} from './activation_functions.js';
import {FusedActivation, IrOp, IrTensor} from './ir.js';
import {readWeight} from './layer_attributes.js';
import type {LowerContext} from './layer_kind.js';

type Layer = tfl.layers.Layer;
export type Config = tf.serialization.ConfigDict;
/** A tfjs activation TFLite has no fused form of, by its tfjs name (see activation_functions.ts). */
export interface ComposedActivation {
  composed: string;
}
export type TfliteActivation = FusedActivation|'SOFTMAX'|'LOGISTIC'|'TANH'|ComposedActivation;

const ACTIVATIONS: Record<string, TfliteActivation> = {
  linear: 'NONE', relu: 'RELU', relu6: 'RELU6', softmax: 'SOFTMAX', sigmoid: 'LOGISTIC',
  tanh: 'TANH',
};

/** The TFLite form of a layer's activation; unsupported ones throw. */
export function activationOf(layer: Layer, name?: string|null): TfliteActivation {
  const act = name ??
      (layer as unknown as {activation?: {getClassName(): string}}).activation?.getClassName() ??
      'linear';
  const mapped = ACTIVATIONS[act] ?? (act in COMPOSED_ACTIVATIONS ? {composed: act} : undefined);
  if (mapped == null) {
    throw new NotSupportedError(
        `Layer '${layer.name}' (${layer.getClassName()}) uses activation '${act}', which the ` +
        `TFLite converter does not support; supported: ` +
        `${[...Object.keys(ACTIVATIONS), ...COMPOSED_ACTIVATION_NAMES].sort().join(', ')}.`);
  }
  return mapped;
}

/** `act` applied to `x` as its own op(s) (nothing for NONE). */
export function emitActivation(ctx: LowerContext, source: string, x: IrTensor, act: TfliteActivation): IrTensor {
  if (act === 'NONE') {
    return x;
  }
  if (typeof act === 'object') {
    return COMPOSED_ACTIVATIONS[act.composed](ctx.ir, source, x);
  }
  const out = ctx.ir.tensor(`${source}/${act.toLowerCase()}`, x.shape);
  ctx.ir.op(act, [x], [out], source, act === 'SOFTMAX' ? {beta: 1} : {});
  return out;
}

/** Fuses relu/relu6 into `op`, or applies a softmax/sigmoid/tanh as its own op after it. */
export function applyActivation(ctx: LowerContext, layer: Layer, op: IrOp, act: TfliteActivation): IrTensor {
  if (act === 'NONE' || act === 'RELU' || act === 'RELU6') {
    op.activation = act;
    return op.outputs[0];
  }
  return emitActivation(ctx, layer.name, op.outputs[0], act);
}

/** The weight `attr` the lowering computes with: the context's replacement, else the layer's own. */
export function weightOf(ctx: LowerContext, layer: Layer, attr: string): tf.Tensor|null {
  return ctx.weights?.has(attr) ? ctx.weights.get(attr)! : readWeight(layer, attr);
}

export function floatData(t: tf.Tensor): Float32Array {
  return Float32Array.from(t.dataSync());
}

/** The values of a tensor computed from weights, freeing it. */
export function computed(f: () => tf.Tensor): Float32Array {
  const t = tf.tidy(f);
  try {
    return floatData(t);
  } finally {
    t.dispose();
  }
}

/** TFLite ops index NHWC; a channelsFirst layer would be lowered over the wrong axes. */
export function requireChannelsLast(layer: Layer, config: Config = layer.getConfig()): Config {
  if (config['dataFormat'] === 'channelsFirst') {
    throw new NotSupportedError(
        `Layer '${layer.name}' uses dataFormat 'channelsFirst'; TFLite needs channelsLast (NHWC).`);
  }
  return config;
}

export function padding(layer: Layer, config: Config): 'SAME'|'VALID' {
  const p = config['padding'];
  if (p !== 'same' && p !== 'valid') {
    throw new NotSupportedError(`Layer '${layer.name}' uses padding '${p}'; TFLite takes 'same' or 'valid'.`);
  }
  requireChannelsLast(layer, config);
  return p === 'same' ? 'SAME' : 'VALID';
}

export function outSize(inSize: number, filter: number, stride: number, dilation: number,
    pad: 'SAME'|'VALID'): number {
  const effective = (filter - 1) * dilation + 1;
  return pad === 'SAME' ? Math.ceil(inSize / stride) : Math.ceil((inSize - effective + 1) / stride);
}

export function biasConstant(ctx: LowerContext, name: string, bias: tf.Tensor|null, channels: number): IrTensor {
  // TFLite kernels accept a missing bias, but the int8 spec wants one to carry
  // the rescaled zero-point terms, so zeros stand in.
  const data = bias != null ? floatData(bias) : new Float32Array(channels);
  return ctx.ir.constant(`${name}/bias`, [channels], data, 'bias');
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

/** Numpy-style broadcast of two static shapes, as tfjs and TFLite do; the error names the layer. */
export function broadcastShape(layer: Layer, a: number[], b: number[]): number[] {
  try {
    return tf.backend_util.assertAndGetBroadcastShape(a, b);
  } catch {
    throw new ValueError(`Layer '${layer.name}': input shapes [${a}] and [${b}] do not broadcast.`);
  }
}

/** Passes its inputs through (Dropout and the like at inference). */
export const identity = (_ctx: LowerContext, _layer: Layer, inputs: IrTensor[]): IrTensor[] => inputs;
