/** The public clustering functions: clusterWeights and stripClustering. */
import * as tfl from '@tensorflow/tfjs-layers';

import {checkOptionKeys, describeValue, NotSupportedError, ValueError} from '../errors.js';
import {checkConfigForms} from '../graph/check_config.js';
import {checkModel, readGraph} from '../graph/model_graph.js';
import {copyOf, transformModel, wrapCopyOf} from '../graph/transform_model.js';
import {checkNotWrapped, stripWrappers} from '../graph/wrapper.js';
import {layerKind} from '../graph/layer_registry.js';
import {
  CLUSTER_PARAM_KEYS, ClusterParams, ClusterWeights, clusterableWeights, CLUSTERABLE_LAYERS, clustersPerChannel, resolveClusterParams,
} from './cluster_weights.js';

type Layer = tfl.layers.Layer;

function checkNotClustered(model: tfl.LayersModel): void {
  for (const layer of model.layers) {
    if (layer instanceof ClusterWeights) {
      throw new ValueError(
          `Model '${model.name}' is already clustered (layer '${layer.name}'); strip it with ` +
          `stripClustering before clustering again.`);
    }
  }
}

/**
 * Clusters the weights of a model's clusterable layers (a copy is returned),
 * of one layer, or of an array of layers, during fine-tuning. Mirrors
 * tfmot.clustering.keras.cluster_weights; the default initialization is
 * LINEAR, not TFMOT 0.8's KMEANS_PLUS_PLUS.
 *
 * A model's layers without clusterable weights are copied unwrapped;
 * `clusterPerChannel` applies to its Conv2D layers only.
 *
 * @throws ValueError for invalid or unknown `params`, or a model already
 *     clustered, pruned or quantized (strip it first: a pruned model is
 *     clustered after stripPruning, with `preserveSparsity`);
 *     NotSupportedError if a model layer has weights that cannot be
 *     clustered (other than BatchNormalization, LayerNormalization, PReLU),
 *     or a single layer has none.
 *
 * ```ts
 * const clustered = tfmot.clustering.clusterWeights(model,
 *     {numberOfClusters: 16, clusterCentroidsInit: 'LINEAR'});
 * ```
 */
export function clusterWeights(toCluster: tfl.LayersModel, params: ClusterParams): tfl.LayersModel;
export function clusterWeights(toCluster: Layer, params: ClusterParams): ClusterWeights;
export function clusterWeights(toCluster: Layer[], params: ClusterParams): ClusterWeights[];
export function clusterWeights(toCluster: Layer|Layer[]|tfl.LayersModel, params: ClusterParams):
    ClusterWeights|ClusterWeights[]|tfl.LayersModel {
  checkOptionKeys(params, CLUSTER_PARAM_KEYS, 'clusterWeights params');
  resolveClusterParams(params);
  if (Array.isArray(toCluster)) {
    return toCluster.map((layer) => clusterWeights(layer, params));
  }
  if (toCluster instanceof tfl.LayersModel) {
    const model = checkModel(toCluster, 'clusterWeights');
    checkNotClustered(model);
    const graph = readGraph(model);
    checkNotWrapped(graph.nodes.map((n) => n.layer), 'clusterWeights');
    checkConfigForms(graph, 'clusterWeights');
    for (const node of graph.nodes) {
      if (node.layer.weights.length > 0 && clusterableWeights(node.layer).length === 0 &&
          !layerKind(node.layer)?.clusteringLeavesFloat) {
        throw new NotSupportedError(
            `Layer '${node.layer.name}' of class ${node.layer.getClassName()} has weights that ` +
            `clusterWeights cannot cluster (clusterable: ${CLUSTERABLE_LAYERS.join(', ')}); cluster ` +
            `the other layers one by one, or implement getClusterableWeights() on it.`);
      }
    }
    return transformModel(model, 'clusterWeights', (layer) => {
      if (clusterableWeights(layer).length === 0) {
        return copyOf(layer);
      }
      // Per-channel clustering applies where the record allows it; other layers cluster per tensor.
      return wrapCopyOf(layer, (inner) => new ClusterWeights({layer: inner, ...params,
        clusterPerChannel: clustersPerChannel(layer) && Boolean(params.clusterPerChannel)}),
      (wrapper) => wrapper.initializeCentroids());
    });
  }
  if (!(toCluster instanceof tfl.layers.Layer)) {
    throw new ValueError(`clusterWeights expects a layer, an array of layers or a LayersModel; ` +
        `received ${describeValue(toCluster)}.`);
  }
  return new ClusterWeights({layer: toCluster, ...params});
}

/**
 * The plain model: each wrapper replaced by its layer holding the clustered
 * weights (at most numberOfClusters distinct values per tensor or channel).
 * Mirrors tfmot.clustering.keras.strip_clustering; strip before converting
 * or saving for inference.
 *
 * ```ts
 * const final = tfmot.clustering.stripClustering(clustered);
 * ```
 */
export function stripClustering(model: tfl.LayersModel): tfl.LayersModel {
  return stripWrappers(model, 'stripClustering', (layer) => layer instanceof ClusterWeights);
}
