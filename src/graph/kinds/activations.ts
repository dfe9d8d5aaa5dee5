/** Activation layers. */
import * as tfl from '@tensorflow/tfjs-layers';

import {requireLastAxis} from '../config_axis.js';
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

/** TFLite's SOFTMAX (and its fixed int8 output) normalizes over the last axis only. */
function checkSoftmaxAxis(layer: Layer, rank: number): void {
  requireLastAxis(layer, 'axis', rank, "TFLite's SOFTMAX");
}

export const Softmax: LayerKind = {
  activation: () => 'softmax',
  quantize: {role: 'byActivation'},
  checkConfig: (layer, [shape]) => checkSoftmaxAxis(layer, shape.length),
  lower: (ctx, layer, inputs) => {
    checkSoftmaxAxis(layer, inputs[0].shape.length);
    return lowerActivationLayer(() => 'softmax')(ctx, layer, inputs);
  },
};
