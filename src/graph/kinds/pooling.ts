/** Pooling layers. */
import {pair} from '../layer_attributes.js';
import type {LayerKind, Lowering} from '../layer_kind.js';
import {outSize, padding, requireChannelsLast} from '../lowering.js';

function lowerPool(type: 'MAX_POOL_2D'|'AVERAGE_POOL_2D'): Lowering {
  return (ctx, layer, [x]) => {
    const config = layer.getConfig();
    const pad = padding(layer, config);
    const [fh, fw] = pair(config['poolSize']);
    const [sh, sw] = pair(config['strides'] ?? config['poolSize']);
    const out = ctx.ir.tensor(`${layer.name}/out`,
        [x.shape[0], outSize(x.shape[1], fh, sh, 1, pad), outSize(x.shape[2], fw, sw, 1, pad), x.shape[3]]);
    ctx.ir.op(type, [x], [out], layer.name,
        {padding: pad, strideH: sh, strideW: sw, filterHeight: fh, filterWidth: fw});
    return [out];
  };
}

/** A reduction over every axis between batch and channels (1-D and 2-D alike). */
function lowerGlobalPool(type: 'MEAN'|'REDUCE_MAX'): Lowering {
  return (ctx, layer, [x]) => {
    requireChannelsLast(layer);
    const spatial = x.shape.slice(1, -1).map((_, i) => i + 1);
    const axes = ctx.ir.constant(`${layer.name}/axes`, [spatial.length], Int32Array.from(spatial), 'shape');
    const out = ctx.ir.tensor(`${layer.name}/out`, [x.shape[0], x.shape[x.shape.length - 1]]);
    ctx.ir.op(type, [x, axes], [out], layer.name, {keepDims: false});
    return [out];
  };
}

// A max keeps its input's int8 parameters; an average is requantized.
export const MaxPooling2D: LayerKind = {
  quantize: {role: 'passThrough'}, lower: lowerPool('MAX_POOL_2D'), channelPassage: 'pooling',
};
export const AveragePooling2D: LayerKind = {
  quantize: {role: 'output'}, lower: lowerPool('AVERAGE_POOL_2D'), channelPassage: 'averagePooling',
};
export const GlobalAveragePooling2D: LayerKind = {
  quantize: {role: 'output'}, lower: lowerGlobalPool('MEAN'), channelPassage: 'pooling',
};
export const GlobalMaxPooling2D: LayerKind = {
  quantize: {role: 'passThrough'}, lower: lowerGlobalPool('REDUCE_MAX'), channelPassage: 'pooling',
};
export const GlobalAveragePooling1D: LayerKind = {
  quantize: {role: 'output'}, lower: lowerGlobalPool('MEAN'), channelPassage: 'pooling',
};
export const GlobalMaxPooling1D: LayerKind = {
  quantize: {role: 'passThrough'}, lower: lowerGlobalPool('REDUCE_MAX'), channelPassage: 'pooling',
};
