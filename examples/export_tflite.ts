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

import * as tf from '@tensorflow/tfjs-core';
import * as tfmot from 'tfjs-model-optimization';

import {calibrationSamples, compileForLogits, convertAndRun, FileSpec, fitDigits, loadDigits, NUM_TEST, outDir,
  percent, printTable, seconds, tfjsAccuracy, trainBaseline} from './common.js';

const SEED = 7;
const NUM_CALIBRATION = 200;
const OUT_DIR = outDir('export_tflite');

async function main(): Promise<void> {
  const digits = await loadDigits(SEED);
  const {test} = digits;
  console.log(digits.summary);

  // 1. The float model (2 epochs) and its QAT copy (1 epoch).
  let t0 = performance.now();
  const model = await trainBaseline(digits, SEED, 2);
  const qat = tfmot.quantization.quantizeModel(model);
  compileForLogits(qat);
  await fitDigits(qat, digits, 1, {label: 'QAT'});
  console.log(`Trained the float model (2 epochs) and the QAT model (1 epoch) in ${seconds(t0)}`);

  // Calibration samples for post-training full-integer quantization: like
  // Python's representative_dataset, a function returning an iterable of
  // model inputs (one digit each here). The converter does not dispose them.
  const calibration = calibrationSamples(digits, NUM_CALIBRATION);
  const representativeDataset = () => calibration;

  // 2. One converter per mode, configured as in Python.
  const modes: FileSpec[] = [
    {name: 'float32', model},
    {name: 'float16', model, configure: (c) => {
      c.optimizations = [tfmot.tflite.Optimize.DEFAULT];
      c.targetSpec.supportedTypes = ['float16'];
    }},
    {name: 'dynamic range', model, configure: (c) => {
      c.optimizations = [tfmot.tflite.Optimize.DEFAULT];
    }},
    {name: 'int8 post-training', model, configure: (c) => {
      c.optimizations = [tfmot.tflite.Optimize.DEFAULT];
      c.representativeDataset = representativeDataset;
      // Progress of the stages and of calibration (one step per sample): a
      // bar in a terminal, a line per stage in logs.
      c.onProgress = tfmot.callbacks.progressLogger({label: 'int8 post-training:'});
    }},
    {name: 'int8 from QAT', model: qat, configure: (c) => {
      // A QAT model carries its ranges: no representative dataset needed.
      c.optimizations = [tfmot.tflite.Optimize.DEFAULT];
    }},
    {name: '16x8', model, configure: (c) => {
      c.optimizations = [tfmot.tflite.Optimize.DEFAULT];
      c.representativeDataset = representativeDataset;
      c.targetSpec.supportedOps = [tfmot.tflite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8];
    }},
  ];

  const sourceAccuracy = new Map([model, qat].map((m) => [m, tfjsAccuracy(m, test.xs, test.ys)]));
  t0 = performance.now();
  // 3. The files, named after the modes ('dynamic_range.tflite', ...), and
  // 4. LiteRT on the held-out digits, one digit per inference.
  const files = await convertAndRun(modes, OUT_DIR, digits);
  console.log(`Converted, wrote and ran ${modes.length} files in LiteRT in ${seconds(t0)}; files in ${OUT_DIR}\n`);

  const float32Bytes = files[0].bytes.length;
  const rows = modes.map((mode, i) => {
    const {bytes, gzippedBytes, liteRtAccuracy} = files[i];
    return [mode.name, files[i].mode, String(bytes.length), `${(bytes.length / float32Bytes).toFixed(3)}x`,
      String(gzippedBytes), percent(liteRtAccuracy), percent(sourceAccuracy.get(mode.model)!)];
  });
  printTable(['mode', 'converter.mode()', 'bytes', 'vs float32', 'gzipped', 'LiteRT accuracy', 'tfjs accuracy'], rows,
      {leftColumns: 2});
  console.log(`\n"tfjs accuracy" is the source model's (the float model, or the QAT model for "int8 from QAT")` +
      ` on the same ${NUM_TEST} digits.`);

  tf.dispose(calibration);
  digits.dispose();
  model.dispose();
  qat.dispose();
}

await main();
