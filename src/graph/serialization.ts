/**
 * `{className, config}` round trips through tfjs's class registry, where
 * tfjs-layers, this package and the user's custom classes are registered:
 * how wrappers nest layers and quantizers in their configs, and how layers
 * are copied (tfjs-layers keeps the same in generic_utils).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {ValueError} from '../errors.js';
// Keras' L1/L2 regularizers, so layers of Keras-converted models copy and rebuild.
import '../io/keras_regularizers.js';
import {layerKind} from './layer_registry.js';

/**
 * Looks `{className, config}` up in tfjs's class registry, where ours and the
 * user's custom classes are registered.
 */
export function deserializeRegistered<T>(
    spec: tf.serialization.ConfigDict, what: string): T {
  const className = spec?.className as string;
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (entry == null) {
    throw new ValueError(
        `Unknown ${what} class '${className}': register custom classes with ` +
        `tf.serialization.registerClass before loading.`);
  }
  const [cls, fromConfig] = entry;
  return fromConfig(cls, (spec.config ?? {}) as tf.serialization.ConfigDict) as T;
}

/** `{className, config}` of a serializable object, completed where its layer kind says how. */
export function serializeObject(obj: tf.serialization.Serializable): tf.serialization.ConfigDict {
  const config = obj.getConfig();
  const complete = obj instanceof tfl.layers.Layer ? layerKind(obj)?.completeConfig : undefined;
  return {className: obj.getClassName(), config: complete != null ? complete(obj as tfl.layers.Layer, config) : config};
}

/** Builds a layer from `{className, config}` without touching the input. */
export function deserializeLayer(spec: tf.serialization.ConfigDict): tfl.layers.Layer {
  const copy = JSON.parse(JSON.stringify(spec)) as tf.serialization.ConfigDict;
  return deserializeRegistered<tfl.layers.Layer>(copy, 'layer');
}

/** A fresh copy of a layer with the same config (weights copied later). */
export function cloneLayer(layer: tfl.layers.Layer): tfl.layers.Layer {
  return deserializeLayer(serializeObject(layer));
}
