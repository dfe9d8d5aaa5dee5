/** Reading a tfjs-layers layer's arguments and weights by what they mean. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type Layer = tfl.layers.Layer;

/** A layer's int-or-pair argument (strides, dilation, pool size) as [h, w]. */
export const pair = (v: unknown): [number, number] =>
    Array.isArray(v) ? [v[0] as number, (v[1] ?? v[0]) as number] : [v as number, v as number];

/** The LayerVariable a layer holds in field `attr`, or null. */
export function weightVariable(layer: Layer, attr: string): tfl.LayerVariable|null {
  return (layer as unknown as Record<string, tfl.LayerVariable|null|undefined>)[attr] ?? null;
}

/** The field of `layer` holding `variable`, e.g. 'kernel'. */
export function weightAttr(layer: Layer, variable: tfl.LayerVariable): string|undefined {
  const fields = layer as unknown as Record<string, unknown>;
  return Object.keys(fields).find((k) => fields[k] === variable);
}

/** The current value of the weight in field `attr`, or null. */
export function readWeight(layer: Layer, attr: string): tf.Tensor|null {
  return weightVariable(layer, attr)?.read() ?? null;
}
