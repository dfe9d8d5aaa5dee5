/** Layers that combine several inputs. */
import {NotSupportedError} from '../../errors.js';
import type {LayerKind, Lowering} from '../layer_kind.js';
import {broadcastShape} from '../lowering.js';

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

export const Concatenate: LayerKind = {
  quantize: {role: 'output', sharesInputRanges: true},
  lower: (ctx, layer, inputs) => {
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
  },
};

export const Subtract: LayerKind = {};
