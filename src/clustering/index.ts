/** `tfmot.clustering`: weight clustering during fine-tuning (TFMOT's clustering.keras). */
export {CentroidInitialization, initCentroids} from './centroid_init.js';
export type {CentroidInitializationName} from './centroid_init.js';
export {clusterWeights, stripClustering} from './cluster.js';
export {ClusterWeights, CLUSTERABLE_LAYERS} from './cluster_weights.js';
export type {ClusterableLayer, ClusterParams, ClusterWeightsArgs} from './cluster_weights.js';
