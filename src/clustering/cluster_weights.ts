/**
 * ClusterWeights: wraps a layer whose weights are clustered while it trains.
 * Per clusterable weight it owns trainable centroids ([channels, n]) and,
 * with preserveSparsity, the fixed mask of non-zero weights; the layer runs
 * with every weight snapped to its nearest centroid.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {checkInteger, checkStringUnion, describeValue, NotSupportedError, ValueError} from '../errors.js';
import {callWithAttributes, weightValue} from '../graph/swap_attributes.js';
import {deserializeLayer} from '../quantization/quantize_wrapper.js';
import {serializeObject} from '../quantization/quantizers.js';
import {CentroidInitializationName, initCentroids, VALID_CENTROID_INITS} from './centroid_init.js';
import {channelView, clusteredWeights} from './cluster_ops.js';

type Layer = tfl.layers.Layer;

/** Clusterable weight attributes by layer class (TFMOT's registry). */
const CLUSTERABLE: Record<string, string> = {
  Dense: 'kernel', Conv1D: 'kernel', Conv2D: 'kernel', DepthwiseConv2D: 'depthwiseKernel',
  Embedding: 'embeddings',
};

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
  const attr = CLUSTERABLE[layer.getClassName()];
  return attr != null ? [attr] : [];
}

export const CLUSTERABLE_LAYERS = Object.keys(CLUSTERABLE);

/** Clustering options, as TFMOT's cluster_weights. */
export interface ClusterParams {
  numberOfClusters: number;
  clusterCentroidsInit?: CentroidInitializationName;
  /** Keep zero weights at zero (one centroid pinned at 0); needs >= 3 clusters. */
  preserveSparsity?: boolean;
  /** numberOfClusters per output channel (Conv2D only). */
  clusterPerChannel?: boolean;
  /** Seed of RANDOM and KMEANS_PLUS_PLUS initialization. */
  seed?: number;
}

/** Validates and fills in defaults (TFMOT's LINEAR init by default). */
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
export interface ClusterWeightsArgs extends ClusterParams {
  layer: Layer;
  name?: string;
}

/** The clustering wrapper layer (named `cluster_<layer>` as in TFMOT). */
export class ClusterWeights extends tfl.layers.Layer {
  static className = 'ClusterWeights';
  readonly layer: Layer;
  readonly params: Required<ClusterParams>;
  readonly attrs: string[];
  private slots: Slot[] = [];

  constructor(args: ClusterWeightsArgs) {
    if (!(args?.layer instanceof tfl.layers.Layer)) {
      throw new ValueError(`clusterWeights expects a tf.layers.Layer or LayersModel; received ` +
          `${describeValue(args?.layer)}.`);
    }
    if (args.layer instanceof ClusterWeights) {
      throw new ValueError(`Layer '${args.layer.layer.name}' is already clustered.`);
    }
    const attrs = clusterableWeights(args.layer);
    if (attrs.length === 0) {
      throw new NotSupportedError(
          `Layer '${args.layer.name}' of class ${args.layer.getClassName()} cannot be clustered ` +
          `(clusterable: ${CLUSTERABLE_LAYERS.join(', ')}, or implement getClusterableWeights()).`);
    }
    const params = resolveClusterParams(args);
    if (params.clusterPerChannel && args.layer.getClassName() !== 'Conv2D') {
      throw new NotSupportedError(
          `clusterPerChannel is supported for Conv2D only; layer '${args.layer.name}' is a ` +
          `${args.layer.getClassName()}.`);
    }
    const layerConfig = args.layer.getConfig();
    super({name: args.name ?? `cluster_${args.layer.name}`,
      batchInputShape: layerConfig['batchInputShape'] as tfl.Shape|undefined,
      dtype: layerConfig['dtype'] as tf.DataType|undefined});
    this.layer = args.layer;
    this.params = params;
    this.attrs = attrs;
  }

  private variable(attr: string): tfl.LayerVariable {
    return (this.layer as unknown as Record<string, tfl.LayerVariable>)[attr];
  }

  override build(inputShape: tfl.Shape|tfl.Shape[]): void {
    if (!this.layer.built) {
      this.layer.build(inputShape);
      this.layer.built = true;
    }
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
      const centroids = rows.map((row, c) => initCentroids(row, this.params.numberOfClusters, {
        method: this.params.clusterCentroidsInit, preserveSparsity: this.params.preserveSparsity,
        seed: `${this.params.seed}:${this.name}:${slot.attr}:${c}`,
      }));
      tf.tidy(() => {
        slot.centroids.write(tf.tensor2d(centroids));
        if (slot.sparsityMask != null && slot.centroidMask != null) {
          slot.sparsityMask.write(tf.cast(tf.notEqual(w, 0), 'float32'));
          slot.centroidMask.write(tf.tensor2d(centroids.map((row) => row.map((v) => v === 0 ? 0 : 1))));
        }
      });
    }
  }

  /** The clustered value of each clusterable weight, as the layer computes with. */
  clusteredValues(): Array<{attr: string, value: tf.Tensor}> {
    return this.slots.map((slot) => ({attr: slot.attr, value: clusteredWeights(
        this.variable(slot.attr).read(), slot.centroids.read() as tf.Tensor2D, {
          perChannel: this.params.clusterPerChannel,
          sparsityMask: slot.sparsityMask?.read(),
          centroidMask: slot.centroidMask?.read(),
        })}));
  }

  override computeOutputShape(inputShape: tfl.Shape|tfl.Shape[]): tfl.Shape|tfl.Shape[] {
    return this.layer.computeOutputShape(inputShape);
  }

  override call(inputs: tf.Tensor|tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor|tf.Tensor[] {
    return tf.tidy(() => callWithAttributes(this.layer,
        this.clusteredValues().map(({attr, value}) => [attr, weightValue(value)]), inputs, kwargs));
  }

  private innerLayers(): Layer[] {
    // The base constructor reads the weight getters before fields are set.
    return this.layer != null ? [this.layer] : [];
  }

  override get trainableWeights(): tfl.LayerVariable[] {
    return this.trainable ?
        [...this.innerLayers().flatMap((l) => l.trainableWeights), ...super.trainableWeights] : [];
  }

  override get nonTrainableWeights(): tfl.LayerVariable[] {
    const inner = this.innerLayers().flatMap((l) => this.trainable ? l.nonTrainableWeights : l.weights);
    return [...inner, ...super.nonTrainableWeights];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {...super.getConfig(), layer: serializeObject(this.layer), ...this.params};
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
      cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    const {layer, clusterCentroidsInit, ...rest} = config;
    // model.save() snake-cases string values and loading camel-cases them
    // ('DENSITY_BASED' -> 'density_based' -> 'densityBased'); restore the name.
    const init = VALID_CENTROID_INITS.find((name) => typeof clusterCentroidsInit === 'string' &&
        name.replace(/_/g, '') === clusterCentroidsInit.replace(/_/g, '').toUpperCase()) ?? clusterCentroidsInit;
    return new cls({...rest, clusterCentroidsInit: init, layer: deserializeLayer(layer as tf.serialization.ConfigDict)});
  }
}
tf.serialization.registerClass(ClusterWeights, 'Tfmot');
