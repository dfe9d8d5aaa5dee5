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

import * as tf from '@tensorflow/tfjs-core';
import * as tfmot from 'tfjs-model-optimization';

import {calibrationSamples, compileForLogits, convertAndRun, FileSpec, fitDigits, int8Calibrated, loadDigits, NUM_TEST,
  outDir, percent, printTable, seconds, tfjsAccuracy, trainBaseline} from './common.js';

const SEED = 13;
const BASELINE_EPOCHS = 5;
const NUM_CALIBRATION = 200;
const OUT_DIR = outDir('mnist_clustering');

async function main(): Promise<void> {
  const digits = await loadDigits(SEED);
  const {test} = digits;
  console.log(digits.summary);

  // 1. The float baseline.
  let t0 = performance.now();
  const baseline = await trainBaseline(digits, SEED, BASELINE_EPOCHS, 1e-3);
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
  compileForLogits(clustered, 1e-4);
  await fitDigits(clustered, digits, 1, {label: 'clustered'});
  const clusteredAcc = tfjsAccuracy(clustered, test.xs, test.ys);
  console.log(`Fine-tuned the clustered model: 1 epoch in ${seconds(t0)}, test accuracy ${percent(clusteredAcc)}`);

  // 4. The plain model: wrappers gone, each kernel holds its clustered values.
  const stripped = tfmot.clustering.stripClustering(clustered);
  console.log(`\ntfmot.report(stripClustering(clustered)):\n${tfmot.formatReport(tfmot.report(stripped))}`);

  // 5. TFLite files: float32, and int8 calibrated on training digits.
  const calibration = calibrationSamples(digits, NUM_CALIBRATION);
  const int8 = int8Calibrated(calibration);
  const specs: Array<FileSpec & {acc: number}> = [
    {name: 'baseline float32', model: baseline, acc: baselineAcc},
    {name: 'baseline int8', model: baseline, configure: int8, acc: baselineAcc},
    {name: 'clustered float32', model: stripped, acc: clusteredAcc},
    {name: 'clustered int8', model: stripped, configure: int8, acc: clusteredAcc},
  ];
  const files = await convertAndRun(specs, OUT_DIR, digits);
  console.log(`\ntfmot.report(clustered int8 file):\n${tfmot.formatReport(tfmot.report(files[3].bytes))}`);

  console.log(`\nFiles in ${OUT_DIR}:`);
  printTable(['file', 'bytes', 'gzipped', 'gzip vs baseline float32', 'LiteRT accuracy', 'tfjs accuracy'],
      specs.map((spec, i) => [spec.name, String(files[i].bytes.length), String(files[i].gzippedBytes),
        files[i].gzipGain, percent(files[i].liteRtAccuracy), percent(spec.acc)]),
      {indent: '  '});
  console.log(`\n"tfjs accuracy" is the source model's (baseline, or the clustered model) on the same ${NUM_TEST} digits.`);

  tf.dispose(calibration);
  digits.dispose();
  for (const m of [baseline, clustered, stripped]) {
    m.dispose();
  }
}

await main();
