/**
 * Calibration for post-training full-integer quantization: runs the float IR
 * on the representative dataset and records each tensor's min/max over all
 * samples (what TFLite's calibrator records).
 */
import * as tf from '@tensorflow/tfjs-core';

import {ValueError} from '../errors.js';
import {IrGraph, IrTensor} from './ir.js';
import {evaluateIr} from './ir_eval.js';
import {SAME_AS_INPUT} from './quantize_ir.js';

/** One sample: the model's input tensors (or the single one); batch dims allowed. */
export type RepresentativeSample = tf.Tensor|tf.Tensor[];
/** Like Python's `representative_dataset`: a function returning samples. */
export type RepresentativeDataset =
    () => Iterable<RepresentativeSample>|AsyncIterable<RepresentativeSample>;

/**
 * Progress callback: samples seen so far, of `total` (NaN while unknown: a
 * dataset that is not an array tells its count only at its end).
 */
export type ProgressCallback = (samplesDone: number, total: number) => void;

function checkSample(graph: IrGraph, sample: RepresentativeSample, index: number): tf.Tensor[] {
  const tensors = Array.isArray(sample) ? sample : [sample];
  if (tensors.length !== graph.inputs.length || !tensors.every((t) => t instanceof tf.Tensor)) {
    throw new ValueError(
        `representativeDataset sample ${index} must be ${graph.inputs.length} tensor(s) ` +
        `(one per model input); received ${tensors.length} value(s).`);
  }
  tensors.forEach((t, i) => {
    const want = graph.inputs[i].shape.slice(1);
    const got = t.shape.slice(t.rank - want.length);
    if (t.rank !== want.length + 1 || got.some((d, k) => d !== want[k])) {
      throw new ValueError(
          `representativeDataset sample ${index}, input ${i}: expected shape [batch, ` +
          `${want.join(', ')}]; received ${JSON.stringify(t.shape)}.`);
    }
    if (tf.tidy(() => tf.any(tf.logicalNot(tf.isFinite(t))).dataSync()[0])) {
      throw new ValueError(
          `representativeDataset sample ${index}, input ${i} contains NaN or infinite values.`);
    }
  });
  return tensors;
}

/**
 * Sets `range` on the graph's inputs and op outputs from the data. With
 * `onlyMissing`, tensors that already have a range (from QAT) keep it.
 * `onProgress` gets 0 first, then each sample, and last done === total.
 */
export async function calibrate(graph: IrGraph, dataset: RepresentativeDataset,
    onlyMissing = false, onProgress?: ProgressCallback): Promise<number> {
  if (typeof dataset !== 'function') {
    throw new ValueError(
        'representativeDataset must be a function returning an iterable of input samples; ' +
        `received ${typeof dataset}.`);
  }
  // Outputs of ops that must keep their input's parameters get no range:
  // a range there would mean "requantize", which only QAT asks for.
  const targets: IrTensor[] = [...graph.inputs,
    ...graph.ops.filter((op) => !SAME_AS_INPUT.has(op.type)).flatMap((op) => op.outputs)]
      .filter((t) => !onlyMissing || t.range == null);
  const lo = new Map<IrTensor, number>();
  const hi = new Map<IrTensor, number>();
  let count = 0;
  const samples = dataset();
  const length = (samples as {length?: unknown}|null)?.length;
  const total = typeof length === 'number' ? length : NaN;
  onProgress?.(0, total);
  for await (const sample of samples) {
    const inputs = checkSample(graph, sample, count);
    const values = evaluateIr(graph, inputs);
    try {
      for (const t of targets) {
        const v = values.get(t.id)!;
        const [mn, mx] = tf.tidy(() => [tf.min(v).dataSync()[0], tf.max(v).dataSync()[0]]);
        lo.set(t, Math.min(lo.get(t) ?? Infinity, mn));
        hi.set(t, Math.max(hi.get(t) ?? -Infinity, mx));
      }
    } finally {
      tf.dispose([...values.values()]);
    }
    count++;
    onProgress?.(count, total);
  }
  if (count === 0) {
    throw new ValueError('representativeDataset yielded no samples; calibration needs at least one.');
  }
  if (count !== total) {
    onProgress?.(count, count);
  }
  for (const t of targets) {
    t.range = [lo.get(t)!, hi.get(t)!];
  }
  return count;
}
