/**
 * `npm run example:kws`: the MLPerf Tiny keyword-spotting DS-CNN (49 frames x
 * 10 MFCCs, 12 classes) optimized end to end on seeded synthetic MFCC-like
 * data: float training, pruning to 50% sparsity, sparsity-preserving QAT,
 * int8 export, and every file run in LiteRT. Prints bytes, gzipped bytes and
 * accuracy in tfjs and in LiteRT per file.
 */
import {gzipSync} from 'node:zlib';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfmot from 'tfjs-model-optimization';

import {ZOO, zooData} from './zoo/models.js';

const SEED = 7;
const entry = ZOO.ds_cnn;

const compile = (model: tfl.LayersModel, learningRate: number) =>
  model.compile({optimizer: tf.train.adam(learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy']});

function tfjsAccuracy(model: tfl.LayersModel, xs: tf.Tensor, ys: tf.Tensor): number {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(
      tf.argMax(model.predict(xs, {batchSize: 64}) as tf.Tensor, -1), ys), 'float32')).dataSync()[0]);
}

async function main(): Promise<void> {
  const backend = await tfmot.backend.init();
  const train = zooData(entry, 1024, SEED);
  const test = zooData(entry, 256, SEED + 1);
  const labels = tf.oneHot(train.ys as tf.Tensor1D, entry.outputs);
  console.log(`Backend ${backend}; ${entry.title}; 1024 training and 256 test samples (synthetic, seeded)`);
  const fit = (model: tfl.LayersModel, epochs: number, callbacks: tfl.Callback[] = []) =>
    model.fit(train.xs, labels, {epochs, batchSize: 32, verbose: 0, callbacks: [...callbacks,
      new tfmot.callbacks.ProgressBar({label: model.name})]});

  // Momentum 0.9: a short run, so the moving statistics must follow the data quickly.
  const model = entry.build(SEED, {batchNormMomentum: 0.9});
  compile(model, 3e-3);
  await fit(model, 4);

  // Masks update every `frequency` steps up to endStep (a multiple of it, so 50% is reached at step 48 of
  // 64); with the default frequency of 100 they would update only at step 0, to 0%.
  const pruning = tfmot.sparsity.pruneLowMagnitude(model, {pruningSchedule: new tfmot.sparsity.PolynomialDecay(
    {initialSparsity: 0, finalSparsity: 0.5, beginStep: 0, endStep: 48, frequency: 8})});
  compile(pruning, 1e-3);
  await fit(pruning, 2, [new tfmot.sparsity.UpdatePruningStep()]);
  const pruned = tfmot.sparsity.stripPruning(pruning);
  console.log(`Pruned kernels: ${(100 * tfmot.sparsity.getSparsity(pruned).overall).toFixed(1)}% zeros`);

  const qat = tfmot.quantization.quantizeApply(tfmot.quantization.quantizeAnnotateModel(pruned),
      new tfmot.quantization.Default8BitPrunePreserveQuantizeScheme());
  compile(qat, 1e-4);
  await fit(qat, 1);

  const calibration = tf.tidy(() => tf.split(tf.slice(train.xs, 0, 100), 100));
  const files: Array<[string, tfl.LayersModel, (c: tfmot.tflite.TFLiteConverter) => void]> = [
    ['float32', model, () => {}],
    ['int8 post-training', model, (c) => {
      c.optimizations = [tfmot.tflite.Optimize.DEFAULT];
      c.representativeDataset = () => calibration;
    }],
    ['pruned 50% + QAT int8', qat, (c) => {
      c.optimizations = [tfmot.tflite.Optimize.DEFAULT];
    }],
  ];
  const rows: string[][] = [];
  for (const [name, source, configure] of files) {
    const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(source);
    configure(converter);
    const bytes = await converter.convert();
    const lite = await tfmot.tflite.evaluateAccuracy(bytes, test.xs, test.ys!);
    rows.push([name, String(bytes.length), String(gzipSync(bytes).length),
      `${(100 * tfjsAccuracy(source, test.xs, test.ys!)).toFixed(1)} %`, `${(100 * lite).toFixed(1)} %`]);
  }
  console.log(tfmot.plot.textTable(['file', 'bytes', 'gzipped', 'tfjs accuracy', 'LiteRT accuracy'], rows));
  tf.dispose([labels, ...calibration]);
  train.dispose();
  test.dispose();
  for (const m of [model, pruning, pruned, qat]) {
    m.optimizer?.dispose();
    m.dispose();
  }
}

await main();
