/**
 * Which weights of which layers can be pruned, and their axes: the output
 * channel (for filter pruning) and the input axis (for m-by-n groups), as
 * the layer kinds describe them; user layers opt in through the
 * PrunableLayer interface.
 */
import * as tfl from '@tensorflow/tfjs-layers';

import {NotSupportedError} from '../errors.js';
import {layerClasses, layerKind, techniqueWeights} from '../graph/layer_registry.js';

type Layer = tfl.layers.Layer;

/** A prunable weight: the layer attribute holding it and its axes. */
export interface PrunableWeight {
  /** The layer field holding the LayerVariable, e.g. `'kernel'`. */
  attr: string;
  /** Axis of output channels/units (filter pruning removes along it). */
  outputAxis: number;
  /** Axis m-by-n groups run along (the input dimension). */
  inputAxis: number;
}

/** Implemented by user layers that know which of their weights to prune. */
export interface PrunableLayer {
  /** Attributes (fields holding LayerVariables) to prune, with their axes. */
  getPrunableWeights(): PrunableWeight[];
}

function isPrunableLayer(layer: Layer): layer is Layer & PrunableLayer {
  return typeof (layer as Partial<PrunableLayer>).getPrunableWeights === 'function';
}

/** The prunable weights of `layer` (empty for weightless/known layers). */
export function prunableWeights(layer: Layer): PrunableWeight[] {
  if (isPrunableLayer(layer)) {
    return layer.getPrunableWeights();
  }
  return techniqueWeights(layer, 'prune').map(({attr, outputAxis, inputAxis}) => ({attr, outputAxis, inputAxis}));
}

/** True if the layer can be pruned (has prunable weights). */
export function isPrunable(layer: Layer): boolean {
  return prunableWeights(layer).length > 0;
}

/** Throws for layers neither prunable nor known to be safe to leave alone. */
export function checkSupported(layer: Layer): void {
  const kind = layerKind(layer);
  if (isPrunable(layer) || (kind != null && (layer.weights.length === 0 || kind.pruningLeavesFloat))) {
    return;
  }
  throw new NotSupportedError(
      `Layer '${layer.name}' of class ${layer.getClassName()} is not supported by ` +
      `pruneLowMagnitude (prunable: ${PRUNABLE_LAYERS.join(', ')}). Wrap only the ` +
      `other layers (pruneLowMagnitude(layer) while building the model), or implement ` +
      `getPrunableWeights() on your layer (the PrunableLayer interface).`);
}

/**
 * Layer classes `pruneLowMagnitude` prunes out of the box: Dense, Conv1D,
 * Conv2D, Conv2DTranspose (kernels), SeparableConv2D (its pointwise kernel),
 * Embedding, and LSTM, GRU, SimpleRNN and Bidirectional (their cells' kernel
 * and recurrent kernel, as TFMOT). Other layers with weights need {@link PrunableLayer}.
 */
export const PRUNABLE_LAYERS = layerClasses((kind) => kind.weights?.some((w) => w.prune) ?? false);
