/**
 * The issue's acceptance test: TFMOT's pruning tutorial on real MNIST digits,
 * down to a gzipped int8 TFLite file checked in LiteRT.
 */
import {gzipSync} from 'node:zlib';

import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {accuracy, compileForLogits, trainTutorialModel, useMnist} from '../helpers/mnist.js';
import {argmaxRows, runLiteRt} from '../helpers/tflite_eval.js';

const {sparsity} = tfmot;

describe('gradual magnitude pruning of the MNIST tutorial model', () => {
  const mnist = useMnist({numTrain: 8000, numTest: 2000, seed: 31});

  it('reaches 80% sparsity, keeps accuracy within 1 point, and gzips >= 8x smaller as int8', async () => {
    const model = await trainTutorialModel(31, 3, mnist.data.train.xs, mnist.trainLabels);
    const floatAcc = accuracy(model, mnist.data.test.xs, mnist.data.test.ys);

    const batchSize = 128;
    const epochs = 2;
    const endStep = Math.ceil(8000 / batchSize) * epochs;
    const pruned = sparsity.pruneLowMagnitude(model, {
      pruningSchedule: new sparsity.PolynomialDecay(
          {initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 0, endStep, frequency: 10}),
    });
    compileForLogits(pruned);
    await pruned.fit(mnist.data.train.xs, mnist.trainLabels, {epochs, batchSize, shuffle: false, verbose: 0,
      callbacks: [new sparsity.UpdatePruningStep()]});
    const prunedAcc = accuracy(pruned, mnist.data.test.xs, mnist.data.test.ys);

    const stripped = sparsity.stripPruning(pruned);
    const report = sparsity.getSparsity(stripped);
    for (const layer of report.layers) {
      expect(Math.abs(layer.sparsity - 0.8), layer.layer).toBeLessThanOrEqual(0.005);
    }
    expect(accuracy(stripped, mnist.data.test.xs, mnist.data.test.ys)).toBe(prunedAcc);

    const baselineFile = await tfmot.tflite.TFLiteConverter.fromLayersModel(model).convert();
    const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(stripped);
    converter.optimizations = ['DEFAULT'];
    converter.representativeDataset = function* () {
      for (let i = 0; i < 200; i++) {
        yield tf.slice(mnist.data.train.xs, i, 1);
      }
    };
    const int8File = await converter.convert();
    const ratio = gzipSync(baselineFile).length / gzipSync(int8File).length;
    const lite = await runLiteRt(int8File, mnist.data.test.xs);
    const testLabels = Array.from(mnist.data.test.ys.dataSync());
    const liteAcc = argmaxRows(lite, 10).filter((c, i) => c === testLabels[i]).length / testLabels.length;
    console.log(`float ${(100 * floatAcc).toFixed(2)}%, pruned ${(100 * prunedAcc).toFixed(2)}%, ` +
        `int8 LiteRT ${(100 * liteAcc).toFixed(2)}%; sparsity ${report.layers.map((l) =>
          `${l.layer} ${l.sparsity.toFixed(4)}`).join(', ')}; gzip float32 ` +
        `${gzipSync(baselineFile).length} B vs pruned int8 ${gzipSync(int8File).length} B (${ratio.toFixed(1)}x)`);
    expect(prunedAcc).toBeGreaterThanOrEqual(floatAcc - 0.01);
    expect(ratio).toBeGreaterThanOrEqual(8);
    expect(liteAcc).toBeGreaterThanOrEqual(floatAcc - 0.015);
  });
});
