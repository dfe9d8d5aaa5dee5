/**
 * Layers that combine, rearrange or repeat values, or vanish at inference:
 * Average, Maximum, Minimum, Permute, RepeatVector, TimeDistributed(Dense),
 * and the noise/dropout layers.
 */
import {NotSupportedError} from '../../errors.js';
import type {IrOpType} from '../ir.js';
import type {LayerKind, Lowering} from '../layer_kind.js';
import {Dense} from './convolutional.js';
import {broadcastShape, identity, reshapeTo} from '../lowering.js';

/** `type` folded over the inputs (the output takes the broadcast shape). */
function fold(type: IrOpType): Lowering {
  return (ctx, layer, inputs) => {
    let acc = inputs[0];
    for (let i = 1; i < inputs.length; i++) {
      const out = ctx.ir.tensor(`${layer.name}/${type.toLowerCase()}_${i}`,
          broadcastShape(layer, acc.shape, inputs[i].shape));
      ctx.ir.op(type, [acc, inputs[i]], [out], layer.name);
      acc = out;
    }
    return [acc];
  };
}

/**
 * QAT quantizes their outputs, as TFMOT does Add's; MAXIMUM and MINIMUM's
 * int8 kernels want their inputs on the output's grid, which the export
 * requantizes them to.
 */
export const Maximum: LayerKind = {quantize: {role: 'output'}, lower: fold('MAXIMUM')};
export const Minimum: LayerKind = {quantize: {role: 'output'}, lower: fold('MINIMUM')};

/** The sum (ADDs) times 1/n: one MUL by a constant. */
export const Average: LayerKind = {
  quantize: {role: 'output'},
  lower: (ctx, layer, inputs) => {
    const [sum] = fold('ADD')(ctx, layer, inputs);
    const scale = ctx.ir.constant(`${layer.name}/one_over_n`, [1], Float32Array.of(1 / inputs.length), 'weights');
    const out = ctx.ir.tensor(`${layer.name}/out`, sum.shape);
    ctx.ir.op('MUL', [sum, scale], [out], layer.name);
    return [out];
  },
};

/** TRANSPOSE by the layer's dims (1-based, batch axis kept first). */
export const Permute: LayerKind = {
  quantize: {role: 'passThrough'},
  lower: (ctx, layer, [x]) => {
    const perm = [0, ...(layer.getConfig()['dims'] as number[])];
    const permConstant = ctx.ir.constant(`${layer.name}/perm`, [perm.length], Int32Array.from(perm), 'shape');
    const out = ctx.ir.tensor(`${layer.name}/out`, perm.map((axis) => x.shape[axis]));
    ctx.ir.op('TRANSPOSE', [x, permConstant], [out], layer.name);
    return [out];
  },
};

/**
 * [batch, n] -> RESHAPE [batch, 1, n] -> CONCATENATION of `n` copies: values
 * unchanged, so int8 keeps its grid (TILE would do, but older TFLite
 * runtimes have no int16 TILE).
 */
export const RepeatVector: LayerKind = {
  quantize: {role: 'passThrough'},
  lower: (ctx, layer, [x]) => {
    const times = layer.getConfig()['n'] as number;
    const row = reshapeTo(ctx, `${layer.name}/row`, layer.name, x, [x.shape[0], 1, x.shape[1]]);
    const out = ctx.ir.tensor(`${layer.name}/out`, [x.shape[0], times, x.shape[1]]);
    ctx.ir.op('CONCATENATION', new Array(times).fill(row), [out], layer.name, {axis: 1});
    return [out];
  },
};

/**
 * TimeDistributed(Dense): the Dense over the last axis, which is what
 * FULLY_CONNECTED with keepNumDims computes. QAT rejects it (TFMOT's
 * registry has no TimeDistributed); pruning and clustering leave it float.
 */
export const TimeDistributed: LayerKind = {
  pruningLeavesFloat: true,
  clusteringLeavesFloat: true,
  lower: (ctx, layer, inputs) => {
    const inner = (layer as unknown as {layer: typeof layer}).layer;
    if (inner.getClassName() !== 'Dense') {
      throw new NotSupportedError(`Layer '${layer.name}': TimeDistributed(${inner.getClassName()}) cannot ` +
          'be converted; the converter lowers TimeDistributed(Dense) only.');
    }
    return Dense.lower!({ir: ctx.ir}, inner, inputs);
  },
};

/** Identity at inference, like Dropout. */
const vanishes: LayerKind = {quantize: {role: 'passThrough'}, lower: identity, channelPassage: 'perChannel'};
export const SpatialDropout1D = vanishes;
export const GaussianNoise = vanishes;
export const GaussianDropout = vanishes;
export const AlphaDropout = vanishes;
