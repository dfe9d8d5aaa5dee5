/**
 * Weight clustering of the MNIST tutorial model, following TFMOT's "Weight
 * clustering in Keras example" in TF.js:
 *
 *   1. train the float baseline;
 *   2. `clusterWeights` with 16 clusters, LINEAR centroid initialization:
 *      every Conv2D/Dense kernel then takes at most 16 distinct values;
 *   3. fine-tune 1 epoch with a small learning rate (the centroids train);
 *   4. `stripClustering` (the plain model, clustered weights kept) and print
 *      `tfmot.report` for it and for its int8 file;
 *   5. export float32 and int8 (post-training, calibrated) TFLite files of
 *      the baseline and the clustered model, run them in LiteRT and compare
 *      raw and gzipped sizes and accuracy: clustering pays off once the
 *      file is compressed.
 *
 * Run it with `npm run example:clustering` (builds the package, then runs
 * this file; under a minute). Files go to examples/out/mnist_clustering/.
 * LiteRT.js (@litertjs/core) is a devDependency used only to check them.
 */
import {mkdirSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfmot from 'tfjs-model-optimization';

import {accuracyOf, runSamples} from '../bench/litert.js';

const SEED = 13;
const NUM_TRAIN = 8000;
const NUM_TEST = 2000;
const BASELINE_EPOCHS = 5;
const NUM_CALIBRATION = 200;
// examples/out/ is gitignored.
const OUT_DIR = fileURLToPath(new URL('./out/mnist_clustering', import.meta.url));

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

  // 1. The float baseline.
  let t0 = performance.now();
  const baseline = tfmot.data.mnistTutorialModel({seed: SEED});
  compile(baseline, 1e-3);
  await baseline.fit(train.xs, trainYs, {epochs: BASELINE_EPOCHS, batchSize: 32, verbose: 0});
  const baselineAcc = tfjsAccuracy(baseline, test.xs, test.ys);
  console.log(`Baseline: ${BASELINE_EPOCHS} epochs in ${seconds(t0)}, test accuracy ${percent(baselineAcc)}`);

  // 2. Every clusterable layer (Conv2D, Dense) is wrapped in ClusterWeights:
  // its kernel is snapped to the nearest of 16 centroids, spaced evenly
  // between the kernel's min and max (LINEAR). Biases are left alone.
  const clustered = tfmot.clustering.clusterWeights(baseline, {
    numberOfClusters: 16,
    clusterCentroidsInit: tfmot.clustering.CentroidInitialization.LINEAR,
  });
  console.log(`Right after clusterWeights: test accuracy ${percent(tfjsAccuracy(clustered, test.xs, test.ys))}`);

  // 3. Fine-tune with a small learning rate, as the TFMOT tutorial does
  // (1e-5 there; 1e-4 here over fewer steps). The centroids are trainable.
  t0 = performance.now();
  compile(clustered, 1e-4);
  await clustered.fit(train.xs, trainYs, {epochs: 1, batchSize: 32, verbose: 0});
  const clusteredAcc = tfjsAccuracy(clustered, test.xs, test.ys);
  console.log(`Fine-tuned the clustered model: 1 epoch in ${seconds(t0)}, test accuracy ${percent(clusteredAcc)}`);

  // 4. The plain model: wrappers gone, each kernel holds its clustered values.
  const stripped = tfmot.clustering.stripClustering(clustered);
  console.log(`\ntfmot.report(stripClustering(clustered)):\n${tfmot.formatReport(tfmot.report(stripped))}`);

  // 5. TFLite files: float32, and int8 calibrated on training digits.
  const calibration = tf.split(tf.slice(train.xs, 0, NUM_CALIBRATION), NUM_CALIBRATION);
  const convert = async (model: tfl.LayersModel, int8: boolean) => {
    const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(model);
    if (int8) {
      converter.optimizations = [tfmot.tflite.Optimize.DEFAULT];
      converter.representativeDataset = () => calibration;
    }
    return converter.convert();
  };
  const files = [
    {name: 'baseline float32', model: baseline, int8: false, acc: baselineAcc},
    {name: 'baseline int8', model: baseline, int8: true, acc: baselineAcc},
    {name: 'clustered float32', model: stripped, int8: false, acc: clusteredAcc},
    {name: 'clustered int8', model: stripped, int8: true, acc: clusteredAcc},
  ];
  rmSync(OUT_DIR, {recursive: true, force: true});
  mkdirSync(OUT_DIR, {recursive: true});
  const testXs = test.xs.dataSync() as Float32Array;
  const testLabels = test.ys.dataSync() as Int32Array;
  const rows: string[][] = [];
  let baselineGzip = 0;
  for (const file of files) {
    const bytes = await convert(file.model, file.int8);
    writeFileSync(join(OUT_DIR, `${file.name.replace(/ /g, '_')}.tflite`), bytes);
    const r = tfmot.report(bytes);
    baselineGzip ||= r.gzippedBytes;
    if (file.name === 'clustered int8') {
      console.log(`\ntfmot.report(clustered int8 file):\n${tfmot.formatReport(r)}`);
    }
    const liteAcc = accuracyOf(await runSamples(bytes, testXs, NUM_TEST), testLabels);
    rows.push([file.name, String(r.rawBytes), String(r.gzippedBytes), `${(baselineGzip / r.gzippedBytes).toFixed(2)}x`,
      percent(liteAcc), percent(file.acc)]);
  }

  console.log(`\nFiles in ${OUT_DIR}:`);
  const header = ['file', 'bytes', 'gzipped', 'gzip vs baseline float32', 'LiteRT accuracy', 'tfjs accuracy'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    console.log(`  ${cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join('  ')}`);
  line(header);
  rows.forEach(line);
  console.log(`\n"tfjs accuracy" is the source model's (baseline, or the clustered model) on the same ${NUM_TEST} digits.`);

  tf.dispose([train.xs, train.ys, test.xs, test.ys, trainYs, ...calibration]);
  for (const m of [baseline, clustered, stripped]) {
    m.dispose();
  }
}

await main();
