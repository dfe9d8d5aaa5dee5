/**
 * Collaborative optimization of the MNIST tutorial model, following TFMOT's
 * "Pruning preserving quantization aware training (PCQAT)" example in TF.js:
 *
 *   1. train the float baseline;
 *   2. prune 50% of every kernel (ConstantSparsity, UpdatePruningStep), then
 *      stripPruning;
 *   3. cluster the pruned model, 8 clusters per output channel of the conv
 *      (per tensor for Dense), KMEANS_PLUS_PLUS, preserveSparsity (0 stays
 *      a centroid, zeros stay zero), then stripClustering;
 *   4. PCQAT: quantizeApply(quantizeAnnotateModel(m),
 *      new Default8BitClusterPreserveQuantizeScheme({preserveSparsity: true})),
 *      quantization-aware fine-tuning that keeps both the zeros and the
 *      clusters;
 *   5. export the PCQAT model to an int8 TFLite file.
 *
 * For each stage it prints accuracy (tfjs, and LiteRT on the stage's TFLite
 * file: float32 for 1-3, int8 for 4), kernel sparsity and the most distinct
 * values in one output channel (from tfmot.report of the file), the file's
 * raw and gzipped sizes and the gzipped ratio to the float32 baseline.
 *
 * Run it with `npm run example:pcqat` (builds the package, then runs this
 * file; about a minute). Files go to examples/out/mnist_prune_cluster_qat/.
 * LiteRT.js (@litertjs/core) is a devDependency used only to check them.
 */
import {mkdirSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfmot from 'tfjs-model-optimization';

import {accuracyOf, runSamples} from '../bench/litert.js';

const SEED = 17;
const NUM_TRAIN = 8000;
const NUM_TEST = 2000;
const BASELINE_EPOCHS = 5;
// examples/out/ is gitignored.
const OUT_DIR = fileURLToPath(new URL('./out/mnist_prune_cluster_qat', import.meta.url));

function compile(model: tfl.LayersModel, learningRate: number): void {
  // The tutorial model outputs logits: cross-entropy from logits on one-hot labels.
  model.compile({optimizer: tf.train.adam(learningRate), loss: tfmot.data.categoricalCrossentropyFromLogits,
    metrics: ['accuracy']});
}

function tfjsAccuracy(model: tfl.LayersModel, xs: tf.Tensor, ys: tf.Tensor): number {
  return tf.tidy(() => {
    const logits = model.predict(xs, {batchSize: 500}) as tf.Tensor;
    return tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), ys), 'float32')).dataSync()[0];
  });
}

const seconds = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
const percent = (x: number) => `${(100 * x).toFixed(2)} %`;

async function main(): Promise<void> {
  const backend = await tfmot.backend.init();
  const {train, test} = tfmot.data.loadMnist({numTrain: NUM_TRAIN, numTest: NUM_TEST, seed: SEED});
  const trainYs = tfmot.data.oneHotLabels(train.ys);
  console.log(`Backend ${backend}; MNIST: ${NUM_TRAIN} train, ${NUM_TEST} held-out digits`);
  const fit = async (model: tfl.LayersModel, epochs: number, callbacks: tfl.Callback[] = []) => {
    const t0 = performance.now();
    await model.fit(train.xs, trainYs, {epochs, batchSize: 32, verbose: 0, callbacks});
    return seconds(t0);
  };

  // 1. The float baseline.
  const baseline = tfmot.data.mnistTutorialModel({seed: SEED});
  compile(baseline, 1e-3);
  console.log(`1. baseline: ${BASELINE_EPOCHS} epochs in ${await fit(baseline, BASELINE_EPOCHS)}`);

  // 2. Prune: 50% of each kernel from the first step on; UpdatePruningStep
  // advances the step and re-applies the masks after every batch.
  const pruning = tfmot.sparsity.pruneLowMagnitude(baseline, {
    pruningSchedule: new tfmot.sparsity.ConstantSparsity({targetSparsity: 0.5, beginStep: 0}),
  });
  compile(pruning, 1e-3);
  const pruneTime = await fit(pruning, 1, [new tfmot.sparsity.UpdatePruningStep()]);
  const pruned = tfmot.sparsity.stripPruning(pruning);
  console.log(`2. pruned 50%: 1 epoch in ${pruneTime}`);

  // 3. Cluster with sparsity preserved: each conv output channel gets its own
  // 8 centroids (one pinned at 0), the Dense kernel 8 in all.
  const clustering = tfmot.clustering.clusterWeights(pruned, {
    numberOfClusters: 8,
    clusterCentroidsInit: tfmot.clustering.CentroidInitialization.KMEANS_PLUS_PLUS,
    preserveSparsity: true,
    clusterPerChannel: true,
    seed: SEED,
  });
  compile(clustering, 1e-4);
  const clusterTime = await fit(clustering, 1);
  const clustered = tfmot.clustering.stripClustering(clustering);
  console.log(`3. clustered (8 per channel, sparsity kept): 1 epoch in ${clusterTime}`);

  // 4. PCQAT: the scheme's weight quantizers keep the zero mask and the
  // cluster of every weight; only the centroids (and ranges) train.
  const pcqat = tfmot.quantization.quantizeApply(
      tfmot.quantization.quantizeAnnotateModel(clustered),
      new tfmot.quantization.Default8BitClusterPreserveQuantizeScheme({preserveSparsity: true}));
  compile(pcqat, 1e-4);
  console.log(`4. PCQAT: 1 epoch in ${await fit(pcqat, 1)}`);

  // 5. The files: float32 for the float stages, int8 for PCQAT (its learned
  // ranges; no representative dataset).
  const toFile = async (model: tfl.LayersModel, int8: boolean) => {
    const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(model);
    if (int8) {
      converter.optimizations = [tfmot.tflite.Optimize.DEFAULT];
    }
    return converter.convert();
  };
  const stages = [
    {name: 'baseline', model: baseline, int8: false},
    {name: 'pruned 50%', model: pruned, int8: false},
    {name: 'pruned + clustered', model: clustered, int8: false},
    {name: 'PCQAT', model: pcqat, int8: true},
  ];
  rmSync(OUT_DIR, {recursive: true, force: true});
  mkdirSync(OUT_DIR, {recursive: true});
  const testXs = test.xs.dataSync() as Float32Array;
  const testLabels = test.ys.dataSync() as Int32Array;
  const rows: string[][] = [];
  let baselineGzip = 0;
  let lastReport: tfmot.ModelReport|null = null;
  for (const stage of stages) {
    const bytes = await toFile(stage.model, stage.int8);
    const file = `${stage.name.replace(/[^a-z0-9]+/gi, '_')}_${stage.int8 ? 'int8' : 'float32'}.tflite`;
    writeFileSync(join(OUT_DIR, file), bytes);
    const r = tfmot.report(bytes);
    lastReport = r;
    baselineGzip ||= r.gzippedBytes;
    const kernels = r.layers.flatMap((l) => l.weights).filter((w) => w.maxDistinctPerChannel != null);
    const kernelParams = kernels.reduce((n, k) => n + k.params, 0);
    const kernelZeros = kernels.reduce((n, k) => n + k.zeros, 0);
    const liteAcc = accuracyOf(await runSamples(bytes, testXs, NUM_TEST), testLabels);
    rows.push([stage.name, percent(tfjsAccuracy(stage.model, test.xs, test.ys)), percent(liteAcc),
      stage.int8 ? 'int8' : 'float32', percent(kernelZeros / kernelParams),
      String(Math.max(...kernels.map((k) => k.maxDistinctPerChannel!))), String(r.rawBytes), String(r.gzippedBytes),
      `${(baselineGzip / r.gzippedBytes).toFixed(2)}x`]);
  }

  console.log(`\ntfmot.report of the PCQAT int8 file:\n${tfmot.formatReport(lastReport!)}`);
  console.log(`\nPer stage (files in ${OUT_DIR}):`);
  const header = ['stage', 'tfjs acc', 'LiteRT acc', 'file', 'kernel zeros', 'max distinct/channel', 'bytes', 'gzipped',
    'gzip vs baseline'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    console.log(`  ${cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join('  ')}`);
  line(header);
  rows.forEach(line);
  console.log(`\n"kernel zeros" and "max distinct/channel" are read from each stage's file (CONV_2D and ` +
      `FULLY_CONNECTED weights, output channels along axis 0); "LiteRT acc" runs that file on the same ` +
      `${NUM_TEST} digits.`);

  tf.dispose([train.xs, train.ys, test.xs, test.ys, trainYs]);
  for (const m of [baseline, pruning, pruned, clustering, clustered, pcqat]) {
    m.dispose();
  }
}

await main();
