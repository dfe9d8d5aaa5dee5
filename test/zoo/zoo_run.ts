/**
 * One zoo model through the library, as the zoo tests run it: brief float
 * training on the entry's seeded data, QAT, prune+strip, cluster+strip, and
 * the files of each in LiteRT, measured against the tfjs model they came from.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {ByteAccounting, byteAccounting, nonDefaultFields} from '../../examples/zoo/accounting.js';
import {ZooEntry, zooData} from '../../examples/zoo/models.js';
import * as tfmot from '../../src/index.js';
import {OPTIONS_LAYOUT} from '../../src/tflite/options_layout.js';
import {fromFloat16Bits, toFloat16Bits} from '../../src/tflite/quant_params.js';
import {argmaxRows, runLiteRt} from '../helpers/tflite_eval.js';
import {converterFor, Mode} from '../tflite/export_modes.js';

/** Which model a file was converted from. */
export type Source = 'float'|'qat'|'pruned'|'clustered';

/** One file in LiteRT against its tfjs source, on the probe samples. */
export interface FileResult {
  source: Source;
  mode: Mode;
  bytes: number;
  /** Largest |LiteRT - tfjs| over the range (max - min) of the tfjs outputs. */
  worstOfRange: number;
  /** Classifiers: share of probe samples with the same argmax. */
  argmaxAgreement?: number;
  /** Integer outputs: the output's quantization step, and the share of elements within 1 and 2 steps. */
  step?: number;
  within1?: number;
  within2?: number;
  maxSteps?: number;
}

export interface ZooRun {
  name: string;
  files: FileResult[];
  /** Byte accounting of the float model's post-training int8 file and of the QAT int8 file (if QAT applies). */
  accounting: {int8: ByteAccounting, qat?: ByteAccounting};
  /** The error quantizeModel gave for an entry with `noQat`. */
  qatError?: string;
  /** The error clusterWeights gave for the whole model, if any (its clusterable layers were then clustered alone). */
  clusterError?: string;
  /** Share of zeros in the pruned model's prunable kernels after strip, and distinct values per clustered kernel. */
  prunedSparsity: number;
  clusteredMaxDistinct: number;
  /**
   * The trained float model's own sensitivity: worst change of its tfjs
   * outputs over their range when every weight is rounded to float16 in
   * tfjs (no converter involved), the least error any float16 file can have.
   */
  float16RoundingFloor: number;
  /** Classifiers: the trained float model's tfjs accuracy on the probe labels, and how many classes it predicts. */
  floatAccuracy?: number;
  predictedClasses?: number;
  seconds: number;
}

export interface ZooRunOptions {
  /** Training samples (float training, QAT, pruning and clustering each fit `epochs` on them). */
  numTrain: number;
  epochs: number;
  /** Probe samples, also the calibration set's second half. */
  numProbe: number;
  /** Epochs of the fine-tuning runs (QAT, pruning, clustering); `epochs` unless set. */
  fineTuneEpochs?: number;
  batchSize: number;
  /** Modes of the float model's files; the QAT file is always made, pruned and clustered give int8. */
  modes: Mode[];
  /** Also prune and cluster. */
  pruneAndCluster: boolean;
  seed?: number;
}

/**
 * The output step of an int8 file (the input of its final DEQUANTIZE), or 0
 * otherwise: the issue's step goal is for int8; a 16x8 file's int16 step is
 * far below its weights' error, so it is compared like a float file.
 */
function int8OutputStep(bytes: Uint8Array): number {
  const info = tfmot.tflite.inspect(bytes);
  const last = info.operators.find((o) => o.opName === 'DEQUANTIZE' && o.outputs[0] === info.outputs[0]);
  const out = last == null ? null : info.tensors[last.inputs[0]];
  return out?.type !== 'INT8' ? 0 : out.quantization?.scale[0] ?? 0;
}

function compare(entry: ZooEntry, lite: Float32Array, ref: Float32Array, step: number):
    Omit<FileResult, 'source'|'mode'|'bytes'> {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of ref) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const worst = lite.reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i])), 0);
  const result: Omit<FileResult, 'source'|'mode'|'bytes'> = {worstOfRange: worst / Math.max(hi - lo, 1e-12)};
  if (entry.task === 'classifier') {
    const a = argmaxRows(lite, entry.outputs);
    const b = argmaxRows(ref, entry.outputs);
    result.argmaxAgreement = a.filter((c, i) => c === b[i]).length / a.length;
  }
  if (step > 0) {
    // A hair over k steps still counts as k: dequantized values carry float rounding.
    const steps = Array.from(lite, (v, i) => Math.abs(v - ref[i]) / step);
    const share = (k: number) => steps.filter((d) => d <= k + 1e-3).length / steps.length;
    Object.assign(result, {step, within1: share(1), within2: share(2), maxSteps: steps.reduce((m, d) => Math.max(m, d), 0)});
  }
  return result;
}

/** See ZooRun.float16RoundingFloor. */
function float16RoundingFloor(entry: ZooEntry, model: tfl.LayersModel, xs: tf.Tensor): number {
  const predict = () => tf.tidy(() => (model.predict(xs, {batchSize: 32}) as tf.Tensor).dataSync() as Float32Array);
  // Copies: getWeights gives the variables themselves, which setWeights overwrites.
  const exact = model.getWeights().map((w) => w.clone());
  const rounded = exact.map((w) => w.dtype !== 'float32' ? w.clone() :
    tf.tensor(Float32Array.from(w.dataSync(), (v) => fromFloat16Bits(toFloat16Bits(v))), w.shape));
  const ref = predict();
  try {
    model.setWeights(rounded);
    return compare(entry, predict(), ref, 0).worstOfRange;
  } finally {
    model.setWeights(exact);
    tf.dispose([...exact, ...rounded]);
  }
}

const compileFor = (entry: ZooEntry, model: tfl.LayersModel, learningRate: number) => model.compile({
  optimizer: tf.train.adam(learningRate),
  loss: entry.task === 'classifier' ? 'categoricalCrossentropy' : 'meanSquaredError'});

/** Runs `entry` through training, QAT, pruning, clustering and export; every file runs in LiteRT. */
export async function runZooModel(entry: ZooEntry, options: ZooRunOptions): Promise<ZooRun> {
  const t0 = performance.now();
  const seed = options.seed ?? 1;
  const train = zooData(entry, options.numTrain, seed);
  const probe = zooData(entry, options.numProbe, seed + 100);
  const targets = entry.task === 'classifier' ? tf.oneHot(train.ys, entry.outputs) : train.ys;
  // Calibration covers the probe samples too: this measures the conversion, not range coverage.
  const calibration = tf.tidy(() => tf.concat([tf.slice(train.xs, 0, Math.min(64, options.numTrain)), probe.xs]));
  const made: tfl.LayersModel[] = [];
  const keep = (m: tfl.LayersModel) => (made.push(m), m);
  const fit = async (m: tfl.LayersModel, learningRate: number, epochs: number, callbacks: tfl.Callback[] = []) => {
    compileFor(entry, m, learningRate);
    await m.fit(train.xs, targets, {epochs, batchSize: options.batchSize, shuffle: false, verbose: 0, callbacks});
  };
  const fineTune = options.fineTuneEpochs ?? options.epochs;
  const files: FileResult[] = [];
  const check = async (source: Source, mode: Mode, model: tfl.LayersModel) => {
    const bytes = await converterFor(model, mode, calibration).convert();
    const lite = await runLiteRt(bytes, probe.xs);  // fails on any LiteRT ERROR line
    const ref = tf.tidy(() => (model.predict(probe.xs, {batchSize: 32}) as tf.Tensor).dataSync() as Float32Array);
    files.push({source, mode, bytes: bytes.length, ...compare(entry, lite, ref, int8OutputStep(bytes))});
    return bytes;
  };
  try {
    // Momentum 0.5: the moving statistics follow the data within a few steps.
    const model = keep(entry.build(seed, {batchNormMomentum: 0.5}));
    await fit(model, 3e-3, options.epochs);
    const learned: Partial<ZooRun> = {float16RoundingFloor: float16RoundingFloor(entry, model, probe.xs)};
    if (entry.task === 'classifier') {
      const predicted = tf.tidy(() => argmaxRows(
          (model.predict(probe.xs, {batchSize: 32}) as tf.Tensor).dataSync() as Float32Array, entry.outputs));
      const truth = probe.ys.dataSync();
      learned.floatAccuracy = predicted.filter((c, i) => c === truth[i]).length / predicted.length;
      learned.predictedClasses = new Set(predicted).size;
    }
    let int8Bytes: Uint8Array|undefined;
    for (const mode of options.modes) {
      const bytes = await check('float', mode, model);
      if (mode === 'int8') {
        int8Bytes = bytes;
      }
    }
    let qatBytes: Uint8Array|undefined;
    if (entry.noQat == null) {
      const qat = keep(tfmot.quantization.quantizeModel(model));
      await fit(qat, 1e-4, fineTune);
      qatBytes = await check('qat', 'qat', qat);
    } else {
      try {
        tfmot.quantization.quantizeModel(model);
      } catch (e) {
        learned.qatError = (e as Error).message;
      }
    }
    int8Bytes ??= await converterFor(model, 'int8', calibration).convert();
    let prunedSparsity = NaN;
    let clusteredMaxDistinct = NaN;
    if (options.pruneAndCluster) {
      const pruning = keep(tfmot.sparsity.pruneLowMagnitude(model, {
        pruningSchedule: new tfmot.sparsity.ConstantSparsity({targetSparsity: 0.5, beginStep: 0})}));
      await fit(pruning, 1e-4, fineTune, [new tfmot.sparsity.UpdatePruningStep()]);
      const pruned = keep(tfmot.sparsity.stripPruning(pruning));
      prunedSparsity = tfmot.sparsity.getSparsity(pruned).overall;
      await check('pruned', 'int8', pruned);
      const params = {numberOfClusters: 16, clusterCentroidsInit: 'KMEANS_PLUS_PLUS', seed} as const;
      let clustering: tfl.LayersModel;
      try {
        clustering = keep(tfmot.clustering.clusterWeights(model, params));
      } catch (e) {
        // A layer clustering cannot take (LSTM, or a kernel of no more values than clusters, as the U-Net's
        // last 1x1 conv) stays as it is: cluster the others one by one, as the error says.
        learned.clusterError = (e as Error).message;
        clustering = keep(tfmot.cloneModel(model, (layer) => CLUSTERED.includes(layer.getClassName()) &&
          layer.getWeights()[0].size > params.numberOfClusters ? tfmot.clustering.clusterWeights(layer, params) : layer));
      }
      await fit(clustering, 1e-4, fineTune);
      const clustered = keep(tfmot.clustering.stripClustering(clustering));
      clusteredMaxDistinct = maxDistinct(clustered, CLUSTERED);
      await check('clustered', 'int8', clustered);
    }
    return {name: entry.name, files, float16RoundingFloor: learned.float16RoundingFloor!, ...learned, prunedSparsity, clusteredMaxDistinct,
      accounting: {int8: accountingOf(int8Bytes), ...(qatBytes == null ? {} : {qat: accountingOf(qatBytes)})},
      seconds: (performance.now() - t0) / 1000};
  } finally {
    for (const m of made) {
      m.optimizer?.dispose();
      m.dispose();
    }
    train.dispose();
    probe.dispose();
    tf.dispose([calibration, ...(entry.task === 'classifier' ? [targets] : [])]);
  }
}

/** The file's byte accounting, options tables counted by their non-default fields. */
export const accountingOf = (bytes: Uint8Array): ByteAccounting =>
  byteAccounting(tfmot.tflite.readModel(bytes), bytes.length, nonDefaultFields(OPTIONS_LAYOUT));

/** Layers whose first weight (kernel, embeddings) clustering clusters. */
const CLUSTERED = ['Conv1D', 'Conv2D', 'Conv2DTranspose', 'DepthwiseConv2D', 'Dense', 'Embedding'];

const kernels = (model: tfl.LayersModel, classes: string[]) => model.layers
    .filter((l) => classes.includes(l.getClassName()))
    .map((l) => l.getWeights()[0]);

function maxDistinct(model: tfl.LayersModel, classes: string[]): number {
  return Math.max(...kernels(model, classes).map((k) => new Set(k.dataSync()).size));
}

/** One line per file, for the test log and the report. */
export function formatRun(run: ZooRun): string {
  const pct = (x?: number) => x == null ? '-' : `${(100 * x).toFixed(1)}%`;
  const lines = run.files.map((f) => `  ${f.source}/${f.mode}: ${f.bytes} B, worst ${f.worstOfRange.toExponential(2)} ` +
      `of range, argmax ${pct(f.argmaxAgreement)}, within 1/2 steps ${pct(f.within1)}/${pct(f.within2)}` +
      (f.maxSteps == null ? '' : `, max ${f.maxSteps.toFixed(1)} steps`));
  const learned = run.floatAccuracy == null ? '' :
    `float accuracy ${pct(run.floatAccuracy)} (${run.predictedClasses} classes predicted), `;
  return [`${run.name} (${run.seconds.toFixed(1)} s): ${learned}pruned sparsity ${pct(run.prunedSparsity)}, ` +
      `clustered max distinct ${run.clusteredMaxDistinct}`, ...lines].join('\n');
}
