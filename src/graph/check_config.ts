/**
 * Config forms checked when a model is wrapped: `checkConfigForms` runs the
 * layer kinds' `checkConfig`, so a form the library cannot train or export
 * (BatchNormalization over a non-channel axis...) fails in quantizeModel,
 * pruneLowMagnitude or clusterWeights, naming the layer, instead of at
 * export after training.
 */
import * as tfl from '@tensorflow/tfjs-layers';

import {NotSupportedError} from '../errors.js';
import {layerKind} from './layer_registry.js';
import type {ModelGraph} from './model_graph.js';
import {OptimizationWrapper} from './wrapper.js';

type Layer = tfl.layers.Layer;

/** The layer a wrapper (pruning, clustering, QAT annotation) holds, or the layer itself. */
function innermost(layer: Layer): Layer {
  return layer instanceof OptimizationWrapper ? innermost(layer.layer) : layer;
}

/**
 * Runs every layer kind's `checkConfig` on the model's layer calls (wrapped
 * layers included): `fnName` fails here, naming the layer, on a config form
 * the library cannot train or export.
 */
export function checkConfigForms(graph: ModelGraph, fnName: string): void {
  for (const node of graph.nodes) {
    const layer = innermost(node.layer);
    const check = layerKind(layer)?.checkConfig;
    if (check == null) {
      continue;
    }
    try {
      check(layer, node.inputs.map((t) => t.shape));
    } catch (e) {
      if (e instanceof NotSupportedError) {
        throw new NotSupportedError(`${fnName}: ${e.message}`);
      }
      throw e;
    }
  }
}
