/**
 * The public pruning functions: wrap (pruneLowMagnitude), unwrap
 * (stripPruning) and measure (getSparsity).
 */
import * as tfl from '@tensorflow/tfjs-layers';

import {checkOptionKeys, describeValue, ValueError} from '../errors.js';
import {weightVariable} from '../graph/layer_attributes.js';
import {checkConfigForms} from '../graph/check_config.js';
import {checkModel, readGraph} from '../graph/model_graph.js';
import {copyOf, transformModel, wrapCopyOf} from '../graph/transform_model.js';
import {checkNotWrapped, stripWrappers} from '../graph/wrapper.js';
import {checkSupported, isPrunable, prunableWeights} from './prune_registry.js';
import {PRUNE_PARAM_KEYS, PruneLowMagnitude, PruneParams} from './prune_wrapper.js';
import {removePrunedFilters} from './remove_filters.js';

type Layer = tfl.layers.Layer;

/**
 * Wraps layers for magnitude pruning during fit() (train with the
 * UpdatePruningStep callback). Mirrors
 * tfmot.sparsity.keras.prune_low_magnitude, plus `scope: 'global'` and
 * `structure: 'filters'`. Takes a model (every prunable layer is
 * wrapped, the model is copied; with `structure: 'filters'` not the layers
 * producing the model's outputs), one layer or an array of layers (to build
 * a model with).
 *
 * @throws ValueError for an unknown key in `params` (e.g. Python's
 *     `pruning_schedule`), invalid params, or a model or layer already
 *     wrapped by pruning, clustering or quantization (strip it first; the
 *     message names the layer and the combined flows TFMOT supports).
 *     Unlike TFMOT, a model with some layers already pruned is refused
 *     rather than keeping their first settings silently.
 *
 * ```ts
 * const pruned = tfmot.sparsity.pruneLowMagnitude(model, {
 *   pruningSchedule: new tfmot.sparsity.PolynomialDecay(
 *       {initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 0, endStep: 1000}),
 * });
 * ```
 */
// A LayersModel is also a Layer, so its overload comes first.
export function pruneLowMagnitude(toPrune: tfl.LayersModel, params?: PruneParams): tfl.LayersModel;
export function pruneLowMagnitude(toPrune: Layer, params?: PruneParams): PruneLowMagnitude;
export function pruneLowMagnitude(toPrune: Layer[], params?: PruneParams): PruneLowMagnitude[];
export function pruneLowMagnitude(toPrune: Layer|Layer[]|tfl.LayersModel, params: PruneParams = {}):
    PruneLowMagnitude|PruneLowMagnitude[]|tfl.LayersModel {
  checkOptionKeys(params, PRUNE_PARAM_KEYS, 'pruneLowMagnitude params');
  if (Array.isArray(toPrune)) {
    return toPrune.map((layer) => pruneLowMagnitude(layer, params));
  }
  if (toPrune instanceof tfl.LayersModel) {
    const model = toPrune;
    const graph = readGraph(checkModel(model, 'pruneLowMagnitude'));
    checkConfigForms(graph, 'pruneLowMagnitude');
    // Pruning again would keep the first wrappers' schedule silently.
    checkNotWrapped(graph.nodes.map((n) => n.layer), 'pruneLowMagnitude');
    for (const layer of graph.nodes.map((n) => n.layer)) {
      checkSupported(layer);
    }
    // Removing whole output units of a layer the model outputs would remove
    // outputs (e.g. classes): filter pruning leaves those layers alone.
    const outputLayers = new Set(model.outputs.map((t) => t.sourceLayer));
    const skip = (layer: Layer) => params.structure === 'filters' && outputLayers.has(layer);
    return transformModel(model, 'pruneLowMagnitude', (layer) => {
      if (!isPrunable(layer) || skip(layer)) {
        return copyOf(layer);
      }
      return wrapCopyOf(layer, (inner) => new PruneLowMagnitude({layer: inner, ...params}));
    });
  }
  if (!(toPrune instanceof tfl.layers.Layer)) {
    throw new ValueError(
        `pruneLowMagnitude expects a layer, an array of layers or a LayersModel; received ` +
        `${describeValue(toPrune)}.`);
  }
  return new PruneLowMagnitude({layer: toPrune, ...params});
}

/**
 * Returns the plain model: wrappers replaced by their layers holding the
 * masked weights. Mirrors tfmot.sparsity.keras.strip_pruning; strip before
 * saving for inference. Layers pruned with `structure: 'filters'` lose the pruned
 * channels for real, and so do the layers reading them (a smaller, faster
 * model with the same outputs).
 *
 * ```ts
 * const small = tfmot.sparsity.stripPruning(pruned);
 * ```
 */
export function stripPruning(model: tfl.LayersModel): tfl.LayersModel {
  const filterPruned: string[] = [];
  const stripped = stripWrappers(model, 'stripPruning', (layer): layer is PruneLowMagnitude => {
    if (!(layer instanceof PruneLowMagnitude)) {
      return false;
    }
    if (layer.params.structure === 'filters') {
      filterPruned.push(layer.layer.name);
    }
    return true;
  });
  if (filterPruned.length === 0) {
    return stripped;
  }
  const smaller = removePrunedFilters(stripped, filterPruned);
  stripped.dispose();  // the full-size intermediate; `smaller` holds its own references
  return smaller;
}

/** Sparsity of one prunable weight. */
export interface WeightSparsity {
  /** Name of the model's layer (the wrapper's, for a wrapped layer). */
  layer: string;
  /** The weight attribute, e.g. `'kernel'`. */
  weight: string;
  /** Elements that are exactly zero. */
  zeros: number;
  /** Elements of the weight. */
  total: number;
  /** zeros / total. */
  sparsity: number;
}

/**
 * Fraction of exact zeros in each prunable weight of a model (wrapped or
 * stripped), and over all of them, to check that pruning reached its
 * target. Not in TFMOT. Only the model's top-level layers are looked at.
 */
export function getSparsity(model: tfl.LayersModel): {
  /** One entry per prunable weight, in layer order. */
  layers: WeightSparsity[],
  /** Zeros over elements of all prunable weights; 0 if there are none. */
  overall: number,
} {
  const layers: WeightSparsity[] = [];
  for (const outer of model.layers) {
    const layer = outer instanceof PruneLowMagnitude ? outer.layer : outer;
    for (const spec of prunableWeights(layer)) {
      const values = weightVariable(layer, spec.attr)!.read().dataSync() as Float32Array;
      let zeros = 0;
      for (const v of values) {
        zeros += v === 0 ? 1 : 0;
      }
      layers.push({layer: outer.name, weight: spec.attr, zeros, total: values.length,
        sparsity: zeros / values.length});
    }
  }
  const zeros = layers.reduce((n, l) => n + l.zeros, 0);
  const total = layers.reduce((n, l) => n + l.total, 0);
  return {layers, overall: total > 0 ? zeros / total : 0};
}
