/**
 * TFMOT's clustering/keras/cluster_wrapper_test.py on our ClusterWeights
 * wrapper and clusterWeights / stripClustering: argument checks, custom
 * clusterable layers, the batch input shape, the distinct values left after
 * stripping, re-association to the nearest centroid, and save and load.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {saveToMemory} from '../helpers/save_load.js';

const {ClusterWeights, clusterWeights, stripClustering} = tfmot.clustering;
type Method = tfmot.clustering.CentroidInitializationName;

/** A custom layer with a weight and no getClusterableWeights(). */
class NonClusterableLayer extends tfl.layers.Layer {
  static className = 'TfmotPortNonClusterableLayer';
  constructor(private readonly units = 10) {
    super({});
  }
  override build(): void {
    this.addWeight('kernel', [1, this.units], 'float32', tfl.initializers.randomUniform({}));
    this.built = true;
  }
}

/** A dense-like custom layer that names its own clusterable weights (TFMOT subclasses Dense). */
class AlreadyClusterableLayer extends tfl.layers.Layer implements tfmot.clustering.ClusterableLayer {
  static className = 'TfmotPortAlreadyClusterableLayer';
  kernel?: tfl.LayerVariable;
  constructor(private readonly units = 10) {
    super({});
  }
  override build(inputShape: tfl.Shape|tfl.Shape[]): void {
    const shape = inputShape as tfl.Shape;
    this.kernel = this.addWeight('kernel', [shape[shape.length - 1]!, this.units], 'float32',
        tfl.initializers.glorotUniform({seed: 1}));
    this.built = true;
  }
  override call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    return tf.matMul(Array.isArray(inputs) ? inputs[0] : inputs, this.kernel!.read());
  }
  override computeOutputShape(inputShape: tfl.Shape|tfl.Shape[]): tfl.Shape {
    return [...(inputShape as tfl.Shape).slice(0, -1), this.units];
  }
  getClusterableWeights(): string[] {
    return ['kernel'];
  }
}

const LINEAR = {numberOfClusters: 13, clusterCentroidsInit: 'LINEAR' as const};

beforeAll(async () => {
  await tfmot.backend.init();
});

describe('cluster_wrapper_test.py (TFMOT)', () => {
  it('testCannotBeInitializedWithNonLayerObject: a ValueError', () => {
    const notALayer = {this: 'is not a Layer instance'} as unknown as tfl.layers.Layer;
    expect(() => new ClusterWeights({layer: notALayer, ...LINEAR})).toThrow(tfmot.ValueError);
    expect(() => new ClusterWeights({layer: notALayer, ...LINEAR})).toThrow(/expects a tf.layers.Layer/);
    expect(() => clusterWeights(notALayer, LINEAR)).toThrow(tfmot.ValueError);
  });

  it('testCannotBeInitializedWithNonClusterableLayer: refused (NotSupportedError here, ValueError in TFMOT)', () => {
    expect(() => new ClusterWeights({layer: new NonClusterableLayer(10), ...LINEAR})).toThrow(tfmot.NotSupportedError);
    expect(() => new ClusterWeights({layer: new NonClusterableLayer(10), ...LINEAR})).toThrow(/cannot be clustered/);
  });

  it('ClusterWeights takes each argument of TFMOT\'s constructor, camel-cased', () => {
    // ClusterWeights(layer, number_of_clusters, cluster_centroids_init, preserve_sparsity,
    // cluster_per_channel, cluster_gradient_aggregation) in cluster_wrapper.py.
    const wrapper = new ClusterWeights({layer: tfl.layers.conv2d({filters: 4, kernelSize: 3, inputShape: [6, 6, 2]}),
      numberOfClusters: 5, clusterCentroidsInit: 'DENSITY_BASED', preserveSparsity: true, clusterPerChannel: true,
      clusterGradientAggregation: 'AVG'});
    expect(wrapper.params).toEqual({numberOfClusters: 5, clusterCentroidsInit: 'DENSITY_BASED', preserveSparsity: true,
      clusterPerChannel: true, clusterGradientAggregation: 'AVG', seed: 0});
    expect(tfmot.clustering.GradientAggregation).toEqual({SUM: 'SUM', AVG: 'AVG'});
  });

  it('testCanBeInitializedWithClusterableLayer', () => {
    expect(new ClusterWeights({layer: tfl.layers.dense({units: 10}), ...LINEAR})).toBeInstanceOf(ClusterWeights);
  });

  it('testCannotBeInitializedWithNonIntegerNumberOfClusters: "13" is a ValueError', () => {
    expect(() => new ClusterWeights({layer: tfl.layers.dense({units: 10}), ...LINEAR,
      numberOfClusters: '13' as unknown as number})).toThrow(tfmot.ValueError);
  });

  it('testCannotBeInitializedWithFloatNumberOfClusters: 13.4 is a ValueError', () => {
    expect(() => new ClusterWeights({layer: tfl.layers.dense({units: 10}), ...LINEAR, numberOfClusters: 13.4}))
        .toThrow(tfmot.ValueError);
  });

  it.each([0, 1, -32])('testCannotBeInitializedWithNumberOfClustersLessThanTwo: %i', (n) => {
    expect(() => new ClusterWeights({layer: tfl.layers.dense({units: 10}), ...LINEAR, numberOfClusters: n}))
        .toThrow(tfmot.ValueError);
  });

  it.each([0, 2, -32])('testCannotBeInitializedWithSparsityPreservationAndNumberOfClustersLessThanThree: %i', (n) => {
    expect(() => new ClusterWeights({layer: tfl.layers.dense({units: 10}), ...LINEAR, numberOfClusters: n,
      preserveSparsity: true})).toThrow(tfmot.ValueError);
  });

  it('testCanBeInitializedWithAlreadyClusterableLayer', () => {
    const wrapper = new ClusterWeights({layer: new AlreadyClusterableLayer(10), ...LINEAR});
    expect(wrapper).toBeInstanceOf(ClusterWeights);
    expect(wrapper.attrs).toEqual(['kernel']);
    // It clusters: 20 x 10 kernel values computed with at most 13 centroids.
    const out = tf.tidy(() => Array.from((wrapper.apply(tf.eye(20)) as tf.Tensor).dataSync()));
    expect(new Set(out).size).toBeLessThanOrEqual(13);
  });

  it('testIfLayerHasBatchShapeClusterWeightsMustHaveIt', () => {
    const wrapper = new ClusterWeights({layer: tfl.layers.dense({units: 10, inputShape: [10]}), ...LINEAR});
    expect(wrapper.batchInputShape).toEqual([null, 10]);
  });

  const methods: Method[] = ['LINEAR', 'RANDOM', 'DENSITY_BASED', 'KMEANS_PLUS_PLUS'];
  it.each([2, 6, 10, 14].flatMap((n) => methods.map((m) => [n, m] as const)))(
      'testValuesAreClusteredAfterStripping: %i clusters, %s', (n, method) => {
        const original = tfl.sequential({layers: [tfl.layers.dense({units: 32, inputShape: [10]})]});
        const distinct = (m: tfl.LayersModel) => new Set(m.getWeights()[0].dataSync()).size;
        expect(distinct(original)).toBeGreaterThan(n);
        const clustered = clusterWeights(original, {numberOfClusters: n, clusterCentroidsInit: method, seed: 5});
        const stripped = stripClustering(clustered);
        expect(distinct(stripped)).toBeLessThanOrEqual(n);
        // The result is a functional model: its input layer comes first (TFMOT's
        // Sequential has the Dense layer at index 0).
        expect(stripped.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Dense']);
        for (const m of [original, clustered, stripped]) {
          m.dispose();
        }
      });

  it('testClusterReassociation: weights move to the nearest centroid on every call', () => {
    const wrapper = new ClusterWeights({layer: tfl.layers.dense({units: 8, inputShape: [2]}),
      numberOfClusters: 2, clusterCentroidsInit: 'LINEAR'});
    wrapper.build([1, 2]);
    expect(wrapper.attrs).toEqual(['kernel']);
    const centroids = wrapper.trainableWeights.find((v) => v.name.endsWith('kernel_cluster_centroids'))!;
    const kernel = Array.from((wrapper.layer as tfl.layers.Layer).getWeights()[0].dataSync());
    const mean = kernel.reduce((a, b) => a + b, 0) / kernel.length;
    const maxDist = Math.max(...kernel) - Math.min(...kernel);
    /** The kernel the layer computes with, read through call(). */
    const kernelUsed = () => tf.tidy(() => {
      // With input rows e0 and e1 (bias 0), the output rows are the kernel's rows.
      const out = wrapper.apply(tf.eye(2)) as tf.Tensor;
      return Array.from(tf.sub(out, (wrapper.layer as tfl.layers.Layer).getWeights()[1]).dataSync());
    });
    centroids.write(tf.tensor2d([[mean, mean + 2 * maxDist]]));
    kernelUsed().forEach((v) => expect(v).toBeCloseTo(mean, 6));
    centroids.write(tf.tensor2d([[mean - 2 * maxDist, mean]]));
    kernelUsed().forEach((v) => expect(v).toBeCloseTo(mean, 6));
    // The second centroid is the one used now: moving it moves every weight.
    centroids.write(tf.tensor2d([[mean - 2 * maxDist, mean + 0.5]]));
    kernelUsed().forEach((v) => expect(v).toBeCloseTo(mean + 0.5, 6));
  });

  // TFMOT's case (2 clusters), and one with preserveSparsity, whose masks are non-trainable weights.
  it.each([
    [{numberOfClusters: 2}, 0],
    [{numberOfClusters: 3, preserveSparsity: true}, 2],
  ])('testSameWeightsAreReturnedBeforeAndAfterSerialisation: %j', async (params, nonTrainable) => {
    const wrapper = new ClusterWeights({layer: tfl.layers.dense({units: 8, inputShape: [2]}),
      clusterCentroidsInit: 'LINEAR', ...params});
    const model = tfl.sequential({layers: [wrapper]});
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(await saveToMemory(model)));
    const [back] = loaded.layers as Array<InstanceType<typeof ClusterWeights>>;
    expect(back).toBeInstanceOf(ClusterWeights);
    // By name without the layer scope and the '_<k>' tfjs appends to a
    // variable name already taken in the process.
    const byName = (vars: tfl.LayerVariable[]) => Object.fromEntries(vars.map((v) =>
      [v.name.split('/').pop()!.replace(/_\d+$/, ''), Array.from(v.read().dataSync())]));
    expect(back.trainableWeights.length).toBe(wrapper.trainableWeights.length);
    expect(back.nonTrainableWeights.length).toBe(wrapper.nonTrainableWeights.length);
    expect(back.nonTrainableWeights).toHaveLength(nonTrainable);
    expect(byName(back.trainableWeights)).toEqual(byName(wrapper.trainableWeights));
    expect(byName(back.nonTrainableWeights)).toEqual(byName(wrapper.nonTrainableWeights));
    model.dispose();
    loaded.dispose();
  });
});
