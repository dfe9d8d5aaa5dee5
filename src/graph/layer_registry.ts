/**
 * The layer kinds by tfjs-layers class name: the registry every technique,
 * the converter and the report read.
 */
import * as tfl from '@tensorflow/tfjs-layers';

import * as activationLayers from './kinds/activation_layers.js';
import * as activations from './kinds/activations.js';
import * as convolutional from './kinds/convolutional.js';
import * as merge from './kinds/merge.js';
import * as normalization from './kinds/normalization.js';
import * as oneD from './kinds/one_d.js';
import * as pooling from './kinds/pooling.js';
import * as recurrent from './kinds/recurrent.js';
import * as reshaping from './kinds/reshaping.js';
import * as structure from './kinds/structure.js';
import * as text from './kinds/text.js';
import * as twoD from './kinds/two_d.js';
import type {LayerKind, WeightSpec} from './layer_kind.js';

/** Every export of the kinds modules that is a record, keyed by its name (the class name). */
function collect(...modules: Array<Record<string, unknown>>): ReadonlyMap<string, LayerKind> {
  const kinds = new Map<string, LayerKind>();
  for (const module of modules) {
    for (const [name, value] of Object.entries(module)) {
      if (/^[A-Z]/.test(name) && typeof value === 'object' && value != null) {
        if (kinds.has(name)) {
          // A record moved to a new module but left behind in the old one.
          throw new Error(`Internal: layer class ${name} is described twice.`);
        }
        kinds.set(name, value as LayerKind);
      }
    }
  }
  return kinds;
}

const LAYER_KINDS = collect(activations, convolutional, merge, normalization, pooling, reshaping,
    activationLayers, oneD, recurrent, structure, text, twoD);

/** The record of a layer (or class name), or undefined for a class the library does not know. */
export function layerKind(layer: tfl.layers.Layer|string): LayerKind|undefined {
  return LAYER_KINDS.get(typeof layer === 'string' ? layer : layer.getClassName());
}

/** Class names whose record satisfies `test`, in alphabetical order, for error messages and docs. */
export function layerClasses(test: (kind: LayerKind) => boolean): string[] {
  return [...LAYER_KINDS].filter(([, kind]) => test(kind)).map(([name]) => name).sort();
}

/** The described weights of a layer that `technique` acts on. */
export function techniqueWeights(layer: tfl.layers.Layer, technique: 'prune'|'cluster'): WeightSpec[] {
  return layerKind(layer)?.weights?.filter((w) => w[technique] === true) ?? [];
}

/** The activation function name of a layer ('relu', 'softmax', ...), if any. */
export function activationName(layer: tfl.layers.Layer): string|null {
  const ofKind = layerKind(layer)?.activation;
  if (ofKind != null) {
    return ofKind(layer);
  }
  const fn = (layer as unknown as {activation?: {getClassName(): string}}).activation;
  return fn?.getClassName() ?? null;
}

/** True for a layer that only applies relu or relu6 (a ReLU, or an Activation applying one). */
export function isReluLike(layer: tfl.layers.Layer): boolean {
  const role = layerKind(layer)?.quantize?.role;
  const act = activationName(layer);
  return (role === 'output' || role === 'byActivation') && (act === 'relu' || act === 'relu6');
}
