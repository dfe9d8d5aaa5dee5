/**
 * Exporting a tfjs model to TFLite in every mode, as in TFMOT's and TFLite's
 * Python tutorials, and checking each file in Google's runtime:
 *
 *   1. train the MNIST tutorial CNN briefly, and a QAT copy of it;
 *   2. convert with tfmot.tflite.TFLiteConverter: float32, float16, dynamic
 *      range, int8 post-training (calibrated on 200 digits), int8 from QAT,
 *      and 16x8 (int16 activations, int8 weights);
 *   3. write the files to examples/out/export_tflite/;
 *   4. run each file in LiteRT on 2000 held-out digits and compare sizes and
 *      accuracies.
 *
 * Run it with `npm run example:export` (builds the package, then runs this
 * file; under a minute). Step 4 uses LiteRT.js (@litertjs/core), a
 * devDependency of this repository needed only to verify the files; the
 * converter itself does not use it.
 */
import {mkdirSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {gzipSync} from 'node:zlib';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfmot from 'tfjs-model-optimization';

import {accuracyOf, runSamples} from '../bench/litert.js';

const SEED = 7;
const NUM_TRAIN = 8000;
const NUM_TEST = 2000;
const NUM_CALIBRATION = 200;
// examples/out/ is gitignored.
const OUT_DIR = fileURLToPath(new URL('./out/export_tflite', import.meta.url));

function compile(model: tfl.LayersModel): void {
  model.compile({optimizer: 'adam', loss: tfmot.data.categoricalCrossentropyFromLogits, metrics: ['accuracy']});
}

/** tfjs test accuracy of a logits model. */
function tfjsAccuracy(model: tfl.LayersModel, xs: tf.Tensor, ys: tf.Tensor): number {
  return tf.tidy(() => {
    const logits = model.predict(xs, {batchSize: 500}) as tf.Tensor;
    return tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), ys), 'float32')).dataSync()[0];
  });
}

async function main(): Promise<void> {
  const backend = await tfmot.backend.init();
  const {train, test} = tfmot.data.loadMnist({numTrain: NUM_TRAIN, numTest: NUM_TEST, seed: SEED});
  const trainYs = tfmot.data.oneHotLabels(train.ys);
  console.log(`Backend ${backend}; MNIST: ${NUM_TRAIN} train, ${NUM_TEST} held-out digits`);

  // 1. The float model (2 epochs) and its QAT copy (1 epoch).
  let t0 = performance.now();
  const model = tfmot.data.mnistTutorialModel({seed: SEED});
  compile(model);
  await model.fit(train.xs, trainYs, {epochs: 2, batchSize: 32, verbose: 0});
  const qat = tfmot.quantization.quantizeModel(model);
  compile(qat);
  await qat.fit(train.xs, trainYs, {epochs: 1, batchSize: 32, verbose: 0});
  console.log(`Trained the float model (2 epochs) and the QAT model (1 epoch) in ${
    ((performance.now() - t0) / 1000).toFixed(1)} s`);

  // Calibration samples for post-training full-integer quantization: like
  // Python's representative_dataset, a function returning an iterable of
  // model inputs (one digit each here). The converter does not dispose them.
  const calibration = tf.split(tf.slice(train.xs, 0, NUM_CALIBRATION), NUM_CALIBRATION);
  const representativeDataset = () => calibration;

  // 2. One converter per mode, configured as in Python.
  const modes: Array<{name: string, source: tfl.LayersModel, configure: (c: tfmot.tflite.TFLiteConverter) => void}> = [
    {name: 'float32', source: model, configure: () => {}},
    {name: 'float16', source: model, configure: (c) => {
      c.optimizations = [tfmot.tflite.Optimize.DEFAULT];
      c.targetSpec.supportedTypes = ['float16'];
    }},
    {name: 'dynamic range', source: model, configure: (c) => {
      c.optimizations = [tfmot.tflite.Optimize.DEFAULT];
    }},
    {name: 'int8 post-training', source: model, configure: (c) => {
      c.optimizations = [tfmot.tflite.Optimize.DEFAULT];
      c.representativeDataset = representativeDataset;
    }},
    {name: 'int8 from QAT', source: qat, configure: (c) => {
      // A QAT model carries its ranges: no representative dataset needed.
      c.optimizations = [tfmot.tflite.Optimize.DEFAULT];
    }},
    {name: '16x8', source: model, configure: (c) => {
      c.optimizations = [tfmot.tflite.Optimize.DEFAULT];
      c.representativeDataset = representativeDataset;
      c.targetSpec.supportedOps = [tfmot.tflite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8];
    }},
  ];

  rmSync(OUT_DIR, {recursive: true, force: true});
  mkdirSync(OUT_DIR, {recursive: true});
  const testXs = test.xs.dataSync() as Float32Array;
  const testLabels = test.ys.dataSync() as Int32Array;
  const sourceAccuracy = new Map([model, qat].map((m) => [m, tfjsAccuracy(m, test.xs, test.ys)]));

  const rows: string[][] = [];
  let float32Bytes = 0;
  t0 = performance.now();
  for (const mode of modes) {
    const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(mode.source);
    mode.configure(converter);
    const bytes = await converter.convert();
    // 3. The file, named after the converter's mode ('dynamicRange', 'int8', ...).
    const file = join(OUT_DIR, `${mode.name.replace(/[^a-z0-9]+/gi, '_')}.tflite`);
    writeFileSync(file, bytes);
    float32Bytes ||= bytes.length;
    // 4. LiteRT on the held-out digits, one digit per inference.
    const logits = await runSamples(bytes, testXs, NUM_TEST);
    rows.push([mode.name, converter.mode(), String(bytes.length), `${(bytes.length / float32Bytes).toFixed(3)}x`,
      String(gzipSync(bytes).length), `${(100 * accuracyOf(logits, testLabels)).toFixed(2)} %`,
      `${(100 * sourceAccuracy.get(mode.source)!).toFixed(2)} %`]);
  }
  console.log(`Converted, wrote and ran ${modes.length} files in LiteRT in ${
    ((performance.now() - t0) / 1000).toFixed(1)} s; files in ${OUT_DIR}\n`);

  const header = ['mode', 'converter.mode()', 'bytes', 'vs float32', 'gzipped', 'LiteRT accuracy',
    'tfjs accuracy'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    console.log(cells.map((c, i) => i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join('  '));
  line(header);
  rows.forEach(line);
  console.log(`\n"tfjs accuracy" is the source model's (the float model, or the QAT model for "int8 from QAT")` +
      ` on the same ${NUM_TEST} digits.`);

  tf.dispose([train.xs, train.ys, test.xs, test.ys, trainYs, ...calibration]);
  model.dispose();
  qat.dispose();
}

await main();
