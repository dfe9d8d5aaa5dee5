/**
 * `tfmot.clustering`: weight clustering during fine-tuning, a port of
 * tfmot.clustering.keras.
 *
 * `clusterWeights` wraps each clusterable layer of a model copy in
 * {@link ClusterWeights}, which makes its kernel take at most
 * `numberOfClusters` distinct values (per tensor, or per output channel of
 * a Conv2D) while fine-tuning moves the shared centroids. `stripClustering`
 * returns the plain model whose weights compress well (gzip) and, with
 * `quantization.Default8BitClusterPreserveQuantizeScheme`, stay clustered
 * through QAT (CQAT, and PCQAT with `preserveSparsity`).
 *
 * ```ts
 * const clustering = tfmot.clustering.clusterWeights(model,
 *     {numberOfClusters: 16, clusterCentroidsInit: 'LINEAR'});
 * // Fine-tune with a small learning rate.
 * clustering.compile({optimizer: tf.train.adam(1e-4), loss: 'categoricalCrossentropy'});
 * await clustering.fit(xs, ys, {epochs: 1});
 * const clustered = tfmot.clustering.stripClustering(clustering);
 * ```
 *
 * @packageDocumentation
 */
export {CentroidInitialization, initCentroids} from './centroid_init.js';
export type {CentroidInitializationName, CentroidInitOptions} from './centroid_init.js';
export {clusterWeights, stripClustering} from './cluster.js';
export {ClusterWeights, CLUSTERABLE_LAYERS, GradientAggregation} from './cluster_weights.js';
export type {ClusterableLayer, ClusterParams, ClusterWeightsArgs, GradientAggregationName} from './cluster_weights.js';
