/**
 * Per-model rows for the MLPerf Tiny zoo (examples/zoo): int8 / float32 file
 * size, QAT / plain training step time, conversion time, and the int8 file's
 * byte accounting against the 3% goal.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfmot from 'tfjs-model-optimization';

import {byteAccounting, formatAccounting, nonDefaultFields} from '../examples/zoo/accounting.js';
import {ZOO, ZooEntry, zooData} from '../examples/zoo/models.js';
// The options layout is data generated from the schema (not exported by the package).
import {OPTIONS_LAYOUT} from '../src/tflite/options_layout.js';
import type {BenchRow, BenchSection} from './report.js';
import {median} from './timing.js';

const BATCH = 16;
/** Timed rounds; each round times one step of each model, in alternating order. */
const ROUNDS = 7;
const WARMUP_STEPS = 2;
const CALIBRATION = 32;

const compileFor = (entry: ZooEntry, model: tfl.LayersModel) => model.compile({optimizer: tf.train.adam(1e-4),
  loss: entry.task === 'classifier' ? 'categoricalCrossentropy' : 'meanSquaredError'});

async function stepMs(model: tfl.LayersModel, xs: tf.Tensor, ys: tf.Tensor): Promise<number> {
  const start = performance.now();
  await model.trainOnBatch(xs, ys);
  return performance.now() - start;
}

/**
 * Median ms per training step of `plain` and `qat` at batch BATCH. Both are
 * warmed up first (the first calls build the training function, compile wasm
 * kernels and allocate the optimizer's slots, far slower than a step), then
 * timed in alternating rounds (plain first in even rounds, QAT first in odd
 * ones) so drift of a shared machine's load hits both alike.
 */
async function stepTimes(plain: tfl.LayersModel, qat: tfl.LayersModel, xs: tf.Tensor, ys: tf.Tensor):
    Promise<{plain: number, qat: number}> {
  for (let i = 0; i < WARMUP_STEPS; i++) {
    await plain.trainOnBatch(xs, ys);
    await qat.trainOnBatch(xs, ys);
  }
  const times = {plain: [] as number[], qat: [] as number[]};
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['plain', 'qat'] as const : ['qat', 'plain'] as const;
    for (const which of order) {
      times[which].push(await stepMs(which === 'plain' ? plain : qat, xs, ys));
    }
  }
  return {plain: median(times.plain), qat: median(times.qat)};
}

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await run();
  return [result, performance.now() - start];
}

async function modelRows(entry: ZooEntry): Promise<BenchRow[]> {
  const data = zooData(entry, CALIBRATION, 3);
  const batch = tf.tidy(() => tf.slice(data.xs, 0, BATCH));
  const targets = tf.tidy(() => entry.task === 'classifier' ? tf.oneHot(tf.slice(data.ys, 0, BATCH), entry.outputs) :
    tf.slice(data.ys, 0, BATCH));
  const samples = tf.tidy(() => tf.split(data.xs, CALIBRATION));
  const model = entry.build(1);
  // QAT rejects recurrent layers by design: those entries get no step-time row.
  const qat = entry.noQat == null ? tfmot.quantization.quantizeModel(model) : null;
  try {
    compileFor(entry, model);
    let steps: {plain: number, qat: number}|null = null;
    if (qat != null) {
      compileFor(entry, qat);
      steps = await stepTimes(model, qat, batch, targets);
    }
    const [f32, f32Ms] = await timed(() => tfmot.tflite.TFLiteConverter.fromLayersModel(model).convert());
    const [i8, i8Ms] = await timed(() => {
      const c = tfmot.tflite.TFLiteConverter.fromLayersModel(model);
      c.optimizations = [tfmot.tflite.Optimize.DEFAULT];
      c.representativeDataset = () => samples;
      return c.convert();
    });
    const accounting = byteAccounting(tfmot.tflite.readModel(i8), i8.length, nonDefaultFields(OPTIONS_LAYOUT));
    const name = entry.name;
    return [
      {name: `${name}: int8 / float32 file`, value: (i8.length / f32.length).toFixed(3), unit: 'x',
        note: `${i8.length} vs ${f32.length} bytes; ${model.countParams()} parameters`},
      ...(steps == null ? [] : [{name: `${name}: QAT / plain step`, value: steps.qat / steps.plain, unit: 'x',
        note: `${steps.qat.toFixed(0)} vs ${steps.plain.toFixed(0)} ms per step, batch ${BATCH}, median of ${ROUNDS} ` +
          `alternating rounds after ${WARMUP_STEPS} warm-up steps each`}]),
      {name: `${name}: convert float32`, value: f32Ms, unit: 'ms', note: 'one conversion'},
      {name: `${name}: convert int8 (post-training)`, value: i8Ms, unit: 'ms',
        note: `one conversion, calibrated on ${CALIBRATION} samples`},
      {name: `${name}: int8 file beyond its content`, value: 100 * accounting.overhead, unit: '%',
        note: `${formatAccounting(accounting)}; goal <= 3%: ${accounting.overhead <= 0.03 ? 'met' : 'NOT met'}`},
    ];
  } finally {
    model.optimizer?.dispose();
    qat?.optimizer?.dispose();
    model.dispose();
    qat?.dispose();
    tf.dispose([batch, targets, ...samples]);
    data.dispose();
  }
}

/** Runs on the wasm backend; `names` picks zoo entries (all by default). */
export async function zooBench(names: string[] = Object.keys(ZOO)): Promise<BenchSection> {
  await tfmot.backend.init({backend: 'wasm'});
  const rows: BenchRow[] = [];
  for (const name of names) {
    rows.push(...await modelRows(ZOO[name]));
  }
  return {
    title: 'Model zoo (MLPerf Tiny architectures)',
    description:
        'The MLPerf Tiny reference architectures rebuilt from their Keras definitions (examples/zoo/models.ts: ' +
        'ResNet-8 32x32x3, MobileNetV1 0.25 96x96x3, DS-CNN 49x10x1, Dense autoencoder 640) and four small models ' +
        '(1-D sensor CNN, Embedding+Conv1D text classifier, U-Net, LSTM), seeded weights, seeded synthetic inputs. ' +
        'Step times: `trainOnBatch` at batch 16 with Adam, the float model and its `quantizeModel` copy, both ' +
        'warmed up, then timed in alternating rounds (median). QAT steps of models with BatchNormalization come ' +
        'out faster than plain ones: QAT folds each BatchNorm into its kernel with the moving statistics, while ' +
        'the plain model computes batch moments and their gradients (on wasm about half of a DS-CNN or ResNet-8 ' +
        'step; without its BatchNorms the plain DS-CNN step is 216 ms against 248 ms for QAT). Conversion: wall time of one `convert()`. Byte ' +
        'accounting (examples/zoo/accounting.ts): the least the int8 file\'s content needs (weights and int32 ' +
        'biases as stored, a float32 scale and int64 zero point per channel, tensor names, and the graph as the ' +
        'smallest FlatBuffer encoding of its tables) against the file.',
    rows,
  };
}
