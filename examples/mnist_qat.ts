/**
 * Quantization-aware training (QAT) of the TFMOT tutorial model on MNIST,
 * following TFMOT's "Quantization aware training in Keras example" in TF.js:
 *
 *   1. train a small float CNN;
 *   2. wrap it with `quantizeModel`, which inserts fake-quantization so the
 *      model sees int8 rounding of weights and activations while training;
 *   3. fine-tune the QAT model briefly and compare test accuracy;
 *   4. save the QAT model to disk.
 *
 * Run it with `npm run demo` (builds the package, then runs this file).
 */
import {rmSync} from 'node:fs';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfmot from 'tfjs-model-optimization';

import {compileForLogits, loadDigits, outDir} from './common.js';

const SEED = 42;
const BATCH_SIZE = 32;
const FLOAT_EPOCHS = 3;
const QAT_EPOCHS = 1;
const OUT_DIR = outDir('mnist_qat');

/** Fits the model and returns the wall time in seconds. */
async function train(
    model: tfl.LayersModel, xs: tf.Tensor, ys: tf.Tensor, epochs: number, label: string): Promise<number> {
  const start = performance.now();
  await model.fit(xs, ys, {
    epochs,
    batchSize: BATCH_SIZE,
    validationSplit: 0.1,
    // ProgressBar redraws one line in a terminal and prints one line per
    // epoch (loss, acc, val_loss, val_acc) when the output is a log.
    verbose: 0,
    callbacks: [new tfmot.callbacks.ProgressBar({label})],
  });
  return (performance.now() - start) / 1000;
}

/** Test accuracy in [0, 1]. */
async function accuracy(model: tfl.LayersModel, xs: tf.Tensor, ys: tf.Tensor): Promise<number> {
  // evaluate returns [loss, accuracy] scalars that we own.
  const results = model.evaluate(xs, ys, {batchSize: 256}) as tf.Scalar[];
  const acc = (await results[1].data())[0];
  tf.dispose(results);
  return acc;
}

async function main(): Promise<void> {
  // The fastest backend there is (tfjs-node, else wasm, else cpu) and a
  // seeded split of the 10,000 digits bundled with the `mnist` package.
  const digits = await loadDigits(SEED);
  const {train: trainSet, test: testSet, trainYs} = digits;
  console.log(`Backend: ${digits.backend}`);
  const testYs = tfmot.data.oneHotLabels(testSet.ys);
  console.log(`MNIST: ${trainSet.xs.shape[0]} train, ${testSet.xs.shape[0]} test digits`);

  // 1. The float baseline: Conv2D(12) -> MaxPool -> Flatten -> Dense(10).
  console.log(`\nTraining the float model (${FLOAT_EPOCHS} epochs)...`);
  const model = tfmot.data.mnistTutorialModel({seed: SEED});
  compileForLogits(model);
  const floatSeconds = await train(model, trainSet.xs, trainYs, FLOAT_EPOCHS, '  float');
  const floatAcc = await accuracy(model, testSet.xs, testYs);

  // 2. quantizeModel returns a new model: Conv2D and Dense become
  // QuantizeWrappers that fake-quantize their weights and outputs, and a
  // QuantizeLayer quantizes the input. The trained float weights are copied,
  // so QAT starts from the baseline instead of from scratch. The float model
  // is left unchanged.
  const qatModel = tfmot.quantization.quantizeModel(model);
  console.log('\nQAT model layers:');
  for (const layer of qatModel.layers) {
    console.log(`  ${layer.name} (${layer.getClassName()})`);
  }

  // 3. A short fine-tune lets the weights adapt to int8 rounding. A QAT
  // model must be compiled like any new model.
  console.log(`\nFine-tuning the QAT model (${QAT_EPOCHS} epoch)...`);
  compileForLogits(qatModel);
  const qatSeconds = await train(qatModel, trainSet.xs, trainYs, QAT_EPOCHS, '  QAT');
  const qatAcc = await accuracy(qatModel, testSet.xs, testYs);

  const row = (cells: string[]) => console.log(
      `  ${cells[0].padEnd(6)}${cells.slice(1).map((c) => c.padStart(15)).join('')}`);
  console.log('');
  row(['model', 'test accuracy', 'epochs', 'train time', 'time/epoch']);
  row(['float', `${(floatAcc * 100).toFixed(2)} %`, String(FLOAT_EPOCHS),
    `${floatSeconds.toFixed(1)} s`, `${(floatSeconds / FLOAT_EPOCHS).toFixed(1)} s`]);
  row(['QAT', `${(qatAcc * 100).toFixed(2)} %`, String(QAT_EPOCHS),
    `${qatSeconds.toFixed(1)} s`, `${(qatSeconds / QAT_EPOCHS).toFixed(1)} s`]);
  const delta = (qatAcc - floatAcc) * 100;
  // With 2000 test digits one point is 20 digits; on this small data set the
  // delta moves by about a point from seed to seed.
  console.log(`  QAT - float: ${delta >= 0 ? '+' : ''}${delta.toFixed(2)} points`);

  // 4. Save model.json + model.weights.bin without tfjs-node. The fake-quant
  // ranges learned during training are saved as (non-trainable) weights.
  rmSync(OUT_DIR, {recursive: true, force: true});
  await qatModel.save(tfmot.io.fileSystem(OUT_DIR));
  console.log(`\nSaved the QAT model to ${OUT_DIR}`);

  // Loading it back needs only this package imported: its layer classes are
  // registered with tfjs-layers' serialization on import.
  const restored = await tfl.loadLayersModel(tfmot.io.fileSystem(OUT_DIR));
  compileForLogits(restored);
  const restoredAcc = await accuracy(restored, testSet.xs, testYs);
  console.log(`Reloaded it: test accuracy ${(restoredAcc * 100).toFixed(2)} %`);

  digits.dispose();
  testYs.dispose();
  model.dispose();
  qatModel.dispose();
  restored.dispose();
}

await main();
