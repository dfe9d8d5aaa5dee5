/**
 * Copies a model layer by layer through a replacement function, then copies
 * weights into the new layers once the new model is built (wrappers build
 * their inner layers on first use).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {applySymbolic, checkModel, readGraph, rebuildModel} from './model_graph.js';
import {cloneLayer} from './serialization.js';

type Layer = tfl.layers.Layer;

/**
 * What replaces one layer, and where its weights come from and go once the
 * new model is built. Without `weightsFrom` nothing is copied: the
 * replacement already holds its weights.
 */
export interface Replacement {
  /** The layer standing in the new model. */
  layer: Layer;
  /** The weights to copy, in `weightsInto.weights` order (called once the new model is built). */
  weightsFrom?: () => tf.Tensor[];
  /** Where `weightsFrom` goes; required with it. */
  weightsInto?: Layer;
  /** Runs after the weights are copied (e.g. to initialize from them). */
  afterCopy?: () => void;
}

export function transformModel(model: tfl.LayersModel, fnName: string,
    replace: (layer: Layer) => Replacement): tfl.LayersModel {
  const graph = readGraph(checkModel(model, fnName));
  const made = new Map<Layer, Replacement>();
  const result = rebuildModel(graph, (node, inputs) => {
    let r = made.get(node.layer);
    if (r == null) {
      r = replace(node.layer);
      made.set(node.layer, r);
    }
    return applySymbolic(r.layer, inputs, node.callArgs);
  });
  for (const r of made.values()) {
    const {weightsFrom, weightsInto} = r;
    if (weightsFrom != null && weightsInto != null) {
      tf.tidy(() => weightsInto.setWeights(weightsFrom()));
    }
    r.afterCopy?.();
  }
  return result;
}

/** A copy of `layer` holding a copy of its weights. */
export function copyOf(layer: Layer): Replacement {
  const copy = cloneLayer(layer);
  return {layer: copy, weightsFrom: () => layer.getWeights(), weightsInto: copy};
}

/**
 * `wrap` applied to a copy of `layer`; the copy gets a copy of the weights
 * once the new model is built, then `afterCopy` runs.
 */
export function wrapCopyOf<W extends Layer>(layer: Layer, wrap: (copy: Layer) => W,
    afterCopy?: (wrapped: W) => void): Replacement {
  const copy = cloneLayer(layer);
  const wrapped = wrap(copy);
  return {layer: wrapped, weightsFrom: () => layer.getWeights(), weightsInto: copy,
    afterCopy: afterCopy && (() => afterCopy(wrapped))};
}
