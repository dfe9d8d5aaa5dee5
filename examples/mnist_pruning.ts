/**
 * Magnitude pruning of the MNIST tutorial model, following TFMOT's "Pruning
 * in Keras example" in TF.js, then two things TFMOT does not have:
 *
 *   1. train the float baseline;
 *   2. wrap it with `pruneLowMagnitude` (PolynomialDecay from 50% to 80%
 *      sparsity over 2 epochs at batch 128) and fine-tune with the
 *      `UpdatePruningStep` callback;
 *   3. the same with `scope: 'global'` (one threshold over all layers);
 *   4. `structure: 'filters'` on the conv layer: whole filters pruned, then
 *      removed by stripPruning (a smaller and faster model, not just a
 *      sparser one);
 *   5. report the sparsity of each layer (`getSparsity`) and `stripPruning`;
 *   6. export float32 and int8 (post-training, calibrated) TFLite files and
 *      compare accuracy (tfjs and LiteRT) and gzipped file sizes.
 *
 * Run it with `npm run example:pruning` (builds the package, then runs this
 * file; under a minute). Files go to examples/out/mnist_pruning/. LiteRT.js
 * (@litertjs/core) is a devDependency used only to check the files.
 */

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfmot from 'tfjs-model-optimization';

import {calibrationSamples, compileForLogits, convertAndRun, FileSpec, fitDigits, int8Calibrated, loadDigits,
  NUM_TRAIN, outDir, percent, printTable, seconds, tfjsAccuracy, trainBaseline} from './common.js';

const {sparsity} = tfmot;

const SEED = 11;
const BASELINE_EPOCHS = 3;
const PRUNING_EPOCHS = 2;
const PRUNING_BATCH = 128;
const NUM_CALIBRATION = 200;
const OUT_DIR = outDir('mnist_pruning');

async function main(): Promise<void> {
  const digits = await loadDigits(SEED);
  const {test} = digits;
  console.log(digits.summary);

  // 1. The float baseline.
  let t0 = performance.now();
  const baseline = await trainBaseline(digits, SEED, BASELINE_EPOCHS, 1e-3);
  console.log(`Baseline: ${BASELINE_EPOCHS} epochs in ${seconds(t0)}, test accuracy ${
    percent(tfjsAccuracy(baseline, test.xs, test.ys))}`);

  // 2. Prune from 50% to 80% over the fine-tuning run. The schedule only
  // prunes every `frequency` steps, so endStep is a multiple of it: the final
  // sparsity is then really reached (126 steps -> endStep 120, frequency 10).
  const steps = Math.ceil(NUM_TRAIN / PRUNING_BATCH) * PRUNING_EPOCHS;
  const frequency = 10;
  const endStep = Math.floor(steps / frequency) * frequency;
  const schedule = () => new sparsity.PolynomialDecay(
      {initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 0, endStep, frequency});
  const fineTune = async (model: tfl.LayersModel) => {
    compileForLogits(model, 1e-3);
    // Without UpdatePruningStep, fit() throws: the wrappers need the step.
    await fitDigits(model, digits, PRUNING_EPOCHS,
        {batchSize: PRUNING_BATCH, callbacks: [new sparsity.UpdatePruningStep()]});
  };

  t0 = performance.now();
  const pruned = sparsity.pruneLowMagnitude(baseline, {pruningSchedule: schedule()});
  await fineTune(pruned);
  console.log(`Pruned (per layer): ${PRUNING_EPOCHS} epochs in ${seconds(t0)}`);

  // 3. Global scope: one magnitude threshold over all wrapped layers, so
  // layers with many small weights give up more of them.
  t0 = performance.now();
  const global = sparsity.pruneLowMagnitude(baseline, {pruningSchedule: schedule(), scope: 'global'});
  await fineTune(global);
  console.log(`Pruned (global): ${PRUNING_EPOCHS} epochs in ${seconds(t0)}`);

  // 4. Filter pruning of the conv layer only (pruning the classifier's units
  // would remove classes): wrap that layer while building the model, then
  // copy the baseline's weights in.
  t0 = performance.now();
  const conv = tfl.layers.conv2d({inputShape: [28, 28, 1], filters: 12, kernelSize: 3, activation: 'relu', name: 'conv'});
  const dense = tfl.layers.dense({units: 10, name: 'logits'});
  const filters = tfl.sequential({layers: [
    sparsity.pruneLowMagnitude(conv, {structure: 'filters', pruningSchedule: new sparsity.PolynomialDecay(
        {initialSparsity: 0.25, finalSparsity: 0.5, beginStep: 0, endStep, frequency})}),
    tfl.layers.maxPooling2d({poolSize: 2}),
    tfl.layers.flatten(),
    dense,
  ]});
  conv.setWeights(baseline.layers[0].getWeights());
  dense.setWeights(baseline.layers[3].getWeights());
  await fineTune(filters);
  console.log(`Pruned (conv filters): ${PRUNING_EPOCHS} epochs in ${seconds(t0)}`);

  // 5. Sparsity per weight, then the plain models.
  const variants: Array<[string, tfl.LayersModel]> = [['per layer', pruned], ['global', global], ['filters', filters]];
  console.log('\nSparsity of the pruned weights (getSparsity):');
  for (const [name, model] of variants) {
    const report = sparsity.getSparsity(model);
    console.log(`  ${name.padEnd(9)} ${report.layers.map((l) => `${l.layer}/${l.weight} ${percent(l.sparsity)}`)
        .join(', ')}; overall ${percent(report.overall)}`);
  }
  const stripped = variants.map(([name, model]) => [name, sparsity.stripPruning(model)] as const);
  const small = stripped[2][1];
  console.log(`stripPruning removed the pruned filters: conv ${small.layers[1].getConfig()['filters']} of 12 filters, ` +
      `${small.countParams()} of ${baseline.countParams()} parameters\n`);

  // 6. TFLite files: float32, and int8 calibrated on training digits.
  const calibration = calibrationSamples(digits, NUM_CALIBRATION);
  const int8 = int8Calibrated(calibration);
  const specs: FileSpec[] = [
    {name: 'baseline float32', model: baseline},
    {name: 'baseline int8', model: baseline, configure: int8},
    ...stripped.flatMap(([name, model]) => [
      {name: `pruned ${name} float32`, model},
      {name: `pruned ${name} int8`, model, configure: int8},
    ]),
  ];
  t0 = performance.now();
  const files = await convertAndRun(specs, OUT_DIR, digits);
  const rows = specs.map(({name, model}, i) => [name, String(files[i].bytes.length), String(files[i].gzippedBytes),
    files[i].gzipGain, percent(tfjsAccuracy(model, test.xs, test.ys)), percent(files[i].liteRtAccuracy)]);
  console.log(`Converted, wrote and ran ${specs.length} files in LiteRT in ${seconds(t0)}; files in ${OUT_DIR}\n`);

  printTable(['model', 'bytes', 'gzipped', 'smaller (gzip)', 'tfjs accuracy', 'LiteRT accuracy'], rows);
  console.log(`\n"smaller (gzip)" is the baseline float32 file's gzipped size over this file's. "tfjs accuracy" ` +
      `is the source model's (float); int8 files are quantized after pruning, so their zeros stay zeros.`);

  tf.dispose(calibration);
  digits.dispose();
  for (const model of [baseline, pruned, global, filters, ...stripped.map(([, m]) => m)]) {
    model.dispose();
  }
}

await main();
