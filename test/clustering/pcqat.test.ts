/**
 * Collaborative optimization end to end (the PCQAT acceptance test):
 * prune 50% -> cluster 8 per channel (kmeans++, sparsity preserved) -> QAT
 * keeping both -> int8 TFLite, which keeps the zeros and the clusters.
 * Two pruning structures from one float baseline: TFMOT tutorial's
 * unstructured pruning, and the Dense kernel in blocks of 4 consecutive input
 * weights per output (TFLite's 1x4 block-sparse layout), whose zero runs
 * deflate far better.
 */
import {gzipSync} from 'node:zlib';

import * as tfl from '@tensorflow/tfjs-layers';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {TensorType} from '../../src/tflite/schema.js';
import {accuracy, compileForLogits, trainTutorialModel, useMnist} from '../helpers/mnist.js';
import {argmaxRows, runLiteRt} from '../helpers/tflite_eval.js';

describe('prune -> cluster -> PCQAT -> int8 TFLite', () => {
  const mnist = useMnist({numTrain: 8000, numTest: 2000, seed: 51});
  let model: tfl.LayersModel;
  let floatAcc: number;
  let baselineGzipped: number;

  const fit = (m: tfl.LayersModel, epochs: number, callbacks: tfl.Callback[] = []) =>
    m.fit(mnist.data.train.xs, mnist.trainLabels, {epochs, batchSize: 32, shuffle: false, verbose: 0, callbacks});

  beforeAll(async () => {
    model = await trainTutorialModel(51, 3, mnist.data.train.xs, mnist.trainLabels);
    floatAcc = accuracy(model, mnist.data.test.xs, mnist.data.test.ys);
    baselineGzipped = gzipSync(await tfmot.tflite.TFLiteConverter.fromLayersModel(model).convert()).length;
  });
  afterAll(() => model.dispose());

  /**
   * Runs the pipeline from the shared baseline; returns the int8 file.
   * `denseBlock` is the Dense kernel's block; the conv is pruned weight by
   * weight (as TFMOT does for any kernel that is not 2-D).
   */
  async function pcqatFile(denseBlock: [number, number]): Promise<Uint8Array> {
    const pruned = tfmot.cloneModel(model, (layer) => ['Conv2D', 'Dense'].includes(layer.getClassName()) ?
      tfmot.sparsity.pruneLowMagnitude(layer, {blockSize: layer.getClassName() === 'Dense' ? denseBlock : [1, 1],
        pruningSchedule: new tfmot.sparsity.ConstantSparsity({targetSparsity: 0.5, beginStep: 0})}) :
      layer);
    compileForLogits(pruned);
    await fit(pruned, 1, [new tfmot.sparsity.UpdatePruningStep()]);
    const prunedModel = tfmot.sparsity.stripPruning(pruned);

    const clustered = tfmot.clustering.clusterWeights(prunedModel, {numberOfClusters: 8,
      clusterCentroidsInit: 'KMEANS_PLUS_PLUS', preserveSparsity: true, clusterPerChannel: true, seed: 5});
    compileForLogits(clustered, 1e-4);
    await fit(clustered, 1);
    const clusteredModel = tfmot.clustering.stripClustering(clustered);

    const pcqat = tfmot.quantization.quantizeApply(
        tfmot.quantization.quantizeAnnotateModel(clusteredModel),
        new tfmot.quantization.Default8BitClusterPreserveQuantizeScheme({preserveSparsity: true}));
    compileForLogits(pcqat, 1e-4);
    await fit(pcqat, 1);

    const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(pcqat);
    converter.optimizations = ['DEFAULT'];
    const bytes = await converter.convert();
    for (const m of [pruned, prunedModel, clustered, clusteredModel, pcqat]) {
      m.dispose();
    }
    return bytes;
  }

  /** Asserts the file properties and accuracy; returns the gzip ratio to the baseline. */
  async function checkFile(bytes: Uint8Array, label: string): Promise<number> {
    const model8 = tfmot.tflite.readModel(bytes);
    const graph = model8.subgraphs[0];
    const kernels = graph.tensors.filter((t) => t.type === TensorType.INT8 && t.buffer > 0);
    expect(kernels.length).toBe(2);
    for (const t of kernels) {
      const data = model8.buffers[t.buffer].data;
      const q = new Int8Array(data.buffer, data.byteOffset, data.byteLength);
      const zeros = q.filter((v) => v === 0).length / q.length;
      expect(zeros, `${t.name} sparsity`).toBeGreaterThanOrEqual(0.5 - 0.005);
      // Output channels lie along dimension 0 of CONV_2D and FULLY_CONNECTED weights.
      const channels = t.shape[0];
      const perChannel = q.length / channels;
      for (let c = 0; c < channels; c++) {
        expect(new Set(q.subarray(c * perChannel, (c + 1) * perChannel)).size, `${t.name}[${c}]`)
            .toBeLessThanOrEqual(8);
      }
    }
    const gzipped = gzipSync(bytes).length;
    const lite = await runLiteRt(bytes, mnist.data.test.xs);
    const testLabels = Array.from(mnist.data.test.ys.dataSync());
    const liteAcc = argmaxRows(lite, 10).filter((c, i) => c === testLabels[i]).length / testLabels.length;
    console.log(`${label}: float ${(100 * floatAcc).toFixed(2)}%, PCQAT int8 in LiteRT ${(100 * liteAcc).toFixed(2)}%, ` +
        `gzip ${baselineGzipped} B -> ${gzipped} B (${(baselineGzipped / gzipped).toFixed(1)}x)`);
    expect(liteAcc).toBeGreaterThanOrEqual(floatAcc - 0.015);
    return baselineGzipped / gzipped;
  }

  it('Dense in blocks of 4 inputs: keeps sparsity and <= 8 int8 values per channel, accuracy, and gzips >= 10x',
      async () => {
        // [rows, cols] of the kernel seen as inputs x outputs: 4 consecutive
        // inputs of one output, contiguous in TFLite's [out, in] weights.
        const ratio = await checkFile(await pcqatFile([4, 1]), 'blocks of 4');
        // A run of 4 or more zeros costs deflate a few bits, where scattered
        // zeros cost about a bit apiece; measured ratios: BENCHMARKS.md.
        expect(ratio).toBeGreaterThanOrEqual(10);
      });

  it('unstructured (the TFMOT tutorial recipe): the same properties, and gzips >= 9x', async () => {
    const ratio = await checkFile(await pcqatFile([1, 1]), 'unstructured');
    // Below the blocked layout's bound: the int8 dense kernel gzips well
    // above its order-0 entropy, as deflate's matches do not pay on
    // scattered zeros; measured ratios: BENCHMARKS.md.
    expect(ratio).toBeGreaterThanOrEqual(9);
  });
});
