/**
 * Latency of exported files in LiteRT (Google's TFLite runtime, as LiteRT.js:
 * @litertjs/core) from Node, through `tfmot.tflite.Interpreter`.
 *
 * @litertjs/core is an optional peer dependency of the library (a
 * devDependency here): only `Interpreter` needs it.
 */
import * as tfmot from 'tfjs-model-optimization';

import {median} from './timing.js';

/** A compiled model with a fixed input, for timing single inferences. */
export interface InferenceTimer {
  /** Runs once; returns the wall time in microseconds. */
  runOnce(): Promise<number>;
  delete(): void;
}

/** A fixed input in the input tensor's type: smooth values in [0, 1], quantized if the input is. */
function fixedInput(input: tfmot.tflite.TensorDetails): tfmot.tflite.TfliteTypedArray {
  const size = input.shape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({length: size}, (_, i) => Math.sin(i) * 0.5 + 0.5);
  if (input.dtype === 'float32') {
    return x;
  }
  const ranges: Record<string, [number, number, new (n: number) => Int8Array|Uint8Array|Int16Array]> =
      {int8: [-128, 127, Int8Array], uint8: [0, 255, Uint8Array], int16: [-32768, 32767, Int16Array]};
  if (ranges[input.dtype] == null) {
    throw new Error(`input type ${input.dtype} is not handled`);
  }
  const [lo, hi, Type] = ranges[input.dtype];
  const {scale, zeroPoint} = input.quantization;
  const out = new Type(size);
  x.forEach((v, i) => out[i] = Math.max(lo, Math.min(hi, Math.round(v / scale) + zeroPoint)));
  return out;
}

/**
 * Compiles `bytes` (1 thread, XNNPACK) and sets a fixed input of the model's
 * input type. A timed run is `invoke()`: LiteRT.js's per-call tensor-buffer
 * setup and copies, as a user's call would.
 */
export async function openTimer(bytes: Uint8Array): Promise<InferenceTimer> {
  const interpreter = await tfmot.tflite.Interpreter.create(bytes);
  const [input] = interpreter.getInputDetails();
  interpreter.setTensor(input.index, fixedInput(input));
  return {
    async runOnce() {
      const start = performance.now();
      await interpreter.invoke();
      return (performance.now() - start) * 1000;
    },
    delete: () => interpreter.dispose(),
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
