/**
 * Which weights of which layers can be pruned, and their axes: the output
 * channel (for filter pruning) and the input axis (for m-by-n groups). One
 * flat table; user layers opt in through the PrunableLayer interface.
 */
import * as tfl from '@tensorflow/tfjs-layers';

import {NotSupportedError} from '../errors.js';

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

const PRUNABLE: Record<string, PrunableWeight> = {
  Dense: {attr: 'kernel', outputAxis: 1, inputAxis: 0},
  Conv1D: {attr: 'kernel', outputAxis: 2, inputAxis: 1},
  Conv2D: {attr: 'kernel', outputAxis: 3, inputAxis: 2},
  // tfjs stores Conv2DTranspose kernels as [h, w, out, in].
  Conv2DTranspose: {attr: 'kernel', outputAxis: 2, inputAxis: 3},
  SeparableConv2D: {attr: 'pointwiseKernel', outputAxis: 3, inputAxis: 2},
  Embedding: {attr: 'embeddings', outputAxis: 0, inputAxis: 1},
};

/** Layers that hold no prunable weights but may sit in a pruned model. */
const PASS_THROUGH = new Set([
  'InputLayer', 'Flatten', 'Reshape', 'Dropout', 'SpatialDropout1D', 'MaxPooling1D', 'MaxPooling2D',
  'AveragePooling1D', 'AveragePooling2D', 'GlobalAveragePooling1D', 'GlobalAveragePooling2D',
  'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'ReLU', 'LeakyReLU', 'ELU', 'Softmax', 'Activation',
  'Add', 'Multiply', 'Concatenate', 'Average', 'Maximum', 'Minimum', 'Subtract', 'ZeroPadding2D',
  'Cropping2D', 'UpSampling2D', 'Permute', 'RepeatVector', 'BatchNormalization',
  'LayerNormalization', 'DepthwiseConv2D',
]);

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
  const entry = PRUNABLE[layer.getClassName()];
  return entry != null ? [entry] : [];
}

/** True if the layer can be pruned (has prunable weights). */
export function isPrunable(layer: Layer): boolean {
  return prunableWeights(layer).length > 0;
}

/** Throws for layers neither prunable nor known to be safe to leave alone. */
export function checkSupported(layer: Layer): void {
  if (isPrunable(layer) || PASS_THROUGH.has(layer.getClassName())) {
    return;
  }
  throw new NotSupportedError(
      `Layer '${layer.name}' of class ${layer.getClassName()} is not supported by ` +
      `pruneLowMagnitude (prunable: ${Object.keys(PRUNABLE).join(', ')}). Wrap only the ` +
      `other layers (pruneLowMagnitude(layer) while building the model), or implement ` +
      `getPrunableWeights() on your layer (the PrunableLayer interface).`);
}

/**
 * Layer classes `pruneLowMagnitude` prunes out of the box: Dense, Conv1D,
 * Conv2D, Conv2DTranspose (kernels), SeparableConv2D (its pointwise kernel)
 * and Embedding. Other layers with weights need {@link PrunableLayer}.
 */
export const PRUNABLE_LAYERS = Object.keys(PRUNABLE);
