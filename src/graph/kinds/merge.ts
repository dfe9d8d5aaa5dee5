/** Layers that combine several inputs. */
import * as tfl from '@tensorflow/tfjs-layers';

import {NotSupportedError} from '../../errors.js';
import {configAxis, singleAxis} from '../config_axis.js';
import type {LayerKind, Lowering} from '../layer_kind.js';
import {broadcastShape} from '../lowering.js';

type Layer = tfl.layers.Layer;

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

export const Add: LayerKind = {quantize: {role: 'output'}, lower: lowerElementwise('ADD')};
export const Multiply: LayerKind = {quantize: {role: 'output'}, lower: lowerElementwise('MUL')};

/** The axis a Concatenate joins along, in 0..rank-1 (a number or a one-element list). */
function concatAxis(layer: Layer, rank: number): number {
  const given = singleAxis(layer.getConfig()['axis'] ?? -1);
  if (given != null && given < -1 && given >= -rank) {
    // tfjs-layers declares the output shape for that axis but computes over the
    // last one: the file would disagree with the model either way.
    throw new NotSupportedError(`Layer '${layer.name}': Concatenate axis ${given} is computed ` +
        `over the last axis by tfjs-layers; give it as ${given + rank} (counting the batch axis) or -1.`);
  }
  return configAxis(layer, 'axis', rank);
}

export const Concatenate: LayerKind = {
  quantize: {role: 'output', sharesInputRanges: true},
  checkConfig: (layer, [shape]) => {
    concatAxis(layer, shape.length);
  },
  lower: (ctx, layer, inputs) => {
    const axis = concatAxis(layer, inputs[0].shape.length);
    const shape = [...inputs[0].shape];
    shape[axis] = inputs.reduce((sum, t) => sum + t.shape[axis], 0);
    const out = ctx.ir.tensor(`${layer.name}/out`, shape);
    ctx.ir.op('CONCATENATION', inputs, [out], layer.name, {axis});
    return [out];
  },
};

