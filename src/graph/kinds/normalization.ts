/** Normalization layers. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {batchNormScaleShift} from '../batch_norm.js';
import {requireLastAxis} from '../config_axis.js';
import type {LayerKind} from '../layer_kind.js';
import {floatData, reshapeTo} from '../lowering.js';

/** Per-channel multiplier and shift of a BatchNormalization's frozen statistics. */
export function batchNormScaleShiftData(layer: tfl.layers.Layer): [Float32Array, Float32Array] {
  const {scale, shift} = batchNormScaleShift(layer);
  try {
    return [floatData(scale), floatData(shift)];
  } finally {
    tf.dispose([scale, shift]);
  }
}

/** Folding and the TFLite form scale per channel: the axis must be the last one (-1, 3 or [3] for NHWC). */
function checkBatchNormAxis(layer: tfl.layers.Layer, rank: number): void {
  requireLastAxis(layer, 'axis', rank, 'BatchNormalization folding (QAT) and the TFLite converter');
}

export const BatchNormalization: LayerKind = {
  checkConfig: (layer, [shape]) => checkBatchNormAxis(layer, shape.length),
  quantize: {role: 'output', foldsIntoProducer: true},
  pruningLeavesFloat: true,
  clusteringLeavesFloat: true,
  channelPassage: 'perChannel',
  /**
   * x * s + (beta - mean * s) per channel, as one 1x1 DEPTHWISE_CONV_2D
   * (reshaped to 4-D around it if needed): a single op with per-channel int8
   * weights keeps int8 exact where MUL + ADD would round an intermediate
   * tensor. Marked so the fold pass can merge it into a conv/dense before it.
   */
  lower: (ctx, layer, [x]) => {
    checkBatchNormAxis(layer, x.shape.length);
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
  },
};
