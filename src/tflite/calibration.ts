/**
 * Calibration for post-training full-integer quantization: runs the float IR
 * on the representative dataset and records each tensor's min/max over all
 * samples (what TFLite's calibrator records).
 */
import * as tf from '@tensorflow/tfjs-core';

import {describeValue, ValueError} from '../errors.js';
import {IrGraph, IrTensor} from '../graph/ir.js';
import {evaluateIr} from './ir_eval.js';
import {keepsInputParams} from './quantize_ir.js';

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

/** Why `t` cannot be fed to the float evaluator, or null if it can (shape aside). */
function unusable(t: unknown, dtype: string): string|null {
  if (!(t instanceof tf.Tensor)) {
    return `is ${describeValue(t)}, not a tf.Tensor`;
  }
  if (t.isDisposed) {
    return 'has been disposed; keep the tensors alive until convert() resolves';
  }
  if (t.dtype !== dtype) {
    return `has dtype ${t.dtype}; this model input needs ${dtype} tensors`;
  }
  return t.size === 0 ? `is empty (shape ${JSON.stringify(t.shape)}); it needs at least one row` : null;
}

function checkSample(graph: IrGraph, sample: RepresentativeSample, index: number): tf.Tensor[] {
  const tensors: unknown[] = Array.isArray(sample) ? sample : [sample];
  // Type first: a nested JS array or typed array is one value of the wrong kind, not a count problem.
  tensors.forEach((t, i) => {
    // An Embedding's indices are int32; any other input float32.
    const problem = unusable(t, graph.inputs[i]?.dtype === 'int32' ? 'int32' : 'float32');
    if (problem != null) {
      throw new ValueError(`representativeDataset sample ${index}, input ${i} ${problem}.`);
    }
  });
  if (tensors.length !== graph.inputs.length) {
    throw new ValueError(
        `representativeDataset sample ${index} must be ${graph.inputs.length} tensor(s) ` +
        `(one per model input); received ${tensors.length} value(s).`);
  }
  const checked = tensors as tf.Tensor[];
  checked.forEach((t, i) => {
    const want = graph.inputs[i].shape.slice(1);
    const got = t.shape.slice(t.rank - want.length);
    if (t.rank !== want.length + 1 || got.some((d, k) => d !== want[k])) {
      throw new ValueError(
          `representativeDataset sample ${index}, input ${i}: expected shape [batch, ` +
          `${want.join(', ')}]; received ${JSON.stringify(t.shape)}.`);
    }
    // Ops mixing inputs (Concatenate, Add) need equal batches; tfjs would fail mid-graph.
    if (t.shape[0] !== checked[0].shape[0]) {
      throw new ValueError(
          `representativeDataset sample ${index}: input ${i} has batch size ${t.shape[0]} but input 0 ` +
          `has ${checked[0].shape[0]}; all inputs of a sample need the same batch size.`);
    }
    if (tf.tidy(() => tf.any(tf.logicalNot(tf.isFinite(t))).dataSync()[0])) {
      throw new ValueError(
          `representativeDataset sample ${index}, input ${i} contains NaN or infinite values.`);
    }
  });
  return checked;
}

/** The dataset's samples, or a clear error if `dataset()` gave something that is not iterable. */
function samplesOf(dataset: RepresentativeDataset):
    Iterable<RepresentativeSample>|AsyncIterable<RepresentativeSample> {
  const samples: unknown = dataset();
  const iterable = samples != null && typeof samples === 'object' &&
      (Symbol.iterator in samples || Symbol.asyncIterator in samples);
  // Objects only: a string is iterable, but its characters are not samples.
  if (!iterable) {
    throw new ValueError(
        'representativeDataset must return an iterable or async iterable of input tensors (or ' +
        `arrays of them), e.g. function* () { yield x; }; it returned ${describeValue(samples)}.`);
  }
  return samples as Iterable<RepresentativeSample>|AsyncIterable<RepresentativeSample>;
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
  const targets: IrTensor[] = [...graph.inputs.filter((t) => t.dtype !== 'int32'),
    ...graph.ops.filter((op) => !keepsInputParams(op)).flatMap((op) => op.outputs)]
      .filter((t) => !onlyMissing || t.range == null);
  // Which layer made each tensor, to name it when its values overflow.
  const sources = new Map<IrTensor, string>(graph.ops.flatMap((op) => op.outputs.map((t) => [t, op.source])));
  const lo = new Map<IrTensor, number>();
  const hi = new Map<IrTensor, number>();
  let count = 0;
  const samples = samplesOf(dataset);
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
        if (!Number.isFinite(mn) || !Number.isFinite(mx)) {
          throw new ValueError(`Calibration: layer '${sources.get(t) ?? t.name}' gives non-finite values (${mn} to ${mx}) on ` +
              `representativeDataset sample ${count} (tensor '${t.name}'): its weights or inputs overflow ` +
              'float32, so no quantization range exists. Scale them down, or check the weights for a diverged ' +
              'training.');
        }
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
