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
import {mkdirSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {gzipSync} from 'node:zlib';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfmot from 'tfjs-model-optimization';

import {accuracyOf, runSamples} from '../bench/litert.js';

const {sparsity} = tfmot;

const SEED = 11;
const NUM_TRAIN = 8000;
const NUM_TEST = 2000;
const BASELINE_EPOCHS = 3;
const PRUNING_EPOCHS = 2;
const PRUNING_BATCH = 128;
const NUM_CALIBRATION = 200;
// examples/out/ is gitignored.
const OUT_DIR = fileURLToPath(new URL('./out/mnist_pruning', import.meta.url));

function compile(model: tfl.LayersModel): void {
  // The tutorial model outputs logits: cross-entropy from logits on one-hot labels.
  model.compile({optimizer: tf.train.adam(1e-3), loss: tfmot.data.categoricalCrossentropyFromLogits,
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
  compile(baseline);
  await baseline.fit(train.xs, trainYs, {epochs: BASELINE_EPOCHS, batchSize: 32, verbose: 0});
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
    compile(model);
    // Without UpdatePruningStep, fit() throws: the wrappers need the step.
    await model.fit(train.xs, trainYs, {epochs: PRUNING_EPOCHS, batchSize: PRUNING_BATCH, verbose: 0,
      callbacks: [new sparsity.UpdatePruningStep()]});
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
  const calibration = tf.split(tf.slice(train.xs, 0, NUM_CALIBRATION), NUM_CALIBRATION);
  const convert = async (model: tfl.LayersModel, int8: boolean) => {
    const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(model);
    if (int8) {
      converter.optimizations = [tfmot.tflite.Optimize.DEFAULT];
      converter.representativeDataset = () => calibration;
    }
    return converter.convert();
  };
  const files: Array<{name: string, model: tfl.LayersModel, int8: boolean}> = [
    {name: 'baseline float32', model: baseline, int8: false},
    {name: 'baseline int8', model: baseline, int8: true},
    ...stripped.flatMap(([name, model]) => [
      {name: `pruned ${name} float32`, model, int8: false},
      {name: `pruned ${name} int8`, model, int8: true},
    ]),
  ];
  rmSync(OUT_DIR, {recursive: true, force: true});
  mkdirSync(OUT_DIR, {recursive: true});
  const testXs = test.xs.dataSync() as Float32Array;
  const testLabels = test.ys.dataSync() as Int32Array;
  const rows: string[][] = [];
  let baselineGzip = 0;
  t0 = performance.now();
  for (const file of files) {
    const bytes = await convert(file.model, file.int8);
    writeFileSync(join(OUT_DIR, `${file.name.replace(/ /g, '_')}.tflite`), bytes);
    const gzipped = gzipSync(bytes).length;
    baselineGzip ||= gzipped;
    const lite = accuracyOf(await runSamples(bytes, testXs, NUM_TEST), testLabels);
    rows.push([file.name, String(bytes.length), String(gzipped), `${(baselineGzip / gzipped).toFixed(2)}x`,
      percent(tfjsAccuracy(file.model, test.xs, test.ys)), percent(lite)]);
  }
  console.log(`Converted, wrote and ran ${files.length} files in LiteRT in ${seconds(t0)}; files in ${OUT_DIR}\n`);

  const header = ['model', 'bytes', 'gzipped', 'smaller (gzip)', 'tfjs accuracy', 'LiteRT accuracy'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    console.log(cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join('  '));
  line(header);
  rows.forEach(line);
  console.log(`\n"smaller (gzip)" is the baseline float32 file's gzipped size over this file's. "tfjs accuracy" ` +
      `is the source model's (float); int8 files are quantized after pruning, so their zeros stay zeros.`);

  tf.dispose([train.xs, train.ys, test.xs, test.ys, trainYs, ...calibration]);
  for (const model of [baseline, pruned, global, filters, ...stripped.map(([, m]) => m)]) {
    model.dispose();
  }
}

await main();
