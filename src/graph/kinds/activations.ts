/** Activation layers. */
import * as tfl from '@tensorflow/tfjs-layers';

import {NotSupportedError} from '../../errors.js';
import type {LayerKind, Lowering} from '../layer_kind.js';
import {activationOf, emitActivation} from '../lowering.js';

type Layer = tfl.layers.Layer;

/** A standalone activation: its TFLite op(s), or nothing for a linear one. */
export function lowerActivationLayer(activation: (layer: Layer) => string): Lowering {
  return (ctx, layer, [x]) => [emitActivation(ctx, layer.name, x, activationOf(layer, activation(layer)))];
}

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
