/** Activation layers. */
import * as tfl from '@tensorflow/tfjs-layers';

import {requireLastAxis} from '../config_axis.js';
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

export const LeakyReLU: LayerKind = {};
export const ELU: LayerKind = {};
export const PReLU: LayerKind = {clusteringLeavesFloat: true};
