/** Activation layers with their own class: ReLU (any maxValue), LeakyReLU, ELU, PReLU. */
import * as tfl from '@tensorflow/tfjs-layers';

import {NotSupportedError} from '../../errors.js';
import type {LayerKind} from '../layer_kind.js';
import {floatData, weightOf} from '../lowering.js';
import {lowerActivationLayer} from './activations.js';

type Layer = tfl.layers.Layer;

const maxValueOf = (layer: Layer) => (layer.getConfig()['maxValue'] ?? null) as number|null;

/** A ReLU layer's activation: relu, relu6, or relu capped elsewhere. */
function reluName(layer: Layer): string {
  const maxValue = maxValueOf(layer);
  return maxValue == null ? 'relu' : maxValue === 6 ? 'relu6' : `relu(maxValue=${maxValue})`;
}

/**
 * QAT quantizes the output of each (TFMOT's rule for ReLU; LeakyReLU, ELU
 * and PReLU, which TFMOT leaves unverified, the same way), and the int8
 * kernels take any input and output parameters.
 */
export const ReLU: LayerKind = {
  activation: reluName,
  quantize: {role: 'output'},
  channelPassage: 'perChannel',
  lower: (ctx, layer, inputs) => {
    const maxValue = maxValueOf(layer);
    if (maxValue == null || maxValue === 6) {
      return lowerActivationLayer(reluName)(ctx, layer, inputs);
    }
    if (!(maxValue > 0)) {
      throw new NotSupportedError(`Layer '${layer.name}': ReLU maxValue ${maxValue} gives a constant 0; ` +
          'the converter takes a maxValue > 0 (or none).');
    }
    // min(relu(x), m) = relu6(x * 6/m) * m/6: two MULs any mode runs (one with RELU6 fused).
    const [x] = inputs;
    const scaled = ctx.ir.tensor(`${layer.name}/relu6`, x.shape);
    const up = ctx.ir.constant(`${layer.name}/to_six`, [1], Float32Array.of(6 / maxValue), 'weights');
    ctx.ir.op('MUL', [x, up], [scaled], layer.name, {}, 'RELU6');
    const out = ctx.ir.tensor(`${layer.name}/out`, x.shape);
    const down = ctx.ir.constant(`${layer.name}/from_six`, [1], Float32Array.of(maxValue / 6), 'weights');
    ctx.ir.op('MUL', [scaled, down], [out], layer.name);
    return [out];
  },
};

export const LeakyReLU: LayerKind = {
  quantize: {role: 'output'},
  channelPassage: 'perChannel',
  lower: (ctx, layer, [x]) => {
    const out = ctx.ir.tensor(`${layer.name}/out`, x.shape);
    ctx.ir.op('LEAKY_RELU', [x], [out], layer.name, {alpha: layer.getConfig()['alpha'] as number});
    return [out];
  },
};

export const ELU: LayerKind = {
  quantize: {role: 'output'},
  channelPassage: 'perChannel',
  // tfjs-layers' ELU layer takes only alpha 1, TFLite's ELU's only alpha.
  lower: lowerActivationLayer(() => 'elu'),
};

/**
 * PRELU with alpha as a constant of the input's rank (1 along sharedAxes);
 * integer modes store alpha per tensor, as TFLite's kernel reads it.
 * Pruning and clustering leave alpha float (one value per position or channel).
 */
export const PReLU: LayerKind = {
  quantize: {role: 'output'},
  pruningLeavesFloat: true,
  clusteringLeavesFloat: true,
  lower: (ctx, layer, [x]) => {
    const alpha = weightOf(ctx, layer, 'alpha')!;
    const constant = ctx.ir.constant(`${layer.name}/alpha`, [1, ...alpha.shape], floatData(alpha), 'weights');
    const out = ctx.ir.tensor(`${layer.name}/out`, x.shape);
    ctx.ir.op('PRELU', [x, constant], [out], layer.name);
    return [out];
  },
};
