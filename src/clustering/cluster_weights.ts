/**
 * ClusterWeights: wraps a layer whose weights are clustered while it trains.
 * Per clusterable weight it owns trainable centroids ([channels, n]) and,
 * with preserveSparsity, the fixed mask of non-zero weights; the layer runs
 * with every weight snapped to its nearest centroid.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {floatMask} from '../backend/float_mask.js';
import {checkInteger, checkStringUnion, NotSupportedError, optionKeys, ValueError} from '../errors.js';
import {layerClasses, techniqueWeights} from '../graph/layer_registry.js';
import {callWithAttributes, weightValue} from '../graph/swap_attributes.js';
import {OptimizationWrapper, WrapperArgs} from '../graph/wrapper.js';
import {CentroidInitializationName, initCentroids, VALID_CENTROID_INITS} from './centroid_init.js';
import {channelView, clusteredWeights} from './cluster_ops.js';

type Layer = tfl.layers.Layer;

/** Implemented by user layers that know which of their weights to cluster. */
export interface ClusterableLayer {
  /** Attributes (fields holding LayerVariables) to cluster. */
  getClusterableWeights(): string[];
}

/** The clusterable weight attributes of `layer` (empty if none). */
export function clusterableWeights(layer: Layer): string[] {
  const custom = (layer as Partial<ClusterableLayer>).getClusterableWeights;
  if (typeof custom === 'function') {
    return custom.call(layer);
  }
  return techniqueWeights(layer, 'cluster').map((w) => w.attr);
}

/** True if `clusterPerChannel` applies to the layer's clustered weights. */
export function clustersPerChannel(layer: Layer): boolean {
  return techniqueWeights(layer, 'cluster').some((w) => w.clusterPerChannel);
}

/**
 * Layer classes that `clusterWeights` clusters out of the box (Dense, Conv1D
 * and Conv2D kernels, DepthwiseConv2D's depthwise kernel, Embedding's
 * embeddings); other layers with weights need {@link ClusterableLayer}.
 */
export const CLUSTERABLE_LAYERS = layerClasses((kind) => kind.weights?.some((w) => w.cluster) ?? false);

/**
 * How a centroid's gradient combines its members' gradients, as string
 * constants. Mirrors TFMOT's GradientAggregation (cluster_config.py).
 */
export const GradientAggregation = {
  /** The sum of the members' gradients (TFMOT's default). */
  SUM: 'SUM',
  /** Their mean: the sum divided by the number of weights in the cluster. */
  AVG: 'AVG',
} as const;
/** A key of {@link GradientAggregation}: `'SUM'` or `'AVG'`. */
export type GradientAggregationName = keyof typeof GradientAggregation;
const VALID_GRADIENT_AGGREGATIONS = Object.keys(GradientAggregation) as GradientAggregationName[];

/** Clustering options, as the keyword arguments of tfmot.clustering.keras.cluster_weights. */
export interface ClusterParams {
  /**
   * Distinct values each weight tensor (or output channel, with
   * `clusterPerChannel`) keeps: an integer >= 2, >= 3 with
   * `preserveSparsity`, and below the number of values clustered together.
   */
  numberOfClusters: number;
  /** How the centroids start; default 'LINEAR', as in TFMOT's clustering tutorial. */
  clusterCentroidsInit?: CentroidInitializationName;
  /** Keep zero weights at zero (one centroid pinned at 0); needs >= 3 clusters. */
  preserveSparsity?: boolean;
  /** numberOfClusters per output channel (Conv1D and Conv2D only). */
  clusterPerChannel?: boolean;
  /**
   * How each centroid's gradient combines its members' (TFMOT's
   * cluster_gradient_aggregation): 'SUM' (default, as TFMOT) or 'AVG'.
   */
  clusterGradientAggregation?: GradientAggregationName;
  /** Seed of RANDOM and KMEANS_PLUS_PLUS initialization. */
  seed?: number;
}

/** The keys of {@link ClusterParams}. */
export const CLUSTER_PARAM_KEYS = optionKeys<ClusterParams>({numberOfClusters: true, clusterCentroidsInit: true,
  preserveSparsity: true, clusterPerChannel: true, clusterGradientAggregation: true, seed: true});

/** Validates and fills in defaults (LINEAR init unless given, as the TFMOT clustering tutorial uses). */
export function resolveClusterParams(params: ClusterParams): Required<ClusterParams> {
  if (params == null || typeof params !== 'object') {
    throw new ValueError('clusterWeights expects {numberOfClusters, clusterCentroidsInit, ...}.');
  }
  const n = checkInteger(params.numberOfClusters, 'numberOfClusters', 2);
  const preserveSparsity = Boolean(params.preserveSparsity);
  if (preserveSparsity && n < 3) {
    throw new ValueError(
        `numberOfClusters must be >= 3 with preserveSparsity (one centroid is pinned at 0); ` +
        `received ${n}.`);
  }
  return {
    numberOfClusters: n,
    clusterCentroidsInit: checkStringUnion(params.clusterCentroidsInit ?? 'LINEAR',
        VALID_CENTROID_INITS, 'clusterCentroidsInit'),
    preserveSparsity,
    clusterPerChannel: Boolean(params.clusterPerChannel),
    clusterGradientAggregation: checkStringUnion(params.clusterGradientAggregation ?? 'SUM',
        VALID_GRADIENT_AGGREGATIONS, 'clusterGradientAggregation'),
    seed: params.seed ?? 0,
  };
}

interface Slot {
  attr: string;
  centroids: tfl.LayerVariable;
  sparsityMask?: tfl.LayerVariable;
  centroidMask?: tfl.LayerVariable;
}

/** Constructor arguments of {@link ClusterWeights}. */
export interface ClusterWeightsArgs extends ClusterParams, WrapperArgs {}

/**
 * The clustering wrapper layer (named `cluster_<layer>` as in TFMOT).
 * Mirrors tfmot.clustering.keras's ClusterWeights wrapper: per clusterable
 * weight it trains centroids (`[channels, numberOfClusters]`) and computes
 * with each weight replaced by its nearest centroid; gradients reach both
 * the centroids and the original weights, which decide the assignment.
 * `clusterWeights` creates it; `stripClustering` removes it.
 */
export class ClusterWeights extends OptimizationWrapper {
  /** Registered with tf.serialization (package 'Tfmot') so saved models containing it load back. */
  static className = 'ClusterWeights';
  /** The validated options with defaults filled in. */
  readonly params: Required<ClusterParams>;
  /** The inner layer's weight attributes being clustered (e.g. `['kernel']`). */
  readonly attrs: string[];
  private slots: Slot[] = [];

  /**
   * Wraps `args.layer`; the centroids are created and initialized from its
   * weights when the wrapper is built.
   *
   * @throws ValueError if the layer is already clustered or the options are
   *     invalid; NotSupportedError if it has no clusterable weight, or
   *     `clusterPerChannel` is set on a layer other than Conv1D or Conv2D.
   */
  constructor(args: ClusterWeightsArgs) {
    if (args?.layer instanceof ClusterWeights) {
      throw new ValueError(`Layer '${args.layer.layer.name}' is already clustered.`);
    }
    super(args, 'clusterWeights', 'cluster_', CLUSTER_PARAM_KEYS);
    this.attrs = clusterableWeights(this.layer);
    if (this.attrs.length === 0) {
      throw new NotSupportedError(
          `Layer '${this.layer.name}' of class ${this.layer.getClassName()} cannot be clustered ` +
          `(clusterable: ${CLUSTERABLE_LAYERS.join(', ')}, or implement getClusterableWeights()).`);
    }
    this.params = resolveClusterParams(args);
    if (this.params.clusterPerChannel && !clustersPerChannel(this.layer)) {
      throw new NotSupportedError(
          `clusterPerChannel is supported for ${layerClasses((k) => k.weights?.some((w) => w.clusterPerChannel) ??
              false).join(', ')} only; layer '${this.layer.name}' is a ${this.layer.getClassName()}.`);
    }
  }

  private variable(attr: string): tfl.LayerVariable {
    return (this.layer as unknown as Record<string, tfl.LayerVariable>)[attr];
  }

  /**
   * Builds the inner layer, then adds and initializes the centroids (and
   * the masks of `preserveSparsity`).
   *
   * @throws ValueError if a weight has no more values per cluster group than
   *     `numberOfClusters`.
   */
  override build(inputShape: tfl.Shape|tfl.Shape[]): void {
    super.build(inputShape);
    const n = this.params.numberOfClusters;
    this.slots = this.attrs.map((attr) => {
      const w = this.variable(attr);
      const shape = w.shape as number[];
      const channels = this.params.clusterPerChannel ? shape[shape.length - 1] : 1;
      const perChannel = w.read().size / channels;
      if (perChannel <= n) {
        throw new ValueError(
            `Layer '${this.layer.name}': weight '${attr}' has ${perChannel} values per cluster ` +
            `group, not more than numberOfClusters (${n}); use fewer clusters or leave it unclustered.`);
      }
      const slot: Slot = {attr, centroids: this.addWeight(`${attr}_cluster_centroids`, [channels, n],
          'float32', tfl.initializers.zeros(), undefined, true)};
      if (this.params.preserveSparsity) {
        slot.sparsityMask = this.addWeight(`${attr}_sparsity_mask`, shape, 'float32',
            tfl.initializers.ones(), undefined, false);
        slot.centroidMask = this.addWeight(`${attr}_centroid_mask`, [channels, n], 'float32',
            tfl.initializers.ones(), undefined, false);
      }
      return slot;
    });
    this.initializeCentroids();
    this.built = true;
  }

  /** (Re)initializes centroids and masks from the layer's current weights. */
  initializeCentroids(): void {
    for (const slot of this.slots) {
      const w = this.variable(slot.attr).read();
      const perChannel = this.params.clusterPerChannel;
      const rows = tf.tidy(() => channelView(w, perChannel).arraySync());
      // The random stream depends on the seed and the weights, not on the
      // layer's name: auto names count up per process, and the same model
      // clustered with the same seed must get the same centroids.
      const centroids = rows.map((row, c) => initCentroids(row, this.params.numberOfClusters, {
        method: this.params.clusterCentroidsInit, preserveSparsity: this.params.preserveSparsity,
        seed: `${this.params.seed}:${slot.attr}:${c}:${fingerprint(row)}`,
      }));
      tf.tidy(() => {
        slot.centroids.write(tf.tensor2d(centroids));
        if (slot.sparsityMask != null && slot.centroidMask != null) {
          slot.sparsityMask.write(floatMask(tf.notEqual(w, 0)));
          slot.centroidMask.write(tf.tensor2d(centroids.map((row) => row.map((v) => v === 0 ? 0 : 1))));
        }
      });
    }
  }

  /**
   * The clustered value of each clusterable weight, as the layer computes
   * with; new tensors the caller disposes.
   */
  clusteredValues(): Array<{
    /** The weight attribute, one of `attrs`. */
    attr: string,
    /** Its clustered value: every element snapped to a centroid. */
    value: tf.Tensor,
  }> {
    return this.slots.map((slot) => ({attr: slot.attr, value: clusteredWeights(
        this.variable(slot.attr).read(), slot.centroids.read() as tf.Tensor2D, {
          perChannel: this.params.clusterPerChannel,
          sparsityMask: slot.sparsityMask?.read(),
          centroidMask: slot.centroidMask?.read(),
          gradientAggregation: this.params.clusterGradientAggregation,
        })}));
  }

  /** The clustered values by attribute (see `clusteredValues`). */
  override inferenceWeights(): Map<string, tf.Tensor|null> {
    return new Map(this.clusteredValues().map(({attr, value}) => [attr, value]));
  }

  /** Runs the inner layer with its clusterable weights replaced by their clustered values. */
  override call(inputs: tf.Tensor|tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor|tf.Tensor[] {
    return tf.tidy(() => callWithAttributes(this.layer,
        this.clusteredValues().map(({attr, value}) => [attr, weightValue(value)]), inputs, kwargs));
  }

  /** The wrapper config plus the clustering options, so a saved model rebuilds the same wrapper. */
  override getConfig(): tf.serialization.ConfigDict {
    return {...super.getConfig(), ...this.params};
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
      cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    // model.save() snake-cases string values and loading camel-cases them
    // ('DENSITY_BASED' -> 'density_based' -> 'densityBased'); restore the names.
    const restore = <T extends string>(saved: unknown, names: readonly T[]): unknown => names.find((name) =>
      typeof saved === 'string' && name.replace(/_/g, '') === saved.replace(/_/g, '').toUpperCase()) ?? saved;
    return OptimizationWrapper.fromConfigWith(cls, config, (saved) => ({
      clusterCentroidsInit: restore(saved['clusterCentroidsInit'], VALID_CENTROID_INITS),
      // Configs saved before this option existed load with its default.
      clusterGradientAggregation: restore(saved['clusterGradientAggregation'] ?? 'SUM', VALID_GRADIENT_AGGREGATIONS),
    }));
  }
}
tf.serialization.registerClass(ClusterWeights, 'Tfmot');

/** FNV-1a hash of the values' float32 bits: tells weight vectors apart for seeding. */
function fingerprint(values: number[]): string {
  const bits = new Uint32Array(Float32Array.from(values).buffer);
  let hash = 0x811c9dc5;
  for (let i = 0; i < bits.length; i++) {
    hash = Math.imul(hash ^ bits[i], 0x01000193) >>> 0;
  }
  return hash.toString(16);
}
