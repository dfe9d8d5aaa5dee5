/** The acceptance test: TFMOT's clustering tutorial on real MNIST digits. */
import {gzipSync} from 'node:zlib';

import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {maxAbsDiff} from '../helpers/compare.js';
import {accuracy, compileForLogits, trainTutorialModel, useMnist} from '../helpers/mnist.js';
import {runLiteRt} from '../helpers/tflite_eval.js';

describe('weight clustering of the MNIST tutorial model', () => {
  const mnist = useMnist({numTrain: 8000, numTest: 2000, seed: 41});

  it('16 LINEAR clusters keep accuracy within 1 point; <= 16 values; gzip >= 4x smaller', async () => {
    const model = await trainTutorialModel(41, 3, mnist.data.train.xs, mnist.trainLabels);
    const floatAcc = accuracy(model, mnist.data.test.xs, mnist.data.test.ys);

    const clustered = tfmot.clustering.clusterWeights(model,
        {numberOfClusters: 16, clusterCentroidsInit: 'LINEAR'});
    compileForLogits(clustered, 1e-4);
    await clustered.fit(mnist.data.train.xs, mnist.trainLabels, {epochs: 1, batchSize: 32, shuffle: false, verbose: 0});
    const clusteredAcc = accuracy(clustered, mnist.data.test.xs, mnist.data.test.ys);

    const stripped = tfmot.clustering.stripClustering(clustered);
    expect(accuracy(stripped, mnist.data.test.xs, mnist.data.test.ys)).toBe(clusteredAcc);
    for (const layer of stripped.layers.filter((l) => ['Conv2D', 'Dense'].includes(l.getClassName()))) {
      const kernel = layer.getWeights()[0].dataSync();
      expect(new Set(kernel).size, layer.name).toBeLessThanOrEqual(16);
    }
    const baseline = await tfmot.tflite.TFLiteConverter.fromLayersModel(model).convert();
    const small = await tfmot.tflite.TFLiteConverter.fromLayersModel(stripped).convert();
    const ratio = gzipSync(baseline).length / gzipSync(small).length;
    const lite = await runLiteRt(small, tf.slice(mnist.data.test.xs, 0, 200));
    const ref = (stripped.predict(tf.slice(mnist.data.test.xs, 0, 200)) as tf.Tensor).dataSync();
    const worst = maxAbsDiff(lite, ref);
    console.log(`float ${(100 * floatAcc).toFixed(2)}%, clustered ${(100 * clusteredAcc).toFixed(2)}%, ` +
        `gzip ${gzipSync(baseline).length} B -> ${gzipSync(small).length} B (${ratio.toFixed(1)}x)`);
    expect(clusteredAcc).toBeGreaterThanOrEqual(floatAcc - 0.01);
    expect(ratio).toBeGreaterThanOrEqual(4);
    expect(worst).toBeLessThan(1e-4);
  });
});
