/**
 * Per-model rows for the MLPerf Tiny zoo (examples/zoo): int8 / float32 file
 * size, QAT / plain training step time, conversion time, and the int8 file's
 * byte accounting against the 3% goal.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfmot from 'tfjs-model-optimization';

import {byteAccounting, formatAccounting} from '../examples/zoo/accounting.js';
import {ZOO, ZooEntry, zooData} from '../examples/zoo/models.js';
import type {BenchRow, BenchSection} from './report.js';
import {median} from './timing.js';

const BATCH = 16;
const STEPS = 5;
const CALIBRATION = 32;

/** Median ms per training step (after one warm-up step) of `model` at batch BATCH. */
async function stepMs(entry: ZooEntry, model: tfl.LayersModel, xs: tf.Tensor, ys: tf.Tensor): Promise<number> {
  model.compile({optimizer: tf.train.adam(1e-4),
    loss: entry.task === 'classifier' ? 'categoricalCrossentropy' : 'meanSquaredError'});
  const times: number[] = [];
  for (let i = 0; i <= STEPS; i++) {
    const start = performance.now();
    await model.trainOnBatch(xs, ys);
    if (i > 0) {
      times.push(performance.now() - start);
    }
  }
  return median(times);
}

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await run();
  return [result, performance.now() - start];
}

async function modelRows(entry: ZooEntry): Promise<BenchRow[]> {
  const data = zooData(entry, CALIBRATION, 3);
  const batch = tf.tidy(() => tf.slice(data.xs, 0, BATCH));
  const targets = tf.tidy(() => data.ys == null ? batch.clone() : tf.oneHot(tf.slice(data.ys, 0, BATCH), entry.outputs));
  const samples = tf.tidy(() => tf.split(data.xs, CALIBRATION));
  const model = entry.build(1);
  const qat = tfmot.quantization.quantizeModel(model);
  try {
    const plain = await stepMs(entry, model, batch, targets);
    const quantized = await stepMs(entry, qat, batch, targets);
    const [f32, f32Ms] = await timed(() => tfmot.tflite.TFLiteConverter.fromLayersModel(model).convert());
    const [i8, i8Ms] = await timed(() => {
      const c = tfmot.tflite.TFLiteConverter.fromLayersModel(model);
      c.optimizations = [tfmot.tflite.Optimize.DEFAULT];
      c.representativeDataset = () => samples;
      return c.convert();
    });
    const accounting = byteAccounting(tfmot.tflite.inspect(i8));
    const name = entry.name;
    return [
      {name: `${name}: int8 / float32 file`, value: (i8.length / f32.length).toFixed(3), unit: 'x',
        note: `${i8.length} vs ${f32.length} bytes; ${model.countParams()} parameters`},
      {name: `${name}: QAT / plain step`, value: quantized / plain, unit: 'x',
        note: `${quantized.toFixed(0)} vs ${plain.toFixed(0)} ms per step, batch ${BATCH}, median of ${STEPS}`},
      {name: `${name}: convert float32`, value: f32Ms, unit: 'ms', note: 'one conversion'},
      {name: `${name}: convert int8 (post-training)`, value: i8Ms, unit: 'ms',
        note: `one conversion, calibrated on ${CALIBRATION} samples`},
      {name: `${name}: int8 file beyond its content`, value: 100 * accounting.overhead, unit: '%',
        note: `${formatAccounting(accounting)}; goal <= 3%: ${accounting.overhead <= 0.03 ? 'met' : 'NOT met'}`},
    ];
  } finally {
    model.optimizer?.dispose();
    qat.optimizer?.dispose();
    model.dispose();
    qat.dispose();
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
        'ResNet-8 32x32x3, MobileNetV1 0.25 96x96x3, DS-CNN 49x10x1, Dense autoencoder 640), seeded weights, ' +
        'seeded synthetic inputs. Step times: `trainOnBatch` at batch 16 with Adam, the float model and its ' +
        '`quantizeModel` copy. Conversion: wall time of one `convert()`. Byte accounting ' +
        '(examples/zoo/accounting.ts): the least the int8 file\'s content needs (weights and int32 biases as ' +
        'stored, a float32 scale and int64 zero point per channel, tensor names, the graph as int32s, each ' +
        'distinct vector once) against the file; the rest is FlatBuffer structure.',
    rows,
  };
}
