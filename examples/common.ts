/**
 * What the MNIST examples share: loading the digits, training the tutorial
 * baseline, converting models to TFLite files and running each file in
 * LiteRT, and printing a table.
 *
 * Files run in LiteRT through `tfmot.tflite.Interpreter`, which needs
 * LiteRT.js (@litertjs/core, an optional peer dependency of the library and a
 * devDependency here); the converter itself does not use it.
 */
import {mkdirSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {gzipSync} from 'node:zlib';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfmot from 'tfjs-model-optimization';

export const NUM_TRAIN = 8000;
export const NUM_TEST = 2000;

/** examples/out/<name>, where an example writes its files (examples/out/ is gitignored). */
export const outDir = (name: string) => fileURLToPath(new URL(`./out/${name}`, import.meta.url));

/** A seeded split of the digits bundled with the `mnist` package, and the backend it lives on. */
export interface Digits {
  backend: string;
  /** 'Backend wasm; MNIST: 8000 train, 2000 held-out digits'. */
  summary: string;
  train: tfmot.data.MnistSplit;
  test: tfmot.data.MnistSplit;
  /** One-hot labels of the training split. */
  trainYs: tf.Tensor;
  dispose(): void;
}

/**
 * Initializes the backend (tfjs-node if installed, else wasm with this
 * library's gradient kernels, else the pure-JS cpu backend, ~40x slower for
 * the tutorial CNN), then loads NUM_TRAIN training and NUM_TEST test digits.
 */
export async function loadDigits(seed: number): Promise<Digits> {
  const backend = await tfmot.backend.init();
  const {train, test} = tfmot.data.loadMnist({numTrain: NUM_TRAIN, numTest: NUM_TEST, seed});
  const trainYs = tfmot.data.oneHotLabels(train.ys);
  const summary = `Backend ${backend}; MNIST: ${NUM_TRAIN} train, ${NUM_TEST} held-out digits`;
  return {backend, summary, train, test, trainYs, dispose: () => tf.dispose([train.xs, train.ys, test.xs, test.ys, trainYs])};
}

/**
 * Compiles like the TFMOT tutorials: Adam, cross-entropy on logits, accuracy.
 * Without `learningRate` the optimizer is the string 'adam' (learning rate
 * 1e-3), which the model owns and disposes.
 */
export function compileForLogits(model: tfl.LayersModel, learningRate?: number): void {
  model.compile({
    optimizer: learningRate == null ? 'adam' : tf.train.adam(learningRate),
    // The tutorial model outputs logits, and tfjs-layers has no
    // SparseCategoricalCrossentropy(fromLogits), so we train on one-hot
    // labels with this loss (see tfmot.data.categoricalCrossentropyFromLogits).
    loss: tfmot.data.categoricalCrossentropyFromLogits,
    metrics: ['accuracy'],
  });
}

/** fit() on the training digits, with a progress line per epoch (a live bar in a terminal) headed `label`. */
export async function fitDigits(model: tfl.LayersModel, digits: Digits, epochs: number,
    {batchSize = 32, callbacks = [], label}: {batchSize?: number, callbacks?: tfl.Callback[], label?: string} = {},
): Promise<void> {
  await model.fit(digits.train.xs, digits.trainYs,
      {epochs, batchSize, verbose: 0, callbacks: [...callbacks, new tfmot.callbacks.ProgressBar({label})]});
}

/** The tutorial CNN (Conv2D 12 -> MaxPool -> Flatten -> Dense 10), compiled and trained at batch 32. */
export async function trainBaseline(digits: Digits, seed: number, epochs: number,
    learningRate?: number): Promise<tfl.LayersModel> {
  const model = tfmot.data.mnistTutorialModel({seed});
  compileForLogits(model, learningRate);
  await fitDigits(model, digits, epochs, {label: 'baseline'});
  return model;
}

/** tfjs accuracy of a logits model on int labels. */
export function tfjsAccuracy(model: tfl.LayersModel, xs: tf.Tensor, ys: tf.Tensor): number {
  return tf.tidy(() => {
    const logits = model.predict(xs, {batchSize: 500}) as tf.Tensor;
    return tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), ys), 'float32')).dataSync()[0];
  });
}

export const seconds = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
export const percent = (x: number) => `${(100 * x).toFixed(2)} %`;

/** The first `n` training digits, one tensor each: a representative dataset for int8 calibration. */
export function calibrationSamples(digits: Digits, n: number): tf.Tensor[] {
  return tf.tidy(() => tf.split(tf.slice(digits.train.xs, 0, n), n));
}

type Converter = tfmot.tflite.TFLiteConverter;

/** A TFLite file to make: its source model and how to set up the converter. */
export interface FileSpec {
  name: string;
  model: tfl.LayersModel;
  /** Sets the converter up; float32 (the defaults) when absent. */
  configure?: (converter: Converter) => void;
  /** Default: the name with every run of other characters than letters and digits as '_', and '.tflite'. */
  fileName?: string;
}

/** int8 post-training: Optimize.DEFAULT calibrated on `samples`. */
export const int8Calibrated = (samples: tf.Tensor[]) => (c: Converter) => {
  c.optimizations = [tfmot.tflite.Optimize.DEFAULT];
  c.representativeDataset = () => samples;
};

/** A converted file, and how it ran in LiteRT. */
export interface CheckedFile {
  bytes: Uint8Array;
  /** converter.mode(): 'float32', 'int8', ... */
  mode: string;
  gzippedBytes: number;
  /** The first file's gzipped size over this one's, as '4.13x'. */
  gzipGain: string;
  liteRtAccuracy: number;
}

/**
 * Converts each spec, writes the files to `outDir` (emptied first), and runs
 * each file in LiteRT on the test digits, one digit per inference.
 */
export async function convertAndRun(specs: FileSpec[], outDir: string, digits: Digits): Promise<CheckedFile[]> {
  rmSync(outDir, {recursive: true, force: true});
  mkdirSync(outDir, {recursive: true});
  const files: CheckedFile[] = [];
  for (const spec of specs) {
    const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(spec.model);
    spec.configure?.(converter);
    const bytes = await converter.convert();
    writeFileSync(join(outDir, spec.fileName ?? `${spec.name.replace(/[^a-z0-9]+/gi, '_')}.tflite`), bytes);
    const gzippedBytes = gzipSync(bytes).length;
    const firstGzip = files[0]?.gzippedBytes ?? gzippedBytes;
    const liteRtAccuracy = await tfmot.tflite.evaluateAccuracy(bytes, digits.test.xs, digits.test.ys);
    files.push({bytes, mode: converter.mode(), gzippedBytes, gzipGain: `${(firstGzip / gzippedBytes).toFixed(2)}x`,
      liteRtAccuracy});
  }
  return files;
}

/**
 * Prints `rows` under `header` in columns as wide as their widest cell, two
 * spaces apart: the first `leftColumns` aligned left, the rest right.
 */
export function printTable(header: string[], rows: string[][], {leftColumns = 1, indent = ''} = {}): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => console.log(
      `${indent}${cells.map((c, i) => i < leftColumns ? c.padEnd(widths[i]) : c.padStart(widths[i])).join('  ')}`);
  line(header);
  rows.forEach(line);
}
