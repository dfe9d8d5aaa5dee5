/**
 * The `tfjs-model-optimization` CLI (src/cli): `inspect` and `convert`, their
 * output files checked with tfmot.tflite.inspect, and the error paths.
 *
 * Most cases call `runCli` in-process (fast); a few spawn the real
 * executable, src/cli/main.ts under tsx, to check exit codes, the streams
 * and that the process ends by itself. dist/ is not used: it can be older
 * than src/ while developing.
 */
import {execFile} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {runCli, USAGE} from '../../src/cli/cli.js';
import * as tfmot from '../../src/index.js';
import {HANG_LIMIT_MS} from '../helpers/limits.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the executable as a user would (node + tsx instead of the built file); a hung run is killed (code -1). */
function spawnCli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], {cwd: ROOT, timeout: HANG_LIMIT_MS / 2},
        (error, stdout, stderr) => {
          const code = error == null ? 0 : typeof error.code === 'number' ? error.code : -1;
          resolve({code, stdout, stderr});
        });
  });
}

/** Runs `runCli` in this process, collecting what it writes. */
async function cli(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {stdout: (t) => stdout += t, stderr: (t) => stderr += t});
  return {code, stdout, stderr};
}

const summaryOf = (file: string) => tfmot.tflite.inspect(new Uint8Array(readFileSync(file)));
const opNames = (file: string) => summaryOf(file).operators.map((o) => o.opName);
const tensorType = (file: string, name: string) => {
  const found = summaryOf(file).tensors.filter((t) => t.name === name);
  expect(found, `tensor ${name}`).toHaveLength(1);
  return found[0].type;
};

describe('tfjs-model-optimization CLI', () => {
  let dir: string;
  let floatDir: string;
  let qatDir: string;
  let floatTflite: string;

  beforeAll(async () => {
    await tfmot.backend.init();
    dir = mkdtempSync(join(tmpdir(), 'tfmot-cli-'));
    const {train} = tfmot.data.loadMnist({numTrain: 256, numTest: 0, seed: 3});
    const labels = tfmot.data.oneHotLabels(train.ys);
    const model = tfmot.data.mnistTutorialModel({seed: 3});
    const compile = (m: tfl.LayersModel) =>
      m.compile({optimizer: 'adam', loss: tfmot.data.categoricalCrossentropyFromLogits});
    compile(model);
    await model.fit(train.xs, labels, {epochs: 1, batchSize: 32, verbose: 0});
    floatDir = join(dir, 'float');
    await model.save(tfmot.io.fileSystem(floatDir));
    // A few QAT steps so the saved ranges are learned ones.
    const qat = tfmot.quantization.quantizeModel(model);
    compile(qat);
    await qat.fit(train.xs, labels, {epochs: 1, batchSize: 32, verbose: 0});
    qatDir = join(dir, 'qat');
    await qat.save(tfmot.io.fileSystem(qatDir));
    floatTflite = join(dir, 'mnist.tflite');
    writeFileSync(floatTflite, await tfmot.tflite.TFLiteConverter.fromLayersModel(model).convert());
    tf.dispose([train.xs, train.ys, labels]);
    model.dispose();
    qat.dispose();
  });

  afterAll(() => {
    rmSync(dir, {recursive: true, force: true});
  });

  it('inspect prints the ops and tensors of a converted MNIST model (spawned, exit 0)', async () => {
    const run = await spawnCli(['inspect', floatTflite]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const op of ['CONV_2D', 'MAX_POOL_2D', 'FULLY_CONNECTED']) {
      expect(run.stdout).toContain(op);
    }
    expect(run.stdout).toContain('conv2d_Conv2D');
    expect(run.stdout).toContain(`${statSync(floatTflite).size} bytes`);
  });

  it('convert writes float32 (default), float16 and dynamic range files', async () => {
    const f32 = join(dir, 'out', 'f32.tflite');
    const f16 = join(dir, 'out', 'f16.tflite');
    const dyn = join(dir, 'out', 'dynamic.tflite');
    const r32 = await cli(['convert', join(floatDir, 'model.json'), '--out', f32]);
    const r16 = await cli(['convert', floatDir, '--out', f16, '--float16']);
    const rDyn = await cli(['convert', floatDir, '-o', dyn, '--dynamic']);
    for (const r of [r32, r16, rDyn]) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    const size = (f: string) => statSync(f).size;
    expect(r32.stdout).toContain(`${size(f32)} bytes`);
    expect(r32.stdout).toContain('float32');
    expect(r16.stdout).toContain('float16');
    expect(rDyn.stdout).toContain('dynamicRange');

    expect(opNames(f32)).toEqual(['CONV_2D', 'MAX_POOL_2D', 'FULLY_CONNECTED']);
    expect(tensorType(f32, 'dense_Dense1/kernel')).toBe('FLOAT32');

    // float16: fp16 weights dequantized to float32 inside the model.
    expect(opNames(f16).filter((o) => o === 'DEQUANTIZE')).toHaveLength(4);
    expect(tensorType(f16, 'dense_Dense1/kernel/fp16')).toBe('FLOAT16');
    expect(tensorType(f16, 'conv2d_Conv2D1/kernel/fp16')).toBe('FLOAT16');
    expect(size(f16) / size(f32)).toBeLessThan(0.53);

    // dynamic range: int8 dense weights, float activations (the 108-weight
    // conv kernel stays float, below TFLite's 1024-element threshold).
    expect(opNames(dyn)).toEqual(['CONV_2D', 'MAX_POOL_2D', 'FULLY_CONNECTED']);
    expect(tensorType(dyn, 'dense_Dense1/kernel')).toBe('INT8');
    expect(tensorType(dyn, 'dense_Dense1/out')).toBe('FLOAT32');
    expect(size(dyn) / size(f32)).toBeLessThan(0.3);
  });

  it('convert makes full int8 from a saved QAT model by default (spawned)', async () => {
    const out = join(dir, 'qat.tflite');
    const run = await spawnCli(['convert', qatDir, '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('int8');
    const summary = summaryOf(out);
    expect(summary.operators.map((o) => o.opName)).toEqual(
        ['QUANTIZE', 'CONV_2D', 'MAX_POOL_2D', 'FULLY_CONNECTED', 'DEQUANTIZE']);
    const byName = new Map(summary.tensors.map((t) => [t.name, t]));
    for (const name of ['conv2d_Conv2D1/kernel', 'dense_Dense1/kernel', 'conv2d_Conv2D1/out', 'dense_Dense1/out']) {
      expect(byName.get(name)?.type, name).toBe('INT8');
      expect(byName.get(name)?.quantization, name).toBeDefined();
    }
    expect(byName.get('dense_Dense1/bias')?.type).toBe('INT32');
    // float32 in and out by default.
    expect(summary.tensors[summary.inputs[0]].type).toBe('FLOAT32');
    expect(summary.tensors[summary.outputs[0]].type).toBe('FLOAT32');
    expect(summary.fileBytes / statSync(floatTflite).size).toBeLessThan(0.3);
  });

  it('a QAT model also converts with --float16 and --float32, but refuses --dynamic', async () => {
    const f16 = join(dir, 'qat16.tflite');
    const f32 = join(dir, 'qat32.tflite');
    expect((await cli(['convert', qatDir, '--out', f16, '--float16'])).code).toBe(0);
    expect(tensorType(f16, 'dense_Dense1/kernel/fp16')).toBe('FLOAT16');
    expect((await cli(['convert', qatDir, '--out', f32, '--float32'])).code).toBe(0);
    expect(opNames(f32)).toEqual(['CONV_2D', 'MAX_POOL_2D', 'FULLY_CONNECTED']);
    const run = await cli(['convert', qatDir, '--out', join(dir, 'never.tflite'), '--dynamic']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--dynamic applies to float models');
    expect(() => statSync(join(dir, 'never.tflite'))).toThrow();
  });

  it('a missing file is one error line and exit 1, no stack trace (spawned)', async () => {
    const missing = join(dir, 'missing.tflite');
    const run = await spawnCli(['inspect', missing]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toBe(`tfjs-model-optimization: error: cannot read '${missing}': no such file.`);

    const model = await cli(['convert', join(dir, 'nowhere'), '--out', join(dir, 'x.tflite')]);
    expect(model.code).toBe(1);
    expect(model.stderr).toMatch(/^tfjs-model-optimization: error: Cannot load a model from .*nowhere.*no such file/);
    expect(model.stderr).not.toMatch(/\n\s+at /);
  });

  it('corrupt or truncated .tflite files are reported, exit 1', async () => {
    const garbage = join(dir, 'garbage.tflite');
    writeFileSync(garbage, 'this is not a flatbuffer at all, just text');
    const truncated = join(dir, 'truncated.tflite');
    writeFileSync(truncated, readFileSync(floatTflite).subarray(0, 1000));
    for (const file of [garbage, truncated]) {
      const run = await cli(['inspect', file]);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^tfjs-model-optimization: error: readModel: /);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
    const notJson = await cli(['convert', garbage, '--out', join(dir, 'x.tflite')]);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toContain('Cannot read model JSON');
  });

  /** A copy of the saved float model in `name`, its model.json and model.weights.bin edited. */
  const variant = (name: string, editJson: (json: {modelTopology: Record<string, unknown>}) => void,
      editWeights: (bytes: Buffer) => Uint8Array = (b) => b) => {
    const copy = join(dir, name);
    mkdirSync(copy, {recursive: true});
    const json = JSON.parse(readFileSync(join(floatDir, 'model.json'), 'utf8')) as {modelTopology: Record<string, unknown>};
    editJson(json);
    writeFileSync(join(copy, 'model.json'), JSON.stringify(json));
    writeFileSync(join(copy, 'model.weights.bin'), editWeights(readFileSync(join(floatDir, 'model.weights.bin'))));
    return copy;
  };

  it('a model.json tfjs cannot load is one short error line naming the file, exit 1', async () => {
    const unknownLayer = variant('unknown_layer', (json) => {
      const {config} = json.modelTopology as {config: {layers: Array<{class_name: string}>}};
      config.layers[0].class_name = 'Frobnicate';
    });
    const noClassName = variant('no_class_name', (json) => delete json.modelTopology.class_name);
    for (const [model, detail] of [[unknownLayer, /: Unknown layer: Frobnicate\.$/],
      [noClassName, /: layer: Improper config format: \{"config":.*…$/]] as const) {
      const run = await cli(['convert', model, '--out', join(dir, 'x.tflite')]);
      expect(run.code).toBe(1);
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`tfjs-model-optimization: error: cannot load the model in '${join(model, 'model.json')}'`);
      expect(lines[0]).toMatch(detail);
      expect(lines[0].length).toBeLessThan(400);
    }
  });

  it('a truncated or overlong weights file is named, with the bytes expected, exit 1', async () => {
    const truncated = variant('truncated_weights', () => {}, (bytes) => bytes.subarray(0, 100));
    const expected = statSync(join(floatDir, 'model.weights.bin')).size;
    const run = await cli(['convert', join(truncated, 'model.json'), '--out', join(dir, 'x.tflite')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`tfjs-model-optimization: error: '${join(truncated, 'model.weights.bin')}' holds 100 ` +
        `bytes but '${join(truncated, 'model.json')}' describes ${expected} bytes of weights (truncated, or not ` +
        'this model\'s weights).\n');
    // Extra bytes at the end are not this model's weights either: refused, nothing written.
    const longer = variant('longer_weights', () => {}, (bytes) => Buffer.concat([bytes, Buffer.alloc(8)]));
    const long = await cli(['convert', longer, '--out', join(dir, 'longer.tflite')]);
    expect(long.code).toBe(1);
    expect(long.stderr).toContain(`holds ${expected + 8} bytes but '${join(longer, 'model.json')}' describes ` +
        `${expected} bytes of weights: more than the model uses`);
    expect(existsSync(join(dir, 'longer.tflite'))).toBe(false);
  });

  it('a model without parameters converts and says so (no "Infinityx")', async () => {
    const model = tfl.sequential({layers: [tfl.layers.flatten({inputShape: [4, 4, 2]}),
      tfl.layers.activation({activation: 'relu'})]});
    const saved = join(dir, 'no_params');
    await model.save(tfmot.io.fileSystem(saved));
    model.dispose();
    const out = join(dir, 'no_params.tflite');
    const run = await cli(['convert', saved, '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`Wrote ${out} (float32: float32 weights and compute): ${statSync(out).size} bytes, ` +
        'the model has no parameters.\n');
  });

  it('convert creates missing directories of --out, and names a path that cannot be one', async () => {
    const nested = join(dir, 'a', 'b', 'c', 'nested.tflite');
    expect((await cli(['convert', floatDir, '--out', nested])).code).toBe(0);
    expect(opNames(nested)).toEqual(['CONV_2D', 'MAX_POOL_2D', 'FULLY_CONNECTED']);
    const underFile = join(floatTflite, 'sub', 'x.tflite');
    const run = await cli(['convert', floatDir, '--out', underFile]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^tfjs-model-optimization: error: cannot write '${underFile}': .*not a directory`));
  });

  it.skipIf(!existsSync('/proc/self'))('convert --out under /proc fails with one line instead of hanging (spawned)', async () => {
    // Node's mkdir({recursive: true}) never returns for /proc/nope.
    const run = await spawnCli(['convert', floatDir, '--out', '/proc/nope/x.tflite']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe("tfjs-model-optimization: error: cannot write '/proc/nope/x.tflite': cannot create the " +
        "directory '/proc/nope': ENOENT: no such file or directory, mkdir '/proc/nope'\n");
  });

  it('unknown flags and commands print the usage and exit 2 (spawned)', async () => {
    const run = await spawnCli(['convert', floatDir, '--out', join(dir, 'x.tflite'), '--int4']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Unknown option '--int4'");
    expect(run.stderr).toContain(USAGE);
    expect(run.stdout).toBe('');
    for (const args of [['frobnicate'], ['--verbose'], ['inspect', floatTflite, '--out', 'x'],
      ['inspect'], ['inspect', 'a', 'b'], ['convert', floatDir, '--out']]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain('Usage:');
    }
  });

  it('convert without --out, or with two modes, is a usage error (exit 2, nothing written)', async () => {
    const noOut = await cli(['convert', floatDir]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain('convert needs --out <file.tflite>');
    const two = await cli(['convert', floatDir, '--out', join(dir, 'two.tflite'), '--float16', '--dynamic']);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('choose one of --float16, --dynamic, --float32');
    expect(() => statSync(join(dir, 'two.tflite'))).toThrow();
  });

  it('--help and no arguments print the usage, exit 0', async () => {
    for (const args of [[], ['--help'], ['-h'], ['convert', '--help'], ['inspect', '-h']]) {
      const run = await cli(args);
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout).toBe(USAGE);
      expect(run.stderr).toBe('');
    }
    expect(USAGE).toContain('QAT model');
    expect(USAGE).toMatch(/full int8/);
  });

  it('package.json declares the bin, and the entry has a node shebang', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {bin: Record<string, string>};
    expect(pkg.bin).toEqual({'tfjs-model-optimization': 'dist/src/cli/main.js'});
    expect(readFileSync(MAIN, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });
});
