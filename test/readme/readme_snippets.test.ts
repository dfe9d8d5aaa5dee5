/**
 * The README's code snippets run as written: quick start (QAT, int8 export,
 * LiteRT check), plot, pruning, clustering, collaborative optimization,
 * report, TFLite export and CLI. (Its install and npm-script lines are what
 * CI runs; the notebooks are executed by `npm run notebooks`.)
 *
 * A code block preceded by `<!-- snippet: NAME -->` is executed: ```ts blocks
 * named `group/1`, `group/2`, ... are joined in order into one module (so
 * later blocks continue earlier ones), with `'tfjs-model-optimization'`
 * pointing at src/node.ts (the Node entry), written under tmp/ (gitignored) and imported with a temporary
 * directory as the working directory. ```sh blocks run their
 * `npx tfjs-model-optimization ...` lines through the CLI. The README's
 * `--help` text and its list of convertible layers must match the code.
 */
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest';

import {README_BEGIN, README_END, readmeBenchmarkTable} from '../../bench/readme_summary.js';
import {runCli, USAGE} from '../../src/cli/cli.js';
import * as tfmot from '../../src/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const SNIPPET_DIR = join(ROOT, 'tmp', 'readme-snippets');

interface Snippet {
  name: string;
  lang: string;
  code: string;
}

function snippets(): Snippet[] {
  const found: Snippet[] = [];
  for (const m of README.matchAll(/<!-- snippet: ([\w/-]+) -->\n```(\w+)\n([\s\S]*?)```/g)) {
    found.push({name: m[1], lang: m[2], code: m[3]});
  }
  return found;
}

/** The ts blocks of `group`, joined in order, importing the library from src/. */
function moduleOf(group: string): string {
  const parts = snippets().filter((s) => s.lang === 'ts' && s.name.startsWith(`${group}/`));
  expect(parts.map((s) => s.name)).toEqual(parts.map((_, i) => `${group}/${i + 1}`));
  // Relative to SNIPPET_DIR, so vitest maps it to src/node.ts: Node resolves the package to its Node entry.
  return parts.map((s) => s.code).join('\n').replaceAll(`'tfjs-model-optimization'`, `'../../src/node.js'`);
}

/** Layer names count up per process (dense_Dense1, dense_Dense2, ...): compare without the count. */
const uncounted = (name: string) => name.replace(/(Dense|Conv2D)\d+/g, '$1');
const typeOf = (file: string, name: string) => tfmot.tflite.inspect(new Uint8Array(readFileSync(file))).tensors
    .find((t) => uncounted(t.name) === uncounted(name))?.type;

describe('README snippets', () => {
  let cwd: string;
  const startDir = process.cwd();

  beforeAll(async () => {
    await tfmot.backend.init();
    cwd = mkdtempSync(join(tmpdir(), 'tfmot-readme-'));
    mkdirSync(SNIPPET_DIR, {recursive: true});
  });

  afterAll(() => {
    process.chdir(startDir);
    rmSync(cwd, {recursive: true, force: true});
  });

  it('has the snippets this test expects', () => {
    expect(snippets().map((s) => s.name)).toEqual(['qat/1', 'qat/2', 'plot/1', 'optimize/1', 'optimize/2',
      'optimize/3', 'optimize/4', 'optimize/5', 'optimize/6', 'export/1', 'export/2', 'export/3', 'optimize/7', 'cli']);
  });

  /** Imports the joined ts blocks of `group` with the temporary directory as cwd; returns what they console.log'ged. */
  async function runGroup(group: string): Promise<unknown[][]> {
    const file = join(SNIPPET_DIR, `${group}.ts`);
    writeFileSync(file, moduleOf(group));
    const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
    process.chdir(cwd);
    try {
      await import(pathToFileURL(file).href);
      return [...spy.mock.calls];
    } finally {
      process.chdir(startDir);
      spy.mockRestore();
    }
  }

  it('"Quick start" trains, saves, converts and checks the int8 file in LiteRT', async () => {
    const logged = await runGroup('qat');
    const accuracy = logged.find(([v]) => typeof v === 'number')?.[0] as number;
    expect(accuracy).toBeGreaterThan(0.8);  // 2000 digits, 1+1 epochs: about 0.9
    expect(logged.some(([shape, dtype]) => JSON.stringify(shape) === '[1,28,28,1]' && dtype === 'float32')).toBe(true);
    expect(typeOf(join(cwd, 'qat_int8.tflite'), 'dense_Dense1/kernel')).toBe('INT8');
    expect(statSync(join(cwd, 'out/qat_model/model.json')).isFile()).toBe(true);
  });

  it('"Notebooks" plot snippet prints a table and makes an SVG', async () => {
    const logged = await runGroup('plot');
    expect(logged[0][0]).toBe(tfmot.plot.textTable(['file', 'bytes', 'LiteRT accuracy %'],
        [['float32', 82912, 92.65], ['int8 (QAT)', 22688, 93.30]]));
    expect(logged[1][0]).toBe(true);
  });

  it('"Export to TFLite" runs and writes the files it says', async () => {
    const before = tf.memory().numTensors;
    const logged = await runGroup('export');
    // The printed op list is the one the snippet's comment shows.
    expect(logged.some(([v]) => JSON.stringify(v) ===
        JSON.stringify(['CONV_2D', 'MAX_POOL_2D', 'FULLY_CONNECTED']))).toBe(true);
    expect(logged.some(([v]) => typeof v === 'string' && v.startsWith('TFLite model'))).toBe(true);

    const at = (f: string) => join(cwd, f);
    expect(typeOf(at('model.tflite'), 'dense_Dense1/kernel')).toBe('FLOAT32');
    expect(typeOf(at('model_f16.tflite'), 'dense_Dense1/kernel/fp16')).toBe('FLOAT16');
    expect(typeOf(at('model_dynamic.tflite'), 'dense_Dense1/kernel')).toBe('INT8');
    const int8 = tfmot.tflite.inspect(new Uint8Array(readFileSync(at('model_int8.tflite'))));
    expect(int8.tensors[int8.inputs[0]].type).toBe('INT8');
    expect(int8.tensors[int8.outputs[0]].type).toBe('INT8');
    expect(typeOf(at('model_qat_int8.tflite'), 'dense_Dense1/kernel')).toBe('INT8');
    expect(statSync(at('my_model/model.json')).isFile()).toBe(true);
    expect(statSync(at('my_qat_model/model.weights.bin')).isFile()).toBe(true);
    // The snippet leaves its data and models alive, as a script would; the
    // converter itself must not add to them.
    expect(tf.memory().numTensors - before).toBeLessThan(100);
  });

  it('"Pruning", "Clustering", "Collaborative optimization" and "Report" run and print what they say', async () => {
    const logged = await runGroup('optimize');
    // The values the snippets' comments show.
    expect(logged.some(([v]) => v === '0.80')).toBe(true);
    expect(logged.some(([v]) => v === 'InputLayer PruneLowMagnitude MaxPooling2D Flatten PruneLowMagnitude')).toBe(true);
    expect(logged.some(([a, b]) => a === 10210 && b === 20410)).toBe(true);
    expect(logged.some(([v]) => typeof v === 'string' && v.startsWith('LayersModel'))).toBe(true);
    expect(logged.some(([v]) => typeof v === 'string' && v.startsWith('TFLite file'))).toBe(true);
    expect(readdirSync(join(cwd, 'prune_logs')).length).toBeGreaterThan(0);

    const pruned = tfmot.report(new Uint8Array(readFileSync(join(cwd, 'pruned_int8.tflite'))));
    const pcqat = tfmot.report(new Uint8Array(readFileSync(join(cwd, 'pcqat_int8.tflite'))));
    const kernels = (r: tfmot.ModelReport) => r.layers.map((l) => l.weights[0]);
    for (const k of kernels(pruned)) {
      expect(k.type, k.name).toBe('INT8');
      expect(k.sparsity, k.name).toBeGreaterThanOrEqual(0.79);
    }
    for (const k of kernels(pcqat)) {
      expect(k.type, k.name).toBe('INT8');
      expect(k.sparsity, k.name).toBeGreaterThanOrEqual(0.79);
      expect(k.maxDistinctPerChannel, k.name).toBeLessThanOrEqual(8);
    }
    expect(pcqat.gzippedBytes).toBeLessThan(pruned.gzippedBytes);
  });

  it('"Command line" runs (after the export snippet saved its models)', async () => {
    const [cli] = snippets().filter((s) => s.name === 'cli');
    const commands = cli.code.split('\n').filter((l) => l.startsWith('npx tfjs-model-optimization '));
    expect(commands.length).toBeGreaterThanOrEqual(3);
    process.chdir(cwd);
    try {
      for (const command of commands) {
        let out = '';
        let err = '';
        const code = await runCli(command.split(/\s+/).slice(2),
            {stdout: (t) => out += t, stderr: (t) => err += t});
        expect(err, command).toBe('');
        expect(code, command).toBe(0);
        expect(out.length, command).toBeGreaterThan(0);
      }
    } finally {
      process.chdir(startDir);
    }
    expect(typeOf(join(cwd, 'model_qat.tflite'), 'dense_Dense1/kernel')).toBe('INT8');
    expect(typeOf(join(cwd, 'model_dynamic.tflite'), 'dense_Dense1/kernel')).toBe('INT8');
  });

  it('shows the CLI\'s current --help text', () => {
    const block = README.match(/<!-- cli-usage -->\n```text\n([\s\S]*?)```/);
    expect(block?.[1]).toBe(USAGE);
  });

  it('lists exactly tfmot.tflite.TFLITE_OPERATORS', () => {
    const block = README.match(/<!-- tflite-operators -->\n([\s\S]*?)\n<!-- \/tflite-operators -->/);
    expect(block?.[1].split(/,\s*/)).toEqual([...tfmot.tflite.TFLITE_OPERATORS]);
  });

  it('shows the benchmark ratios of the committed BENCHMARKS.md', () => {
    const block = README.slice(README.indexOf(README_BEGIN) + README_BEGIN.length + 1, README.indexOf(README_END));
    // When this fails, run `npm run bench` (it rewrites both).
    expect(block.trim()).toBe(readmeBenchmarkTable(readFileSync(join(ROOT, 'BENCHMARKS.md'), 'utf8')));
  });

  it('lists exactly tfmot.tflite.CONVERTIBLE_LAYERS', () => {
    const block = README.match(/<!-- convertible-layers -->\n([\s\S]*?)\n<!-- \/convertible-layers -->/);
    // When this fails, update the list in README.md ("Export to TFLite").
    expect(block?.[1].split(/,\s*/)).toEqual(tfmot.tflite.CONVERTIBLE_LAYERS);
  });

  it('has every convertible layer in its layer-by-mode table', () => {
    const table = README.match(/<!-- layer-table -->\n([\s\S]*?)\n<!-- \/layer-table -->/)?.[1] ?? '';
    // `MaxPooling1D/2D` stands for both dimensions.
    const named = new Set([...table.matchAll(/`(\w+?)(\d)D\/(\d)D`|`(\w+)`/g)].flatMap((m) =>
      m[4] != null ? [m[4]] : [`${m[1]}${m[2]}D`, `${m[1]}${m[3]}D`]));
    expect(tfmot.tflite.CONVERTIBLE_LAYERS.filter((c) => !named.has(c))).toEqual([]);
  });
});
