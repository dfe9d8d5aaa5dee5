/** Reading a tfjs-layers layer's arguments and weights by what they mean. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type Layer = tfl.layers.Layer;

/** A layer's int-or-pair argument (strides, dilation, pool size) as [h, w]. */
export const pair = (v: unknown): [number, number] =>
    Array.isArray(v) ? [v[0] as number, (v[1] ?? v[0]) as number] : [v as number, v as number];

/**
 * Fields holding the layers whose weights a layer owns: an RNN's cell, a
 * Bidirectional's two RNNs. Weight attributes reach into them with dotted
 * paths ('cell.kernel', 'forwardLayer.cell.recurrentKernel').
 */
const SUBLAYER_FIELDS = ['cell', 'forwardLayer', 'backwardLayer'];

/** The LayerVariable a layer holds in field `attr` (a dotted path into sub-layers), or null. */
export function weightVariable(layer: Layer, attr: string): tfl.LayerVariable|null {
  let owner: unknown = layer;
  for (const key of attr.split('.')) {
    owner = (owner as Record<string, unknown>|null|undefined)?.[key];
  }
  return (owner as tfl.LayerVariable|null|undefined) ?? null;
}

/** The field of `layer` holding `variable`, e.g. 'kernel' (or 'cell.kernel' for an RNN's). */
export function weightAttr(layer: Layer, variable: tfl.LayerVariable): string|undefined {
  const fields = layer as unknown as Record<string, unknown>;
  const own = Object.keys(fields).find((k) => fields[k] === variable);
  if (own != null) {
    return own;
  }
  for (const field of SUBLAYER_FIELDS) {
    const sub = fields[field];
    const inner = sub instanceof tfl.layers.Layer ? weightAttr(sub, variable) : undefined;
    if (inner != null) {
      return `${field}.${inner}`;
    }
  }
  return undefined;
}

/** The current value of the weight in field `attr`, or null. */
export function readWeight(layer: Layer, attr: string): tf.Tensor|null {
  return weightVariable(layer, attr)?.read() ?? null;
}
