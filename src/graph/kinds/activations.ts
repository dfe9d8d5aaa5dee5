/** Activation layers. */
import * as tfl from '@tensorflow/tfjs-layers';

import {NotSupportedError} from '../../errors.js';
import {activationName} from '../layer_attributes.js';
import type {LayerKind, Lowering} from '../layer_kind.js';
import {activationOf} from '../lowering.js';

/** A standalone activation: its TFLite op, or nothing for a linear one. */
const lowerActivationLayer: Lowering = (ctx, layer, [x]) => {
  const act = activationOf(layer, layer.getClassName() === 'Activation' ?
      layer.getConfig()['activation'] as string : activationName(layer));
  if (act === 'NONE') {
    return [x];
  }
  const out = ctx.ir.tensor(`${layer.name}/out`, x.shape);
  ctx.ir.op(act, [x], [out], layer.name, act === 'SOFTMAX' ? {beta: 1} : {});
  return [out];
};

export const ReLU: LayerKind = {quantize: {role: 'output'}, lower: lowerActivationLayer};
export const Activation: LayerKind = {quantize: {role: 'byActivation'}, lower: lowerActivationLayer};

export const Softmax: LayerKind = {
  quantize: {role: 'byActivation'},
  lower: (ctx, layer: tfl.layers.Layer, inputs) => {
    // TFLite's SOFTMAX normalizes over the last axis only.
    const axis = layer.getConfig()['axis'] as number|undefined;
    const rank = inputs[0].shape.length;
    if (axis != null && axis !== -1 && axis !== rank - 1) {
      throw new NotSupportedError(`Layer '${layer.name}': Softmax over axis ${axis} of a rank-${rank} tensor; ` +
          `TFLite's SOFTMAX takes the last axis only (axis -1 or ${rank - 1}).`);
    }
    return lowerActivationLayer(ctx, layer, inputs);
  },
};

export const LeakyReLU: LayerKind = {};
export const ELU: LayerKind = {};
export const PReLU: LayerKind = {clusteringLeavesFloat: true};
