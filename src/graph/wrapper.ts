/**
 * The base of every optimization wrapper (QuantizeAnnotate, QuantizeWrapper,
 * PruneLowMagnitude, ClusterWeights): it holds the inner layer, builds it,
 * passes `trainable` and the inner weights through (followed by the
 * wrapper's own variables), and nests the inner layer in its config.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {checkOptionKeys, describeValue, ValueError} from '../errors.js';
import {weightAttr} from './layer_attributes.js';
import {cloneLayer, deserializeLayer, serializeObject} from './serialization.js';
import {copyOf, Replacement, transformModel} from './transform_model.js';

type Layer = tfl.layers.Layer;

/** Arguments every wrapper takes. */
export interface WrapperArgs {
  /** The layer to wrap; the wrapper computes with it and owns its weights. */
  layer: Layer;
  /** The wrapper's name; default the inner layer's name with the wrapper's TFMOT prefix. */
  name?: string;
  /** Sets `trainable` of the inner layer (and of the wrapper's own variables). */
  trainable?: boolean;
}

/**
 * Keys of tfjs' LayerArgs that a layer's saved config may carry back into
 * its constructor, besides a wrapper's own options (`customObjects` is added
 * by tfjs' deserialization).
 */
export const LAYER_ARG_KEYS = ['name', 'trainable', 'dtype', 'batchInputShape', 'inputShape', 'batchSize',
  'inputDType', 'weights', 'customObjects'] as const;

/** What to do with a layer another optimization step already wrapped, by the wrapper's class. */
const WRAPPED_HINTS: Readonly<Record<string, string>> = {
  PruneLowMagnitude: 'strip it with tfmot.sparsity.stripPruning first',
  ClusterWeights: 'strip it with tfmot.clustering.stripClustering first',
  QuantizeAnnotate: 'apply the annotation with quantizeApply, or start from the plain model',
  QuantizeWrapper: 'a QAT model is final: convert it, or start again from the float model',
  QuantizeLayer: 'a QAT model is final: convert it, or start again from the float model',
};

/** The combinations TFMOT supports, each step on the previous step's stripped model. */
const COMBINED_FLOWS = 'Combined optimization strips between steps: prune, stripPruning, then ' +
    'clusterWeights with preserveSparsity or quantizeApply with Default8BitPrunePreserveQuantizeScheme; ' +
    'cluster, stripClustering, then quantizeApply with Default8BitClusterPreserveQuantizeScheme.';

/**
 * Throws if a layer is an optimization wrapper (or a QAT model's
 * QuantizeLayer): wrapping it again would keep the first wrapper's settings
 * silently or train two techniques on top of each other.
 *
 * @param fnName The public function, for the message.
 * @param allowed A wrapper class this function takes as it is (e.g.
 *     quantizeAnnotateModel keeps QuantizeAnnotate).
 */
export function checkNotWrapped(layers: Iterable<Layer>, fnName: string, allowed?: string): void {
  for (const layer of layers) {
    const className = layer.getClassName();
    const hint = WRAPPED_HINTS[className];
    if (hint == null || className === allowed) {
      continue;
    }
    const inner = layer instanceof OptimizationWrapper ? ` around '${layer.layer.name}'` : '';
    throw new ValueError(`${fnName}: layer '${layer.name}' is already a ${className}${inner}; ${hint}. ` +
        COMBINED_FLOWS);
  }
}

/**
 * The base class of the optimization wrappers; not exported, but its members
 * show on each of them.
 */
export abstract class OptimizationWrapper extends tfl.layers.Layer {
  /** The wrapped layer, whose weights the wrapper modifies or quantizes. */
  readonly layer: Layer;

  /**
   * @param what The public function this wrapper belongs to, for errors.
   * @param prefix Name prefix (TFMOT's: 'quant_', 'prune_low_magnitude_'...).
   * @param optionKeys The subclass's own constructor options: with `layer`
   *     and tfjs' LayerArgs, the only keys `args` may have.
   */
  protected constructor(args: WrapperArgs, what: string, prefix: string, optionKeys: readonly string[]) {
    checkOptionKeys(args, ['layer', ...optionKeys, ...LAYER_ARG_KEYS], what);
    if (!(args?.layer instanceof tfl.layers.Layer)) {
      throw new ValueError(`${what} expects a tf.layers.Layer; received ${describeValue(args?.layer)}.`);
    }
    checkNotWrapped([args.layer], what);
    const layerConfig = args.layer.getConfig();
    // The inner layer's input shape lets a wrapped first layer start a Sequential.
    super({name: args.name ?? `${prefix}${args.layer.name}`,
      batchInputShape: layerConfig['batchInputShape'] as tfl.Shape|undefined,
      dtype: layerConfig['dtype'] as tf.DataType|undefined});
    this.layer = args.layer;
    if (args.trainable != null) {
      this.trainable = args.trainable;
    }
  }

  /**
   * The wrapped layer's losses (its kernel/bias regularizers) count too, as
   * in Keras, where a wrapper tracks its layer: a model trained wrapped keeps
   * its L1/L2 penalties (tfjs-layers collects losses from model.layers only).
   */
  override calculateLosses(): tf.Scalar[] {
    return [...super.calculateLosses(), ...this.layer.calculateLosses()];
  }

  /** Builds the inner layer; subclasses add their variables after calling it. */
  override build(inputShape: tfl.Shape|tfl.Shape[]): void {
    if (!this.layer.built) {
      this.layer.build(inputShape);
      this.layer.built = true;
    }
    this.built = true;
  }

  /** The inner layer's output shape: wrappers do not change it. */
  override computeOutputShape(inputShape: tfl.Shape|tfl.Shape[]): tfl.Shape|tfl.Shape[] {
    return this.layer.computeOutputShape(inputShape);
  }

  /** Layers whose weights this wrapper owns besides its own (inner first). */
  wrappedLayers(): Layer[] {
    // The base constructor reads the weight getters before fields are set.
    return this.layer != null ? [this.layer] : [];
  }

  /**
   * What the inner layer computes with at inference, by weight attribute:
   * masked, clustered, BatchNorm-folded or fake-quantized values. A weight
   * not listed keeps its own value; null stands for an absent one (no
   * bias). New tensors: call it inside `tf.tidy`. The converter lowers the
   * inner layer with these.
   */
  inferenceWeights(): Map<string, tf.Tensor|null> {
    return new Map();
  }

  /**
   * The values of the inner layer's weights (in `layer.weights` order) that
   * its stripped copy holds: the inference weights. Also what `report` shows.
   */
  strippedWeights(): tf.Tensor[] {
    const values = this.inferenceWeights();
    return this.layer.weights.map((v) => values.get(weightAttr(this.layer, v) ?? '') ?? v.read());
  }

  /** The plain layer standing for the wrapper once stripped: a copy of the inner layer with its stripped weights. */
  strip(): Replacement {
    const copy = cloneLayer(this.layer);
    return {layer: copy, weightsInto: copy, weightsFrom: () => this.strippedWeights()};
  }

  /**
   * The inner layer's trainable weights followed by the wrapper's own (such
   * as centroids); empty when `trainable` is false.
   */
  override get trainableWeights(): tfl.LayerVariable[] {
    if (!this.trainable) {
      return [];
    }
    return [...this.wrappedLayers().flatMap((l) => l.trainableWeights), ...super.trainableWeights];
  }

  /**
   * The inner layer's non-trainable weights (all of them when `trainable`
   * is false) followed by the wrapper's own (masks, step counters, ranges).
   */
  override get nonTrainableWeights(): tfl.LayerVariable[] {
    const inner = this.wrappedLayers().flatMap((l) => this.trainable ? l.nonTrainableWeights : l.weights);
    return [...inner, ...super.nonTrainableWeights];
  }

  /** The inner layer's `trainable`; setting it sets the inner layer's and the wrapper's own. */
  override get trainable(): boolean {
    return this.layer != null ? this.layer.trainable : true;
  }

  /** Sets `trainable` of the inner layer and of the wrapper's own variables. */
  override set trainable(value: boolean) {
    for (const l of this.wrappedLayers()) {
      l.trainable = value;
    }
    // The wrapper's own variables (e.g. centroids) follow, once they exist.
    if ((this as unknown as {_trainableWeights?: unknown})._trainableWeights != null) {
      super.trainable = value;
    }
  }

  /** The Layer config with the inner layer nested as `{className, config}` under `layer`. */
  override getConfig(): tf.serialization.ConfigDict {
    return {...super.getConfig(), layer: serializeObject(this.layer)};
  }

  /** Rebuilds nested objects from config entries before constructing. */
  protected static fromConfigWith<T extends tf.serialization.Serializable>(
      cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict,
      nested: (config: tf.serialization.ConfigDict) => Record<string, unknown>): T {
    const {layer, ...rest} = config;
    return new cls({...rest, ...nested(rest), layer: deserializeLayer(layer as tf.serialization.ConfigDict)});
  }
}

/**
 * A copy of `model` with each layer that `isWrapper` picks replaced by its
 * stripped layer (`OptimizationWrapper.strip`), the others copied.
 */
export function stripWrappers(model: tfl.LayersModel, fnName: string,
    isWrapper: (layer: Layer) => layer is OptimizationWrapper): tfl.LayersModel {
  return transformModel(model, fnName, (layer) => isWrapper(layer) ? layer.strip() : copyOf(layer));
}
