/** Activation layers. */
import * as tfl from '@tensorflow/tfjs-layers';

import {NotSupportedError} from '../../errors.js';
import type {LayerKind, Lowering} from '../layer_kind.js';
import {activationOf} from '../lowering.js';

type Layer = tfl.layers.Layer;

/** A standalone activation: its TFLite op, or nothing for a linear one. */
function lowerActivationLayer(activation: (layer: Layer) => string): Lowering {
  return (ctx, layer, [x]) => {
    const act = activationOf(layer, activation(layer));
    if (act === 'NONE') {
      return [x];
    }
    const out = ctx.ir.tensor(`${layer.name}/out`, x.shape);
    ctx.ir.op(act, [x], [out], layer.name, act === 'SOFTMAX' ? {beta: 1} : {});
    return [out];
  };
}

/** A ReLU layer's activation; a maxValue other than 6 has no TFLite or int8 form. */
function reluName(layer: Layer): string {
  const maxValue = (layer.getConfig()['maxValue'] ?? null) as number|null;
  return maxValue == null ? 'relu' : maxValue === 6 ? 'relu6' : `relu(maxValue=${maxValue})`;
}

export const ReLU: LayerKind = {
  activation: reluName,
  quantize: {role: 'output'},
  lower: lowerActivationLayer(reluName),
  channelPassage: 'perChannel',
};

const configured = (layer: Layer) => layer.getConfig()['activation'] as string;

export const Activation: LayerKind = {
  quantize: {role: 'byActivation'},
  lower: lowerActivationLayer(configured),
  channelPassage: 'perChannel',
};

export const Softmax: LayerKind = {
  activation: () => 'softmax',
  quantize: {role: 'byActivation'},
  lower: (ctx, layer, inputs) => {
    // TFLite's SOFTMAX normalizes over the last axis only.
    const axis = layer.getConfig()['axis'] as number|undefined;
    const rank = inputs[0].shape.length;
    if (axis != null && axis !== -1 && axis !== rank - 1) {
      throw new NotSupportedError(`Layer '${layer.name}': Softmax over axis ${axis} of a rank-${rank} tensor; ` +
          `TFLite's SOFTMAX takes the last axis only (axis -1 or ${rank - 1}).`);
    }
    return lowerActivationLayer(() => 'softmax')(ctx, layer, inputs);
  },
};

export const LeakyReLU: LayerKind = {};
export const ELU: LayerKind = {};
export const PReLU: LayerKind = {clusteringLeavesFloat: true};
