/**
 * LiteRT (Google's TFLite runtime, as LiteRT.js: @litertjs/core) in Node for
 * the benchmarks and examples: they run the files we export to check and time
 * them.
 *
 * @litertjs/core is a devDependency: it is needed only to verify exported
 * files in this repository, never by the library. The loader itself lives in
 * test/helpers/litert.ts (shared with the tests) and is re-exported here.
 */
import * as tfmot from 'tfjs-model-optimization';

import {openTflite} from '../test/helpers/litert.js';
import {median} from './timing.js';

export {liteRtErrors, loadLiteRtOnce, openTflite, runTflite} from '../test/helpers/litert.js';
export type {LiteRtInput, LiteRtOutput, TfliteRunner} from '../test/helpers/litert.js';

type IntArray = Int8Array|Uint8Array|Int16Array;

function quantize(x: Float32Array, type: string, scale: number, zeroPoint: number): IntArray {
  const [lo, hi, make] = type === 'INT8' ? [-128, 127, (n: number) => new Int8Array(n)] as const :
      type === 'UINT8' ? [0, 255, (n: number) => new Uint8Array(n)] as const :
      type === 'INT16' ? [-32768, 32767, (n: number) => new Int16Array(n)] as const : [0, 0, null] as const;
  if (make == null) {
    throw new Error(`input type ${type} is not handled`);
  }
  const out = make(x.length);
  for (let i = 0; i < x.length; i++) {
    out[i] = Math.max(lo, Math.min(hi, Math.round(x[i] / scale) + zeroPoint));
  }
  return out;
}

/**
 * Runs every sample of `samples` ([n, ...inputShape] flattened) through the
 * model one at a time (batch 1) and returns the outputs, dequantized to
 * float, as [n, outputSize]. Integer inputs are quantized with the model's
 * input parameters. Throws if the runtime printed ERROR lines.
 */
export async function runSamples(bytes: Uint8Array, samples: Float32Array, n: number): Promise<Float32Array> {
  const summary = tfmot.tflite.inspect(bytes);
  const input = summary.tensors[summary.inputs[0]];
  const output = summary.tensors[summary.outputs[0]];
  const sampleSize = samples.length / n;
  const outSize = output.shape.reduce((a, b) => a * b, 1);
  const result = new Float32Array(n * outSize);
  const runner = await openTflite(bytes);
  try {
    for (let i = 0; i < n; i++) {
      const x = samples.subarray(i * sampleSize, (i + 1) * sampleSize);
      const data = input.type === 'FLOAT32' ? Float32Array.from(x) :
          quantize(x, input.type, input.quantization!.scale[0], input.quantization!.zeroPoint[0]);
      const [out] = await runner.run([{data, shape: input.shape}]);
      const values = out.data as ArrayLike<number>;
      const q = output.quantization;
      for (let k = 0; k < outSize; k++) {
        result[i * outSize + k] = output.type === 'FLOAT32' ? values[k] :
            (Number(values[k]) - q!.zeroPoint[0]) * q!.scale[0];
      }
    }
    const errors = runner.log.filter((line) => /\bERROR\b/.test(line));
    if (errors.length > 0) {
      throw new Error(`LiteRT reported errors: ${errors.join(' | ')}`);
    }
    return result;
  } finally {
    runner.delete();
  }
}

/** Fraction of rows of `logits` ([n, k]) whose argmax equals the label. */
export function accuracyOf(logits: Float32Array, labels: ArrayLike<number>): number {
  const n = labels.length;
  const k = logits.length / n;
  let right = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) {
      if (logits[i * k + j] > logits[i * k + best]) {
        best = j;
      }
    }
    right += best === labels[i] ? 1 : 0;
  }
  return right / n;
}

/** A compiled model with a fixed input, for timing single inferences. */
export interface InferenceTimer {
  /** Runs once; returns the wall time in microseconds. */
  runOnce(): Promise<number>;
  delete(): void;
}

/**
 * Compiles `bytes` (1 thread, XNNPACK) and prepares a fixed input of the
 * model's input type. A timed run includes LiteRT.js's per-call
 * tensor-buffer setup and copies, as a user's call would.
 */
export async function openTimer(bytes: Uint8Array): Promise<InferenceTimer> {
  const summary = tfmot.tflite.inspect(bytes);
  const input = summary.tensors[summary.inputs[0]];
  const size = input.shape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({length: size}, (_, i) => Math.sin(i) * 0.5 + 0.5);
  const data = input.type === 'FLOAT32' ? x :
      quantize(x, input.type, input.quantization!.scale[0], input.quantization!.zeroPoint[0]);
  const runner = await openTflite(bytes);
  return {
    async runOnce() {
      const start = performance.now();
      await runner.run([{data, shape: input.shape}]);
      return (performance.now() - start) * 1000;
    },
    delete: () => runner.delete(),
  };
}

/**
 * How a latency benchmark runs: `warmup` runs of each file, then `rounds`
 * rounds in which each file runs `runsPerRound` times, the files in order in
 * even rounds and in reverse in odd ones (so neither always goes first).
 */
export interface LatencySettings {
  warmup: number;
  rounds: number;
  runsPerRound: number;
}

/**
 * Times single inferences of each named file (see {@link openTimer}) in
 * alternating rounds; returns each file's median run time in microseconds,
 * over `rounds * runsPerRound` runs.
 */
export async function medianLatencies(
    files: Array<[string, Uint8Array]>, settings: LatencySettings): Promise<Map<string, number>> {
  const timers: Array<[string, InferenceTimer]> = [];
  try {
    for (const [name, bytes] of files) {
      timers.push([name, await openTimer(bytes)]);
    }
    const times = new Map<string, number[]>(timers.map(([name]) => [name, []]));
    for (const [, timer] of timers) {
      for (let i = 0; i < settings.warmup; i++) {
        await timer.runOnce();
      }
    }
    for (let r = 0; r < settings.rounds; r++) {
      const order = r % 2 === 0 ? timers : [...timers].reverse();
      for (const [name, timer] of order) {
        for (let i = 0; i < settings.runsPerRound; i++) {
          times.get(name)!.push(await timer.runOnce());
        }
      }
    }
    return new Map([...times].map(([name, us]) => [name, median(us)]));
  } finally {
    timers.forEach(([, t]) => t.delete());
  }
}
