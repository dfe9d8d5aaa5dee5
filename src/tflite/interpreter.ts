/**
 * `tfmot.tflite.Interpreter`: runs a .tflite file in Google's LiteRT.js
 * (`@litertjs/core`, an optional peer dependency) in Node or a browser, as
 * Python users check their files with `tf.lite.Interpreter`: same methods,
 * camelCase. Node runs LiteRT in a worker thread (litert_loader.ts), a
 * browser in the calling thread (litert_browser.ts).
 *
 * ```ts
 * const interpreter = await tfmot.tflite.Interpreter.create(bytes);
 * const [input] = interpreter.getInputDetails();
 * interpreter.setTensor(input.index, new Int8Array(784));
 * await interpreter.invoke();
 * const logits = interpreter.getTensor(interpreter.getOutputDetails()[0].index);
 * interpreter.dispose();
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';

import {checkInteger, checkOptionKeys, describeValue, NotSupportedError, optionKeys, ValueError} from '../errors.js';
import {DEFAULT_TIMEOUT_MS, exclusive, LiteRtCrash, liteRtErrors, liteRtHost, logLength, logSince, openSession,
  TYPED_ARRAYS} from './litert_session.js';
import type {LiteRtSession, SessionTensor, TfliteDType, TfliteTypedArray} from './litert_session.js';

export type {TfliteDType, TfliteTypedArray} from './litert_session.js';
export {LiteRtCrash} from './litert_session.js';
export {setLiteRtWasmPath} from './litert_browser.js';
import {readModel} from './reader.js';
import {checkRunnable} from './runnable.js';
import {operatorName} from './validate.js';
import {TensorType} from './schema.js';
import type {Model, SignatureDef, SubGraph, Tensor} from './schema.js';

/** One input or output tensor, as Python's `get_input_details()` describes it. */
export interface TensorDetails {
  /** The tensor's name in the file. */
  name: string;
  /** The tensor's index in the model: what `setTensor` and `getTensor` take. */
  index: number;
  /** Static shape, batch first. */
  shape: number[];
  /** Element type: which typed array `setTensor` takes and `getTensor` returns. */
  dtype: TfliteDType;
  /** Per-tensor parameters, `real = scale * (q - zeroPoint)`; both 0 when not quantized or per-channel. */
  quantization: {
    /** Real value of one quantized step. */
    scale: number,
    /** Quantized value of real 0. */
    zeroPoint: number,
  };
  /** All of the file's parameters (empty arrays when not quantized). */
  quantizationParameters: {
    /** One per tensor, or one per channel. */
    scales: number[],
    /** One per scale. */
    zeroPoints: number[],
    /** The channel axis when per-channel, else 0. */
    quantizedDimension: number,
  };
}

/** Options of `Interpreter.create`. */
export interface InterpreterOptions {
  /** CPU threads for XNNPACK (Python's `num_threads`); default 1. */
  numThreads?: number;
  /**
   * How long loading, compiling or one run may take, in ms (default 120,000).
   * A call that overruns it is stopped with an error, and LiteRT restarts.
   * Node only: in a browser LiteRT runs in the calling thread, where a running
   * WebAssembly call cannot be stopped, so setting it throws NotSupportedError
   * (run the Interpreter in a Web Worker and terminate the worker instead).
   */
  timeoutMs?: number;
}

/** LiteRT printed ERROR lines: it reports models that fail to prepare or run this way instead of throwing. */
export class LiteRtError extends Error {
  /**
   * Made by `Interpreter.create`, `invoke` and `predict`.
   *
   * @param message What failed, followed by the log.
   * @param log What the runtime printed during the failed call.
   */
  constructor(message: string, readonly log: string[]) {
    super(message);
    this.name = 'LiteRtError';
  }
}

/**
 * A .tflite model loaded and compiled by LiteRT.js on the wasm CPU path
 * (XNNPACK). Inputs and outputs are addressed by tensor index, as in Python;
 * LiteRT.js exposes no intermediate tensors. Call `dispose()` when done: the
 * model lives in the wasm heap.
 *
 * The same API in Node and in a browser. Node runs LiteRT in a worker
 * thread, so a call overrunning `timeoutMs` is stopped. A browser page or Web
 * Worker runs it in the calling thread, from the files
 * `tflite.setLiteRtWasmPath` points at; there a long run blocks that thread
 * (use a Web Worker to keep a page responsive) and `timeoutMs` is refused. In
 * both, a WebAssembly trap discards the instance (LiteRtCrash) and the next
 * call loads a fresh one.
 *
 * Interpreters may be used concurrently: their runs are queued one at a time
 * (LiteRT's log is one stream), and `predict` does not share the tensors that
 * `setTensor` and `getTensor` address.
 */
export class Interpreter {
  private readonly values = new Map<number, TfliteTypedArray>();
  private readonly runtimeLog: string[];
  private disposed = false;

  /**
   * @param inputOrder The tensor index of each of LiteRT's inputs, in its order.
   * @param outputOrder Likewise for outputs.
   */
  private constructor(
      private readonly session: LiteRtSession, private readonly inputOrder: number[],
      private readonly outputOrder: number[], private readonly inputs: TensorDetails[],
      private readonly outputs: TensorDetails[], log: string[],
      private readonly quantizedFloatInputs: ReadonlySet<number>) {
    this.runtimeLog = log;
  }

  /**
   * Loads LiteRT.js (once per process, or per page or Web Worker) and
   * compiles `modelContent`. In a browser call `tflite.setLiteRtWasmPath`
   * first.
   *
   * @param modelContent The .tflite file's bytes (Python's `model_content`).
   * @throws ValueError when `modelContent` is not a non-empty Uint8Array or
   *     not a well-formed TFLite file (the message names the bad field; such
   *     bytes never reach LiteRT); Error saying to `npm install @litertjs/core`
   *     when it is missing; Error with LiteRT's log when it cannot load the
   *     model; LiteRtError when it logged ERROR lines; LiteRtCrash when LiteRT
   *     trapped or overran `timeoutMs` (it restarts for the next call);
   *     NotSupportedError for `timeoutMs` in a browser; Error naming
   *     `setLiteRtWasmPath` in a browser when it was not called.
   */
  static async create(modelContent: Uint8Array, options: InterpreterOptions = {}): Promise<Interpreter> {
    if (!(modelContent instanceof Uint8Array)) {
      throw new ValueError(`Interpreter.create: modelContent must be a Uint8Array (the .tflite file's bytes); ` +
          `received ${describeValue(modelContent)}.`);
    }
    checkOptionKeys(options, optionKeys<InterpreterOptions>({numThreads: true, timeoutMs: true}),
        'Interpreter.create options');
    const numThreads = checkInteger(options.numThreads ?? 1, 'Interpreter.create: options.numThreads');
    const timeoutMs = checkInteger(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'Interpreter.create: options.timeoutMs');
    if (options.timeoutMs !== undefined && !liteRtHost().stopsOverruns) {
      throw new NotSupportedError('Interpreter.create: options.timeoutMs cannot be enforced here: in a browser ' +
          'LiteRT runs in the calling thread, where a running WebAssembly call cannot be stopped. Omit it; to be ' +
          'able to stop a runaway model, create the Interpreter in a Web Worker and terminate() that worker.');
    }
    if (modelContent.length === 0) {
      throw new ValueError('Interpreter.create: modelContent is empty; pass the .tflite file\'s bytes.');
    }
    // LiteRT sees only files our reader accepts: it names the bad field where LiteRT says "Failed to load", and
    // some corrupt files trap LiteRT's WebAssembly instead.
    let model: Model;
    try {
      model = readModel(modelContent);
    } catch (e) {
      throw new ValueError(`Interpreter.create: modelContent is not a valid TFLite file: ` +
          `${e instanceof Error ? e.message : String(e)}`);
    }
    checkRunnable(model, 'Interpreter.create: the model cannot run as written');
    const {session, log} = await exclusive(async () => {
      const start = logLength();
      try {
        return {session: await openSession(modelContent, numThreads, timeoutMs), log: logSince(start)};
      } catch (e) {
        const message = `Interpreter.create: ${e instanceof Error ? e.message : String(e)}`;
        throw e instanceof LiteRtCrash ? new LiteRtCrash(message) : new Error(message);
      }
    });
    try {
      throwOnErrors('Interpreter.create', log);
      const signature = model.signatureDefs.find((s) => s.signatureKey === session.signatureKey);
      const graph = model.subgraphs[signature?.subgraphIndex ?? 0];
      const inputOrder = tensorIndices(session.inputs, graph.inputs, signature?.inputs, graph.tensors);
      const outputOrder = tensorIndices(session.outputs, graph.outputs, signature?.outputs, graph.tensors);
      // Details in the file's order, with LiteRT's dtype and shape.
      const details = (indices: number[], order: number[], ios: readonly SessionTensor[]) =>
        indices.map((index) => describeTensor(index, graph.tensors[index], ios[order.indexOf(index)]));
      return new Interpreter(session, inputOrder, outputOrder, details(graph.inputs, inputOrder, session.inputs),
          details(graph.outputs, outputOrder, session.outputs), log, quantizedFloatInputs(model, graph));
    } catch (e) {
      session.delete();
      throw e;
    }
  }

  /** What LiteRT printed while creating this interpreter and during its invokes. */
  get log(): string[] {
    return [...this.runtimeLog];
  }

  /** The model's inputs, in the order of the file's subgraph inputs. */
  getInputDetails(): TensorDetails[] {
    return this.inputs.map(copyDetails);
  }

  /** The model's outputs, in the order of the file's subgraph outputs. */
  getOutputDetails(): TensorDetails[] {
    return this.outputs.map(copyDetails);
  }

  /**
   * Sets an input for the next `invoke()` (copied).
   *
   * @param index An input's `index` from `getInputDetails()`.
   * @param value All of the tensor's elements, in the typed array of its dtype.
   */
  setTensor(index: number, value: TfliteTypedArray): void {
    this.checkAlive('setTensor');
    checkIndex('setTensor', index);
    const input = this.inputs.find((d) => d.index === index);
    if (input == null) {
      throw new ValueError(`setTensor: index ${index} is not an input tensor; the inputs are ` +
          `[${this.inputs.map((d) => d.index)}] (see getInputDetails()).`);
    }
    const type = TYPED_ARRAYS[input.dtype];
    const size = sizeOf(input.shape);
    if (!(value instanceof type) || value.length !== size) {
      const received = ArrayBuffer.isView(value) ?
          `${value.constructor.name} with ${(value as TfliteTypedArray).length} elements` :
          describeValue(value);
      throw new ValueError(`setTensor: value for input ${index} ('${input.name}', ${input.dtype} [${input.shape}]) ` +
          `must be of type ${type.name} with ${size} elements; received ${received}.`);
    }
    this.checkNoNaN('setTensor', input, value);
    this.values.set(index, value.slice());
  }

  /**
   * A float input that the model quantizes itself (a QUANTIZE op reads it)
   * would turn NaN into a valid integer, and return an answer for it.
   */
  private checkNoNaN(method: string, input: TensorDetails, value: ArrayLike<number|bigint>): void {
    if (this.quantizedFloatInputs.has(input.index)) {
      for (let i = 0; i < value.length; i++) {
        if (Number.isNaN(value[i])) {
          throw new ValueError(`${method}: element ${i} of input ${input.index} ('${input.name}') is NaN; the ` +
              'model quantizes this input, which would read NaN as a valid integer.');
        }
      }
    }
  }

  /**
   * Runs the model on the inputs set. Async, unlike Python's: LiteRT.js may run asynchronously.
   *
   * @throws ValueError naming an input that was not set; LiteRtError when LiteRT logged ERROR lines.
   */
  async invoke(): Promise<void> {
    this.checkAlive('invoke');
    const data = this.inputOrder.map((index) => {
      const input = this.inputs.find((d) => d.index === index)!;
      const value = this.values.get(input.index);
      if (value == null) {
        throw new ValueError(`invoke: input ${input.index} ('${input.name}') was not set; call ` +
            `setTensor(${input.index}, data) first.`);
      }
      return value;
    });
    const results = await this.run('invoke', data);
    // dispose() may have come while the run was under way: keep nothing then.
    this.checkAlive('invoke');
    results.forEach((r, i) => this.values.set(this.outputOrder[i], r));
  }

  /**
   * Runs the model on `data` (in LiteRT's input order) and returns its outputs
   * (in LiteRT's order), keeping the log lines of this run only.
   */
  private async run(method: string, data: TfliteTypedArray[]): Promise<TfliteTypedArray[]> {
    return (await this.runMany(method, [data]))[0];
  }

  /** `run` on each set of inputs, in one call to the runtime. */
  private runMany(method: string, batches: TfliteTypedArray[][]): Promise<TfliteTypedArray[][]> {
    return exclusive(async () => {
      // dispose() may have come while this run waited for another interpreter's.
      this.checkAlive(method);
      const start = logLength();
      let results: TfliteTypedArray[][];
      try {
        results = await this.session.runMany(batches);
      } catch (e) {
        const message = `${method}: LiteRT could not run the model: ${(e as Error).message}`;
        if (e instanceof LiteRtCrash) {
          throw new LiteRtCrash(message);
        }
        const log = logSince(start);
        throw new LiteRtError(`${message}\n${log.join('\n')}`, log);
      } finally {
        this.runtimeLog.push(...logSince(start));
      }
      throwOnErrors(method, logSince(start));
      return results;
    });
  }

  /**
   * A copy of an input's value, or of an output's after `invoke()`.
   *
   * @param index An `index` from `getInputDetails()` or `getOutputDetails()`.
   */
  getTensor(index: number): TfliteTypedArray {
    this.checkAlive('getTensor');
    checkIndex('getTensor', index);
    const tensor = this.inputs.find((d) => d.index === index) ?? this.outputs.find((d) => d.index === index);
    if (tensor == null) {
      throw new ValueError(`getTensor: index ${index} is not an input or output tensor (inputs ` +
          `[${this.inputs.map((d) => d.index)}], outputs [${this.outputs.map((d) => d.index)}]); LiteRT.js exposes ` +
          `only those.`);
    }
    const value = this.values.get(index);
    if (value == null) {
      throw new ValueError(`getTensor: tensor ${index} ('${tensor.name}') has no value yet; ` +
          (this.inputs.includes(tensor) ? `call setTensor(${index}, data) first.` : 'call invoke() first.'));
    }
    return value.slice();
  }

  /**
   * Runs a batch through the model: `xs` is [N, ...] with the model's input
   * shape after the batch dimension, and N a multiple of the model's batch
   * (usually 1), run one model batch at a time. Float inputs are quantized
   * for int8/uint8/int16 inputs (`round(x / scale) + zeroPoint`, ties away
   * from 0, clamped; NaN is rejected); quantized outputs are dequantized.
   * Leaves the tensors of `setTensor` and `getTensor` alone.
   *
   * @returns float32 outputs, [N, ...] (the caller disposes them).
   * @throws ValueError for models with several inputs or outputs, a wrong
   *     `xs` shape, or NaN in `xs` for a quantized input (or a float input
   *     the model quantizes itself); NotSupportedError
   *     for a float16 or int64 input or a float16 output; LiteRtError when
   *     LiteRT logged ERROR lines.
   */
  async predict(xs: tf.Tensor): Promise<tf.Tensor> {
    this.checkAlive('predict');
    if (this.inputs.length !== 1 || this.outputs.length !== 1) {
      throw new ValueError(`predict: runs models with 1 input and 1 output; this one has ${this.inputs.length} ` +
          `and ${this.outputs.length}: use setTensor(), invoke() and getTensor().`);
    }
    const [input] = this.inputs;
    const [output] = this.outputs;
    const batch = input.shape[0];
    if (xs == null || typeof (xs as tf.Tensor).dataSync !== 'function' || xs.dtype === 'string' ||
        input.shape.length === 0 || xs.rank !== input.shape.length ||
        String(xs.shape.slice(1)) !== String(input.shape.slice(1)) || xs.shape[0] % batch !== 0) {
      throw new ValueError(`predict: xs must be a numeric tf.Tensor [N, ${input.shape.slice(1)}] with N a ` +
          `multiple of ${batch} (the model's input is ${input.dtype} [${input.shape}]); received ` +
          `${xs != null && Array.isArray(xs.shape) ? `[${xs.shape}]` : describeValue(xs)}.`);
    }
    if (xs.isDisposed) {
      throw new ValueError('predict: xs was disposed.');
    }
    const values = await xs.data();
    const runs = xs.shape[0] / batch;
    const inSize = sizeOf(input.shape);
    const outSize = sizeOf(output.shape);
    const result = new Float32Array(runs * outSize);
    // Not through setTensor/invoke: concurrent predicts would read each other's outputs.
    for (let first = 0; first < runs; first += RUNS_PER_CALL) {
      const batches: TfliteTypedArray[][] = [];
      for (let r = first; r < Math.min(runs, first + RUNS_PER_CALL); r++) {
        const sample = values.subarray(r * inSize, (r + 1) * inSize);
        this.checkNoNaN('predict', input, sample);
        batches.push([toInput(sample, input)]);
      }
      const outputs = await this.runMany('predict', batches);
      outputs.forEach(([y], k) => result.set(fromOutput(y, output), (first + k) * outSize));
    }
    const shape = output.shape.length === 0 ? [runs] : [runs * output.shape[0], ...output.shape.slice(1)];
    return tf.tensor(result, shape, 'float32');
  }

  /**
   * Frees the model in the wasm heap; the interpreter cannot be used
   * afterwards (a queued invoke or predict rejects). Idempotent.
   */
  dispose(): void {
    if (!this.disposed) {
      this.disposed = true;
      this.values.clear();
      this.session.delete();
    }
  }

  private checkAlive(method: string): void {
    if (this.disposed) {
      throw new ValueError(`${method}: the Interpreter was disposed.`);
    }
  }
}

/**
 * Runs a classifier file on `xs` (see `Interpreter.predict`) and returns the
 * fraction of samples whose argmax equals the label: Python users'
 * `evaluate_model` from the TFMOT tutorials.
 *
 * @param model The .tflite bytes (compiled and freed here), or an open interpreter.
 * @param labels One int class per sample (an array, or a tf.Tensor [N] or
 *     [N, 1]), or one-hot rows (a tf.Tensor [N, classes]), as Keras takes them.
 * @throws ValueError for an `xs` without samples, labels that are not
 *     integers in [0, classes) or not one per sample, one-hot rows whose width
 *     is not the model's number of classes, or a model with one score per sample.
 */
export async function evaluateAccuracy(model: Uint8Array|Interpreter, xs: tf.Tensor,
    labels: tf.Tensor|ArrayLike<number>): Promise<number> {
  const samples = sampleCount(xs);
  const {classes: truth, oneHotWidth} = await labelClasses(labels, samples);
  const interpreter = model instanceof Interpreter ? model : await Interpreter.create(model);
  try {
    const logits = await interpreter.predict(xs);
    const scores = await logits.data();
    logits.dispose();
    const classes = scores.length / samples;
    if (classes < 2) {
      throw new ValueError(`evaluateAccuracy: the model gives ${classes} score per sample; accuracy by argmax ` +
          'needs one score per class.');
    }
    if (oneHotWidth != null && oneHotWidth !== classes) {
      throw new ValueError(`evaluateAccuracy: labels are one-hot rows of ${oneHotWidth} values; the model ` +
          `gives ${classes} scores per sample.`);
    }
    let right = 0;
    truth.forEach((label, i) => {
      if (label >= classes) {
        throw new ValueError(`evaluateAccuracy: labels[${i}] is ${label}; the model has ${classes} classes.`);
      }
      right += argmax(scores.subarray(i * classes, (i + 1) * classes)) === label ? 1 : 0;
    });
    return right / samples;
  } finally {
    if (interpreter !== model) {
      interpreter.dispose();
    }
  }
}

/** How many samples `xs` holds (its first dimension), which must be at least 1. */
function sampleCount(xs: tf.Tensor): number {
  if (!(xs instanceof tf.Tensor) || xs.isDisposed || xs.rank === 0 || xs.shape[0] === 0) {
    const received = xs instanceof tf.Tensor ? (xs.isDisposed ? 'a disposed tensor' : `[${xs.shape}]`) :
        describeValue(xs);
    throw new ValueError(`evaluateAccuracy: xs must be a tf.Tensor [N, ...] with N >= 1 samples; received ` +
        `${received}.`);
  }
  return xs.shape[0];
}

/**
 * The class of each sample: `labels` as int classes, or the argmax of one-hot
 * rows (whose width the caller checks against the model's classes).
 */
async function labelClasses(labels: tf.Tensor|ArrayLike<number>, samples: number):
    Promise<{classes: number[], oneHotWidth?: number}> {
  const allowed = `one int class per sample of xs (${samples}): an array, a tf.Tensor [${samples}] or ` +
      `[${samples}, 1], or one-hot rows, a tf.Tensor [${samples}, classes]`;
  let classes: number[];
  if (labels instanceof tf.Tensor) {
    if (labels.isDisposed || labels.rank === 0 || labels.rank > 2 || labels.shape[0] !== samples ||
        labels.size === 0) {
      throw new ValueError(`evaluateAccuracy: labels must hold ${allowed}; received ` +
          `${labels.isDisposed ? 'a disposed tensor' : `a tf.Tensor [${labels.shape}]`}.`);
    }
    const values = Array.from(await labels.data() as ArrayLike<number>);
    const width = labels.size / samples;
    if (width > 1) {
      return {classes: Array.from({length: samples}, (_, i) => argmax(values.slice(i * width, (i + 1) * width))),
        oneHotWidth: width};
    }
    classes = values;
  } else if (labels != null && typeof labels === 'object' && typeof labels.length === 'number') {
    if (labels.length !== samples) {
      throw new ValueError(`evaluateAccuracy: labels must hold ${allowed}; received ${labels.length} values.`);
    }
    classes = Array.from(labels);
  } else {
    throw new ValueError(`evaluateAccuracy: labels must hold ${allowed}; received ${describeValue(labels)}.`);
  }
  const bad = classes.findIndex((c) => typeof c !== 'number' || !Number.isInteger(c) || c < 0);
  if (bad >= 0) {
    throw new ValueError(`evaluateAccuracy: labels must be int classes >= 0 (or a tf.Tensor of one-hot rows); ` +
        `labels[${bad}] is ${describeLabel(classes[bad])}.`);
  }
  return {classes};
}

function describeLabel(value: unknown): string {
  return typeof value === 'number' ? String(value) : describeValue(value);
}

/** Index of the largest value (the first on ties, as tf.argMax). */
function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    if (values[i] > values[best]) {
      best = i;
    }
  }
  return best;
}

/** A string index would be reported as "index 0 is not an input; the inputs are [0]". */
function checkIndex(method: string, index: unknown): void {
  if (typeof index !== 'number') {
    throw new ValueError(`${method}: index must be a tensor index (a number from getInputDetails() or ` +
        `getOutputDetails()); received ${describeValue(index)}.`);
  }
}

/** The float inputs of `graph` that a QUANTIZE op reads. */
function quantizedFloatInputs(model: Model, graph: SubGraph): Set<number> {
  const quantizes = graph.operators.filter((op) => operatorName(model, op) === 'QUANTIZE');
  return new Set(graph.inputs.filter((t) => FLOAT_TYPES.has(graph.tensors[t].type) &&
      quantizes.some((op) => op.inputs[0] === t)));
}

const FLOAT_TYPES: ReadonlySet<number> = new Set([TensorType.FLOAT32, TensorType.FLOAT16]);

/** Throws a LiteRtError with `log` if it has ERROR lines. */
function throwOnErrors(method: string, log: string[]): void {
  if (liteRtErrors(log).length > 0) {
    throw new LiteRtError(`${method}: LiteRT reported errors:\n${log.join('\n')}`, log);
  }
}

/**
 * The tensor index of each of LiteRT's inputs (or outputs), matched by
 * signature name, else by tensor name, else by position.
 */
function tensorIndices(ios: readonly SessionTensor[], indices: number[], maps: SignatureDef['inputs']|undefined,
    tensors: Tensor[]): number[] {
  if (ios.length !== indices.length) {
    throw new Error(`Interpreter.create: LiteRT sees ${ios.length} inputs/outputs where the file's subgraph has ` +
        `${indices.length} ([${indices}])`);
  }
  const byName = ios.map((io) => maps != null ? maps.find((m) => m.name === io.name)?.tensorIndex :
      indices.find((t) => tensors[t].name === io.name));
  const matched = byName.every((t) => t != null && indices.includes(t)) && new Set(byName).size === indices.length;
  return matched ? byName as number[] : [...indices];
}

function describeTensor(index: number, tensor: Tensor, io: SessionTensor): TensorDetails {
  const q = tensor.quantization;
  const scales = q?.scale ?? [];
  const zeroPoints = q?.zeroPoint ?? [];
  return {
    name: tensor.name, index, shape: [...io.shape], dtype: io.dtype,
    quantization: scales.length === 1 ? {scale: scales[0], zeroPoint: zeroPoints[0] ?? 0} : {scale: 0, zeroPoint: 0},
    quantizationParameters: {scales: [...scales], zeroPoints: [...zeroPoints],
      quantizedDimension: q?.quantizedDimension ?? 0},
  };
}

function copyDetails(d: TensorDetails): TensorDetails {
  return {...d, shape: [...d.shape], quantization: {...d.quantization}, quantizationParameters: {
    ...d.quantizationParameters, scales: [...d.quantizationParameters.scales],
    zeroPoints: [...d.quantizationParameters.zeroPoints]}};
}

/**
 * Model batches `predict` sends to LiteRT's worker at once: a round trip
 * between threads costs more than running a small model, and a bounded
 * message keeps other interpreters' runs from waiting long.
 */
const RUNS_PER_CALL = 256;

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

const INTEGER_RANGES: Partial<Record<TfliteDType, [number, number]>> =
    {int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767]};

/** One model batch of `predict`'s input as the input tensor's typed array, quantized if it is. */
function toInput(x: ArrayLike<number>, input: TensorDetails): TfliteTypedArray {
  const {scale, zeroPoint} = input.quantization;
  const range = INTEGER_RANGES[input.dtype];
  if (range != null && scale !== 0) {
    const [lo, hi] = range;
    const out = new TYPED_ARRAYS[input.dtype](x.length) as Int8Array|Uint8Array|Int16Array;
    for (let i = 0; i < x.length; i++) {
      if (Number.isNaN(x[i])) {
        // It would silently become 0, a valid quantized value.
        throw new ValueError(`predict: xs holds NaN, which the ${input.dtype} input '${input.name}' cannot ` +
            'represent.');
      }
      const v = x[i] / scale;
      out[i] = Math.max(lo, Math.min(hi, Math.sign(v) * Math.round(Math.abs(v)) + zeroPoint));
    }
    return out;
  }
  if (input.dtype === 'float16' || input.dtype === 'int64') {
    throw new NotSupportedError(`predict: ${input.dtype} input '${input.name}' is not handled; use setTensor().`);
  }
  const out = new TYPED_ARRAYS[input.dtype](x.length) as Exclude<TfliteTypedArray, BigInt64Array>;
  out.set(x);
  return out;
}

/** An output as float32, dequantized if it is quantized. */
function fromOutput(y: TfliteTypedArray, output: TensorDetails): Float32Array {
  if (output.dtype === 'float16') {
    throw new NotSupportedError(`predict: float16 output '${output.name}' is not handled; use getTensor().`);
  }
  const {scale, zeroPoint} = output.quantization;
  const dequantize = scale !== 0 && output.dtype !== 'float32' && output.dtype !== 'float64';
  return Float32Array.from(y as ArrayLike<number|bigint>, (v) => dequantize ? (Number(v) - zeroPoint) * scale :
      Number(v));
}
