/** Text layers: Embedding (a GATHER of rows) and LayerNormalization (composed from builtins). */
import {NotSupportedError} from '../../errors.js';
import type {IrTensor} from '../ir.js';
import type {LayerKind, LowerContext} from '../layer_kind.js';
import {floatData, weightOf} from '../lowering.js';

export const Embedding: LayerKind = {
  // m-by-n groups run along the vocabulary (axis 0), as TFMOT groups every
  // 2-D weight: the table is the matrix a one-hot id multiplies.
  weights: [{attr: 'embeddings', outputAxis: 0, inputAxis: 0, prune: true, cluster: true}],
  // TFMOT's default 8-bit registry leaves Embedding out ("enable once
  // verified with TFLite behavior", its entry `['embeddings']` commented
  // out). This is that entry: the table fake-quantized per tensor, no
  // output quantizer, as int8 GATHER's output keeps the table's parameters.
  quantize: {role: 'weighted', weightAttr: 'embeddings', perAxis: false, weightsOnly: true},
  /** GATHER of the table's rows by the int32 indices: [1, ...ids] -> [1, ...ids, dim]. */
  lower: (ctx, layer, [ids]) => {
    if (layer.getConfig()['maskZero'] === true) {
      throw new NotSupportedError(`Layer '${layer.name}': Embedding with maskZero is not supported (TFLite ` +
          'carries no masks, so the layers after it would count the padding); set maskZero false.');
    }
    if (ids.dtype !== 'int32') {
      throw new NotSupportedError(`Layer '${layer.name}': Embedding needs int32 indices in TFLite; declare ` +
          "the model input int32 (tf.input({shape, dtype: 'int32'}) or tf.layers.inputLayer({inputShape, " +
          "dtype: 'int32'})).");
    }
    const table = weightOf(ctx, layer, 'embeddings')!;
    const [rows, dim] = table.shape as number[];
    const weights = ctx.ir.constant(`${layer.name}/embeddings`, [rows, dim], floatData(table), 'weights');
    const out = ctx.ir.tensor(`${layer.name}/out`, [...ids.shape, dim]);
    ctx.ir.op('GATHER', [weights, ids], [out], layer.name);
    return [out];
  },
};

/** A binary op of the lowering; the second input may be a constant. */
function binary(ctx: LowerContext, type: 'ADD'|'SUB'|'MUL', a: IrTensor, b: IrTensor, name: string,
    source: string): IrTensor {
  const out = ctx.ir.tensor(name, a.shape.length >= b.shape.length ? a.shape : b.shape);
  ctx.ir.op(type, [a, b], [out], source);
  return out;
}

export const LayerNormalization: LayerKind = {
  quantizeNote: 'Like TFMOT, QAT leaves LayerNormalization out; it converts in float32, float16 and dynamic ' +
      'range, and in int8 and 16x8 from a representativeDataset (post-training).',
  pruningLeavesFloat: true,
  clusteringLeavesFloat: true,
  /**
   * (x - mean) * rsqrt(variance + epsilon) * gamma + beta over the last
   * axis, as MEAN, SUB, MUL, MEAN, ADD, RSQRT, MUL, MUL, ADD: what tfjs
   * computes, in the builtins every runtime has.
   */
  lower: (ctx, layer, [x]) => {
    const name = layer.name;
    const rank = x.shape.length;
    const axes = (layer as unknown as {axis: number[]}).axis;
    if (axes.length !== 1 || (axes[0] !== rank - 1 && axes[0] !== -1)) {
      throw new NotSupportedError(`Layer '${name}': LayerNormalization over axes [${axes}] of a rank-${rank} ` +
          `tensor; the converter normalizes over the last axis only (axis -1 or ${rank - 1}).`);
    }
    const config = layer.getConfig();
    const last = ctx.ir.constant(`${name}/axis`, [1], Int32Array.of(rank - 1), 'shape');
    const reduced = [...x.shape.slice(0, -1), 1];
    const meanOf = (t: IrTensor, label: string) => {
      const out = ctx.ir.tensor(`${name}/${label}`, reduced);
      ctx.ir.op('MEAN', [t, last], [out], name, {keepDims: true});
      return out;
    };
    const centered = binary(ctx, 'SUB', x, meanOf(x, 'mean'), `${name}/centered`, name);
    const variance = meanOf(binary(ctx, 'MUL', centered, centered, `${name}/squared`, name), 'variance');
    const eps = ctx.ir.constant(`${name}/epsilon`, [1], Float32Array.of(config['epsilon'] as number), 'weights');
    const shifted = binary(ctx, 'ADD', variance, eps, `${name}/variance_eps`, name);
    const inverse = ctx.ir.tensor(`${name}/rsqrt`, reduced);
    ctx.ir.op('RSQRT', [shifted], [inverse], name);
    let y = binary(ctx, 'MUL', centered, inverse, `${name}/normalized`, name);
    const channels = x.shape[rank - 1];
    const gamma = config['scale'] !== false ? weightOf(ctx, layer, 'gamma') : null;
    if (gamma != null) {
      y = binary(ctx, 'MUL', y, ctx.ir.constant(`${name}/gamma`, [channels], floatData(gamma), 'weights'),
          `${name}/scaled`, name);
    }
    const beta = config['center'] !== false ? weightOf(ctx, layer, 'beta') : null;
    if (beta != null) {
      y = binary(ctx, 'ADD', y, ctx.ir.constant(`${name}/beta`, [channels], floatData(beta), 'weights'),
          `${name}/out`, name);
    }
    return [y];
  },
};
