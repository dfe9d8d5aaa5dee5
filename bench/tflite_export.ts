/**
 * TFLite export: file sizes per mode (MNIST tutorial model), LiteRT latency
 * of int8 vs float32 (a small CNN), and converter wall time on a ~1.2M
 * parameter model.
 */
import {gzipSync} from 'node:zlib';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfmot from 'tfjs-model-optimization';

import {latencyCnn} from './latency_cnn.js';
import {medianLatencies} from './litert.js';
import type {BenchRow, BenchSection} from './report.js';
import {compileTutorial, median} from './timing.js';

type Converter = tfmot.tflite.TFLiteConverter;

async function convert(model: tfl.LayersModel, configure: (c: Converter) => void = () => {}): Promise<Uint8Array> {
  const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(model);
  configure(converter);
  return converter.convert();
}

const float16 = (c: Converter) => {
  c.optimizations = ['DEFAULT'];
  c.targetSpec.supportedTypes = ['float16'];
};
const dynamicRange = (c: Converter) => {
  c.optimizations = ['DEFAULT'];
};
const int8From = (samples: tf.Tensor[]) => (c: Converter) => {
  c.optimizations = ['DEFAULT'];
  c.representativeDataset = () => samples;
};

/** The raw size goals relative to the float32 file, by mode name prefix. */
const SIZE_GOALS: Array<[string, number]> = [['float16', 0.52], ['int8', 0.27]];

const integerIo = (c: Converter) => {
  c.inferenceInputType = 'int8';
  c.inferenceOutputType = 'int8';
};

/** Sizes of the trained MNIST tutorial model's files, raw and gzipped, relative to float32. */
async function sizeRows(): Promise<BenchRow[]> {
  const {train} = tfmot.data.loadMnist({numTrain: 2000, numTest: 0, seed: 5});
  const labels = tfmot.data.oneHotLabels(train.ys);
  const model = tfmot.data.mnistTutorialModel({seed: 5});
  compileTutorial(model);
  await model.fit(train.xs, labels, {epochs: 1, batchSize: 32, verbose: 0});
  const qat = tfmot.quantization.quantizeModel(model);
  compileTutorial(qat);
  await qat.fit(train.xs, labels, {epochs: 1, batchSize: 32, verbose: 0});
  const calibration = tf.tidy(() => tf.split(tf.slice(train.xs, 0, 200), 200));
  try {
    const files: Array<[string, Uint8Array]> = [
      ['float32', await convert(model)],
      ['float16', await convert(model, float16)],
      ['dynamic range', await convert(model, dynamicRange)],
      ['int8 (post-training)', await convert(model, int8From(calibration))],
      ['int8 (QAT)', await convert(qat, (c) => c.optimizations = ['DEFAULT'])],
      ['int8 (post-training, int8 I/O)', await convert(model, (c) => {
        int8From(calibration)(c);
        integerIo(c);
      })],
      ['int8 (QAT, int8 I/O)', await convert(qat, (c) => {
        c.optimizations = ['DEFAULT'];
        integerIo(c);
      })],
    ];
    const [, f32] = files[0];
    const f32Gz = gzipSync(f32).length;
    const rows: BenchRow[] = [
      {name: 'MNIST float32 file', value: f32.length, unit: 'bytes', note: `gzipped ${f32Gz} bytes`},
    ];
    for (const [name, bytes] of files.slice(1)) {
      const gz = gzipSync(bytes).length;
      const ratio = bytes.length / f32.length;
      const goal = SIZE_GOALS.find(([prefix]) => name.startsWith(prefix))?.[1];
      rows.push({name: `MNIST ${name} / float32, raw`, value: ratio.toFixed(3), unit: 'x',
        note: `${bytes.length} vs ${f32.length} bytes` +
            (goal == null ? '' : `; goal <= ${goal}x: ${ratio <= goal ? 'met' : 'NOT met'}`)});
      rows.push({name: `MNIST ${name} / float32, gzipped`, value: (gz / f32Gz).toFixed(3), unit: 'x',
        note: `${gz} vs ${f32Gz} bytes after gzip -6`});
    }
    return rows;
  } finally {
    tf.dispose([train.xs, train.ys, labels, ...calibration]);
    model.dispose();
    qat.dispose();
  }
}

const LATENCY = {warmup: 50, rounds: 21, runsPerRound: 40};

/** LiteRT latency, int8 vs float32, alternating rounds; median over all single runs. */
async function latencyRows(): Promise<BenchRow[]> {
  const model = latencyCnn();
  const calibration = Array.from({length: 20}, (_, i) => tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', i));
  try {
    const medians = await medianLatencies([
      ['float32', await convert(model)],
      ['int8', await convert(model, int8From(calibration))],
    ], LATENCY);
    const f32 = medians.get('float32')!;
    const i8 = medians.get('int8')!;
    const runs = LATENCY.rounds * LATENCY.runsPerRound;
    const note = `median of ${runs} runs, 1 thread, batch 1`;
    return [
      {name: 'CNN float32 inference', value: f32, unit: 'us', note},
      {name: 'CNN int8 inference', value: i8, unit: 'us', note},
      {name: 'CNN int8 / float32 latency', value: i8 / f32, unit: 'x', note: 'below 1 means int8 is faster'},
    ];
  } finally {
    tf.dispose(calibration);
    model.dispose();
  }
}

/** The Keras MNIST CNN example: 1,199,882 parameters, most in its Dense(128). */
function exportModel(): tfl.LayersModel {
  return tfl.sequential({layers: [
    tfl.layers.conv2d({inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu'}),
    tfl.layers.conv2d({filters: 64, kernelSize: 3, activation: 'relu'}),
    tfl.layers.maxPooling2d({poolSize: 2}),
    tfl.layers.flatten(),
    tfl.layers.dense({units: 128, activation: 'relu'}),
    tfl.layers.dense({units: 10}),
  ]});
}

const EXPORT_REPEATS = 5;
const CALIBRATION_SAMPLES = 50;

/** Wall time of convert() (lowering, calibration, quantization, writing), median of repeats. */
async function exportTimeRows(): Promise<BenchRow[]> {
  const model = exportModel();
  const {train} = tfmot.data.loadMnist({numTrain: CALIBRATION_SAMPLES, numTest: 0, seed: 9});
  const calibration = tf.split(train.xs, CALIBRATION_SAMPLES);
  try {
    const params = model.countParams();
    const time = async (configure?: (c: Converter) => void) => {
      const ms: number[] = [];
      for (let i = 0; i < EXPORT_REPEATS; i++) {
        const start = performance.now();
        await convert(model, configure);
        ms.push(performance.now() - start);
      }
      return median(ms);
    };
    await convert(model);  // warm-up
    const f32 = await time();
    const i8 = await time(int8From(calibration));
    const what = `${(params / 1e6).toFixed(2)}M-parameter CNN, median of ${EXPORT_REPEATS}`;
    return [
      {name: 'Export float32', value: f32, unit: 'ms', note: what},
      {name: 'Export int8 (post-training)', value: i8, unit: 'ms',
        note: `${what}, calibrated on ${CALIBRATION_SAMPLES} digits`},
    ];
  } finally {
    tf.dispose([train.xs, train.ys, ...calibration]);
    model.dispose();
  }
}

export async function tfliteExport(): Promise<BenchSection> {
  await tfmot.backend.init({backend: 'wasm'});
  const rows = [...await sizeRows(), ...await latencyRows(), ...await exportTimeRows()];
  return {
    title: 'TFLite export',
    description:
        'Sizes: the MNIST tutorial CNN (Conv2D 12 -> MaxPool -> Dense 10, 20,410 parameters) trained 1 epoch on ' +
        '2000 digits, converted with `TFLiteConverter` in each mode; int8 post-training is calibrated on 200 ' +
        'digits, int8 QAT comes from `quantizeModel` after 1 more epoch. int8 files take and return float32 ' +
        '(QUANTIZE and DEQUANTIZE at the ends, as TFLite\'s converter writes by default) unless marked int8 ' +
        'I/O (`inferenceInputType`/`inferenceOutputType` \'int8\'). Gzip is node:zlib at its default ' +
        'level. Latency: a CNN on 32x32x3 input (Conv 32, Conv 32, MaxPool, Conv 64, Conv 64, ' +
        'GlobalAveragePooling, Dense 10; He-normal random weights; int8 calibrated on 20 random inputs) run in ' +
        'LiteRT.js (@litertjs/core, XNNPACK on wasm) from Node with 1 thread; float32 and int8 rounds ' +
        'alternate, and each figure is the median single-inference time, including LiteRT.js\'s per-call ' +
        'buffer copies. Export: wall time of `convert()` for the Keras MNIST CNN example ' +
        '(Conv 32, Conv 64, MaxPool, Dense 128, Dense 10; random weights), backend wasm.',
    rows,
  };
}
