/**
 * Layer configs in every form Keras and tfjs-layers write them. An axis is a
 * number or a one-element list (Keras' BatchNormalization saves `[3]`),
 * counted from the front with the batch axis as 0 (`3`) or from the back
 * (`-1`). The layer kinds' lowerings and `checkConfig` read axes through
 * these (check_config.ts runs `checkConfig` when a model is wrapped).
 */
import * as tfl from '@tensorflow/tfjs-layers';

import {formatValue, NotSupportedError} from '../errors.js';

type Layer = tfl.layers.Layer;

/** A config value as one axis, or null when it is not one integer (a list of several, a string...). */
export function singleAxis(value: unknown): number|null {
  const v = Array.isArray(value) && value.length === 1 ? value[0] : value;
  return typeof v === 'number' && Number.isInteger(v) ? v : null;
}

/**
 * The config's `key` as an axis in 0..rank-1 of a rank-`rank` input (batch
 * axis included); `fallback` when absent. Throws, naming the layer, for
 * anything but one axis inside the rank.
 */
export function configAxis(layer: Layer, key: string, rank: number, fallback = -1): number {
  const raw = layer.getConfig()[key] ?? fallback;
  const axis = singleAxis(raw);
  if (axis == null || axis < -rank || axis >= rank) {
    throw new NotSupportedError(
        `Layer '${layer.name}' (${layer.getClassName()}): ${key} ${formatValue(raw)} for a ` +
        `rank-${rank} input; one axis is supported, as a number or a one-element list, ` +
        `from -${rank} to ${rank - 1}.`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** True if the config's `key` names the last (channel) axis of a rank-`rank` input. */
export function isLastAxis(layer: Layer, key: string, rank: number, fallback = -1): boolean {
  return configAxis(layer, key, rank, fallback) === rank - 1;
}

/**
 * Throws unless the config's `key` is the last axis: `what` says what needs
 * it ('BatchNormalization folding and TFLite'...).
 */
export function requireLastAxis(layer: Layer, key: string, rank: number, what: string): void {
  if (!isLastAxis(layer, key, rank)) {
    const raw = layer.getConfig()[key];
    throw new NotSupportedError(
        `Layer '${layer.name}' (${layer.getClassName()}) works over ${key} ${formatValue(raw)} ` +
        `of a rank-${rank} input; ${what} supports the last axis only: -1, ` +
        `${rank - 1} or [${rank - 1}].`);
  }
}
