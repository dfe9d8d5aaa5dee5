/**
 * Seeded fuzzing of everything that reads .tflite bytes: mutations and
 * truncations of files the library wrote go through readModel, inspect, the
 * CLI's inspect and Interpreter.create (and invoke, when it accepts one), and
 * after each a valid model must still compile and give its reference output
 * in the same process. Any crash other than a named rejection, any hang (each LiteRT call
 * has a time limit) or any wrong answer afterwards fails the test.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import seedrandom from 'seedrandom';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {runCli} from '../../src/cli/cli.js';
import {ValueError} from '../../src/errors.js';
import {Interpreter, LiteRtCrash, LiteRtError} from '../../src/tflite/interpreter.js';
import {formatSummary, inspect} from '../../src/tflite/inspect.js';
import {runtimeRestarts, TYPED_ARRAYS} from '../../src/tflite/litert_loader.js';
import {readModel} from '../../src/tflite/reader.js';
import {writeModel} from '../../src/tflite/writer.js';
import {denseWeights, int8DenseModel, int8DenseParams, randomFloats} from './hand_built_models.js';

/** FUZZ_MUTANTS and FUZZ_SEED run a longer or another search (e.g. 10,000 mutants take about 25 s). */
const MUTANTS = Number(process.env.FUZZ_MUTANTS ?? 2000);
/** Every this many mutants also go through the CLI (a file on disk each). */
const CLI_EVERY = 10;
/** Per LiteRT call: generous for a slow machine, yet a hang ends the test instead of the suite's limit. */
const TIMEOUT_MS = 60_000;

/** A small conv net converted in three modes: the kinds of file users run. */
async function convertedFiles(): Promise<Uint8Array[]> {
  const model = tfl.sequential({layers: [
    tfl.layers.conv2d({inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu',
      kernelInitializer: tfl.initializers.glorotUniform({seed: 1})}),
    tfl.layers.maxPooling2d({poolSize: 2}),
    tfl.layers.flatten(),
    tfl.layers.dense({units: 3, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({seed: 2})}),
  ]});
  const samples = tf.split(tf.randomUniform([16, 8, 8, 1], 0, 1, 'float32', 3), 16);
  const files: Uint8Array[] = [];
  for (const mode of ['int8', 'float16', 'dynamic'] as const) {
    const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(model);
    converter.optimizations = [tfmot.tflite.Optimize.DEFAULT];
    if (mode === 'int8') {
      converter.representativeDataset = () => samples;
    } else if (mode === 'float16') {
      converter.targetSpec.supportedTypes = ['float16'];
    }
    files.push(await converter.convert());
  }
  tf.dispose(samples);
  model.dispose();
  return files;
}

type Outcome = 'ran'|'refused by the reader'|'refused as unrunnable'|'refused by LiteRT'|'LiteRT errors'|
    'LiteRT crashed';

/** What Interpreter.create did with `bytes`; any other kind of error is rethrown (a test failure). */
async function create(bytes: Uint8Array): Promise<{outcome: Outcome, message?: string}> {
  try {
    const interpreter = await Interpreter.create(bytes, {timeoutMs: TIMEOUT_MS});
    try {
      for (const input of interpreter.getInputDetails()) {
        const size = input.shape.reduce((a, b) => a * b, 1);
        interpreter.setTensor(input.index, new TYPED_ARRAYS[input.dtype](size));
      }
      await interpreter.invoke();
    } finally {
      interpreter.dispose();
    }
    return {outcome: 'ran'};
  } catch (e) {
    const message = (e as Error).message;
    if (e instanceof LiteRtCrash) {
      return {outcome: 'LiteRT crashed', message};
    }
    if (e instanceof LiteRtError) {
      return {outcome: 'LiteRT errors', message};
    }
    if (e instanceof ValueError) {
      return {outcome: /not a valid TFLite file: readModel: \S.*: \S/.test(message) ? 'refused by the reader' :
        'refused as unrunnable', message};
    }
    if (e instanceof Error && /^Interpreter.create: LiteRT could not load\/compile the model: \S/.test(message)) {
      return {outcome: 'refused by LiteRT', message};
    }
    throw e;
  }
}

/** One mutant: 1 to 4 random bytes overwritten, or the file cut short. */
function mutate(file: Uint8Array, random: () => number): Uint8Array {
  if (random() < 0.15) {
    return file.slice(0, Math.floor(random() * file.length));
  }
  const bytes = file.slice();
  const count = 1 + Math.floor(random() * 4);
  for (let k = 0; k < count; k++) {
    bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
  }
  return bytes;
}

describe('hostile .tflite files', () => {
  let files: Uint8Array[];
  let probe: Uint8Array;
  let reference: Float32Array;
  let dir: string;
  const x = randomFloats(16, 8);

  beforeAll(async () => {
    await tfmot.backend.init();
    const w = denseWeights(6, 16, 21);
    probe = writeModel(int8DenseModel(w, int8DenseParams(w, [-1, 1], [-3, 2.5]), true));
    files = [probe, ...await convertedFiles()];
    reference = await probeOutput();
    dir = mkdtempSync(join(tmpdir(), 'tfmot-fuzz-'));
  });

  afterAll(() => {
    if (dir != null) {
      rmSync(dir, {recursive: true, force: true});
    }
  });

  /** The probe model's output on `x`, from a fresh interpreter. */
  async function probeOutput(): Promise<Float32Array> {
    const interpreter = await Interpreter.create(probe, {timeoutMs: TIMEOUT_MS});
    try {
      interpreter.setTensor(interpreter.getInputDetails()[0].index, x);
      await interpreter.invoke();
      return interpreter.getTensor(interpreter.getOutputDetails()[0].index) as Float32Array;
    } finally {
      interpreter.dispose();
    }
  }

  it(`${MUTANTS} mutants: every one refused with a reason or run, and a valid model runs right after each`,
      async () => {
        const random = seedrandom(process.env.FUZZ_SEED ?? 'hostile files');
        const counts: Record<string, number> = {};
        const restartsBefore = runtimeRestarts();
        let poisoned = 0;
        for (let i = 0; i < MUTANTS; i++) {
          const bytes = mutate(files[i % files.length], random);
          // The reader and inspect either parse or name the problem.
          let parsed = true;
          try {
            readModel(bytes);
            formatSummary(inspect(bytes));
          } catch (e) {
            expect(e, String(e)).toBeInstanceOf(ValueError);
            expect((e as Error).message).toMatch(/^(readModel|inspect)\b.*: \S/);
            parsed = false;
          }
          if (i % CLI_EVERY === 0) {
            const path = join(dir, `mutant${i}.tflite`);
            writeFileSync(path, bytes);
            let stderr = '';
            const code = await runCli(['inspect', path], {stdout: () => undefined, stderr: (t) => stderr += t});
            expect(code, stderr).toBe(parsed ? 0 : 1);
          }
          const {outcome, message} = await create(bytes);
          counts[outcome] = (counts[outcome] ?? 0) + 1;
          if (outcome !== 'ran') {
            expect(message).toMatch(/^(Interpreter\.create|invoke): \S.{10,}/s);
          }
          const output = await probeOutput();
          if (String(output) !== String(reference)) {
            poisoned++;
          }
        }
        console.log(`hostile files: ${MUTANTS} mutants, outcomes ${JSON.stringify(counts)}, LiteRT restarts ` +
            `${runtimeRestarts() - restartsBefore}, poisoned runs ${poisoned}`);
        expect(poisoned).toBe(0);
        expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(MUTANTS);
      });
});
