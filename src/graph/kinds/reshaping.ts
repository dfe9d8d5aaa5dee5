/** Layers that move, pad, crop or drop values without weights. */
import type {LayerKind} from '../layer_kind.js';
import {identity, requireChannelsLast, reshapeTo} from '../lowering.js';

export const Flatten: LayerKind = {
  quantize: {role: 'passThrough'},
  channelPassage: 'flatten',
  lower: (ctx, layer, [x]) => {
    // channelsFirst flattens in channels-last order (a transpose first); rank 2 has nothing to move.
    if (x.shape.length > 2) {
      requireChannelsLast(layer);
    }
    return [reshapeTo(ctx, layer.name, layer.name, x, [x.shape[0], x.shape.slice(1).reduce((a, b) => a * b, 1)])];
  },
};

export const Reshape: LayerKind = {
  quantize: {role: 'passThrough'},
  lower: (ctx, layer, [x]) => {
    // tfjs-layers stores the inferred dimension (-1 when created) as null in its config.
    const target = (layer.getConfig()['targetShape'] as Array<number|null>).map((d) => d ?? -1);
    const size = x.shape.slice(1).reduce((a, b) => a * b, 1);
    const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    return [reshapeTo(ctx, layer.name, layer.name, x,
        [x.shape[0], ...target.map((d) => d === -1 ? size / known : d)])];
  },
};

export const ZeroPadding2D: LayerKind = {
  quantize: {role: 'passThrough'},
  lower: (ctx, layer, [x]) => {
    const config = requireChannelsLast(layer);
    const [[top, bottom], [left, right]] = config['padding'] as number[][];
    const paddings = ctx.ir.constant(`${layer.name}/paddings`, [4, 2],
        Int32Array.from([0, 0, top, bottom, left, right, 0, 0]), 'shape');
    const out = ctx.ir.tensor(`${layer.name}/out`,
        [x.shape[0], x.shape[1] + top + bottom, x.shape[2] + left + right, x.shape[3]]);
    ctx.ir.op('PAD', [x, paddings], [out], layer.name);
    return [out];
  },
};

export const Dropout: LayerKind = {quantize: {role: 'passThrough'}, lower: identity, channelPassage: 'perChannel'};
