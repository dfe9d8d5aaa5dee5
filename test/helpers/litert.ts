/**
 * Runs .tflite bytes in Google's runtime (LiteRT.js) from tests, at a lower
 * level than `tfmot.tflite.Interpreter`: inputs in LiteRT's signature order,
 * and a model that fails to prepare returns its log instead of throwing, so
 * tests can assert on the ERROR lines themselves. The loader is the library's
 * (src/tflite/litert_loader.ts); it loads once per process (vitest runs each
 * test file in its own fork).
 */
import {expect} from 'vitest';

import type {TfliteDType, TfliteTypedArray} from '../../src/tflite/interpreter.js';
import {liteRtErrors, logLength, logSince, openSession, TYPED_ARRAYS} from '../../src/tflite/litert_loader.js';
import {readModel} from '../../src/tflite/reader.js';
import {checkRunnable} from '../../src/tflite/runnable.js';

export {liteRtErrors, runtimeHeapBytes} from '../../src/tflite/litert_loader.js';

/** The element types we exchange with the runtime, named as LiteRT's `ElementType`. */
export type LiteRtTypeName = TfliteDType;

export type LiteRtTypedArray = TfliteTypedArray;

export interface LiteRtInput {
  data: LiteRtTypedArray;
  /** Must equal the model's input shape (no resizing). */
  shape: number[];
}

export interface LiteRtOutput {
  data: LiteRtTypedArray;
  shape: number[];
  type: LiteRtTypeName;
}

export interface LiteRtResult {
  outputs: LiteRtOutput[];
  /** Everything the runtime printed while loading, compiling and running this model. */
  log: string[];
}

/** A compiled model, for running many inputs through one compilation. Call `delete()` when done. */
export interface TfliteRunner {
  /** Runs signature 0 with `inputs` in LiteRT's order (the subgraph's). */
  run(inputs: LiteRtInput[]): Promise<LiteRtOutput[]>;
  /** Everything the runtime printed since this runner was opened. */
  readonly log: string[];
  delete(): void;
}

/**
 * Loads and compiles `bytes` on the wasm CPU path with 1 thread.
 *
 * Note: a model that fails to *prepare* (bad shapes) does not throw here; the
 * runtime logs `ERROR: ...` lines and computes garbage. Check `log` with
 * `expectNoLiteRtErrors`. Garbage bytes and unknown op versions do throw.
 */
export async function openTflite(bytes: Uint8Array): Promise<TfliteRunner> {
  checkRunnableIfParsed(bytes);
  const logStart = logLength();
  const session = await openSession(bytes);
  return {
    async run(inputs) {
      if (inputs.length !== session.inputs.length) {
        throw new Error(`the model's signature has ${session.inputs.length} input(s); got ${inputs.length}`);
      }
      inputs.forEach((input, i) => {
        const {dtype, shape} = session.inputs[i];
        if (!(input.data instanceof TYPED_ARRAYS[dtype]) || String(input.shape) !== String(shape)) {
          throw new Error(`input ${i}: the model wants ${dtype} [${shape}], got ${input.data.constructor.name} ` +
              `[${input.shape}]`);
        }
      });
      const outputs = await session.run(inputs.map((input) => input.data));
      return outputs.map((data, i) => ({data, shape: [...session.outputs[i].shape], type: session.outputs[i].dtype}));
    },
    get log() {
      return logSince(logStart);
    },
    delete: () => session.delete(),
  };
}

/**
 * Every file the tests run must pass what `Interpreter.create` checks before
 * LiteRT (execution order, output shapes): the library's own files must
 * never be refused. Bytes the reader rejects go to LiteRT unchecked, for the
 * tests of LiteRT's own refusals.
 */
function checkRunnableIfParsed(bytes: Uint8Array): void {
  let model;
  try {
    model = readModel(bytes);
  } catch {
    return;
  }
  checkRunnable(model, 'the test helper');
}

/** Loads, compiles and runs `bytes` once on `inputs`, freeing everything afterwards. */
export async function runTflite(bytes: Uint8Array, inputs: LiteRtInput[]): Promise<LiteRtResult> {
  const runner = await openTflite(bytes);
  try {
    const outputs = await runner.run(inputs);
    return {outputs, log: runner.log};
  } finally {
    runner.delete();
  }
}

/** Fails the test with the runtime's error lines, if it printed any. */
export function expectNoLiteRtErrors(log: readonly string[]): void {
  expect(liteRtErrors(log), 'LiteRT reported errors').toEqual([]);
}
