/**
 * The CLI never destroys its input, never replaces an existing file without
 * --force, writes its output atomically, and `inspect` refuses what it must
 * not read (FIFOs, devices, files over --max-bytes) at once. Write failures
 * are injected into node:fs/promises: the tests run as root, where
 * read-only folders do not fail.
 */
import {execFile, spawnSync} from 'node:child_process';
import {existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync,
  writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as tfl from '@tensorflow/tfjs-layers';
import {afterAll, afterEach, beforeAll, describe, expect, it, vi} from 'vitest';

import {MAX_INSPECT_BYTES, runCli, USAGE} from '../../src/cli/cli.js';
import * as tfmot from '../../src/index.js';
import '../../src/node.js';

// The setup file loaded the Node entry with the real node:fs/promises: a fresh
// module graph (this file's imports, Node entry included) sees the mock below.
vi.hoisted(() => vi.resetModules());
import {HANG_LIMIT_MS} from '../helpers/limits.js';

const inject = vi.hoisted(() => ({failRename: null as null | Error}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    rename: async (from: string, to: string) => {
      if (inject.failRename != null) throw inject.failRename;
      return actual.rename(from, to);
    },
  };
});

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function cli(args: string[]): Promise<{code: number, stdout: string, stderr: string}> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {stdout: (t) => stdout += t, stderr: (t) => stderr += t});
  return {code, stdout, stderr};
}

const isTflite = (file: string) => tfmot.tflite.inspect(new Uint8Array(readFileSync(file))).operators.length > 0;

describe('CLI safety', () => {
  let dir: string;
  let modelDir: string;
  let tflite: string;
  /** The model folder's files and bytes, to prove nothing touched them. */
  let pristine: Map<string, Buffer>;

  beforeAll(async () => {
    await tfmot.backend.init();
    dir = mkdtempSync(join(tmpdir(), 'tfmot-cli-safety-'));
    const model = tfl.sequential({layers: [tfl.layers.dense({inputShape: [3], units: 2})]});
    modelDir = join(dir, 'model');
    await model.save(tfmot.io.fileSystem(modelDir));
    model.dispose();
    pristine = new Map(readdirSync(modelDir).map((f) => [f, readFileSync(join(modelDir, f))]));
    tflite = join(dir, 'model.tflite');
    expect((await cli(['convert', modelDir, '--out', tflite])).code).toBe(0);
  });

  afterAll(() => {
    rmSync(dir, {recursive: true, force: true});
  });

  afterEach(() => {
    inject.failRename = null;
    // Whatever a test did, the model folder holds exactly the files it was saved with.
    expect(new Map(readdirSync(modelDir).map((f) => [f, readFileSync(join(modelDir, f))]))).toEqual(pristine);
  });

  it('refuses --out onto its own model.json or weights file, even with --force', async () => {
    for (const target of ['model.json', 'model.weights.bin']) {
      for (const force of [[], ['--force']]) {
        const out = join(modelDir, target);
        const run = await cli(['convert', modelDir, '--out', out, ...force]);
        expect(run.code, `${target} ${force}`).toBe(1);
        expect(run.stderr).toBe(`tfjs-model-optimization: error: refusing to write '${out}': it is the model's ` +
            `own file '${out}'; convert never overwrites its input, even with --force. Choose another --out.\n`);
      }
    }
  });

  it('refuses its input under another spelling, through a symlink or a hard link', async () => {
    const links = join(dir, 'links');
    mkdirSync(links);
    symlinkSync(join(modelDir, 'model.json'), join(links, 'json-link.tflite'));
    symlinkSync(modelDir, join(links, 'dir-link'));
    linkSync(join(modelDir, 'model.weights.bin'), join(links, 'hard.tflite'));
    const spellings = [
      join(modelDir, '.', 'model.json'),
      `${modelDir}/../model/model.weights.bin`,
      join(links, 'json-link.tflite'),
      join(links, 'dir-link', 'model.json'),
      join(links, 'hard.tflite'),
    ];
    for (const out of spellings) {
      const run = await cli(['convert', join(links, 'dir-link'), '--out', out, '--force']);
      expect(run.code, out).toBe(1);
      expect(run.stderr, out).toContain('convert never overwrites its input, even with --force');
    }
  });

  it('refuses an existing --out without --force, replaces it with --force', async () => {
    const out = join(dir, 'existing.tflite');
    writeFileSync(out, 'precious');
    const refused = await cli(['convert', modelDir, '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`tfjs-model-optimization: error: '${out}' already exists; pass --force to ` +
        'replace it.\n');
    expect(readFileSync(out, 'utf8')).toBe('precious');
    const forced = await cli(['convert', modelDir, '-o', out, '--force']);
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    expect(isTflite(out)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a directory as --out, even with --force', async () => {
    const run = await cli(['convert', modelDir, '--out', dir, '--force']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot write '${dir}': it is a directory`);
  });

  it('a failed write leaves no file (nor a partial one) and names the path', async () => {
    const out = join(dir, 'failed', 'x.tflite');
    inject.failRename = Object.assign(new Error('ENOSPC: no space left on device, rename'), {code: 'ENOSPC'});
    const run = await cli(['convert', modelDir, '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`tfjs-model-optimization: error: cannot write '${out}': ENOSPC: no space left on ` +
        'device, rename\n');
    expect(readdirSync(dirname(out))).toEqual([]);

    // Over an existing file with --force: the old file stays whole.
    const existing = join(dir, 'kept.tflite');
    writeFileSync(existing, readFileSync(tflite));
    const over = await cli(['convert', modelDir, '--out', existing, '--force', '--float16']);
    expect(over.code).toBe(1);
    expect(readFileSync(existing)).toEqual(readFileSync(tflite));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('convert refuses a model whose weights path leaves its folder, writing nothing', async () => {
    const evil = join(dir, 'evil');
    mkdirSync(evil);
    const json = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8'));
    // Another model's real weights, one folder over.
    json.weightsManifest[0].paths = ['../model/model.weights.bin'];
    writeFileSync(join(evil, 'model.json'), JSON.stringify(json));
    const out = join(dir, 'evil.tflite');
    const run = await cli(['convert', evil, '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("lists the weights file '../model/model.weights.bin', which leaves the model's folder");
    expect(existsSync(out)).toBe(false);
  });

  it('inspect refuses /dev/zero, a FIFO and a directory at once', async () => {
    const fifo = join(dir, 'pipe.tflite');
    const made = spawnSync('mkfifo', [fifo]);
    expect(made.status, String(made.stderr)).toBe(0);
    for (const [file, kind] of [['/dev/zero', 'a character device'], [fifo, 'a FIFO (named pipe)'],
      [dir, 'a directory']]) {
      const run = await cli(['inspect', file]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`tfjs-model-optimization: error: cannot read '${file}': it is ${kind}; only regular ` +
          'files are read.\n');
    }
    // convert reads its model.json through the same checks.
    for (const [file, kind] of [['/dev/zero', 'a character device'], [fifo, 'a FIFO (named pipe)']]) {
      const run = await cli(['convert', file, '--out', join(dir, 'never.tflite')]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`cannot read '${file}': it is ${kind}`);
    }
    expect(existsSync(join(dir, 'never.tflite'))).toBe(false);
    // The real executable too: it exits by itself on a FIFO nobody writes to.
    const spawned = await new Promise<{code: unknown, stderr: string}>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'inspect', fifo],
          {cwd: ROOT, timeout: HANG_LIMIT_MS / 2}, (error, _stdout, stderr) => resolve({code: error?.code, stderr}));
    });
    expect(spawned.code).toBe(1);
    expect(spawned.stderr).toContain('it is a FIFO (named pipe)');
  });

  it('inspect refuses files over --max-bytes (default MAX_INSPECT_BYTES) before reading them', async () => {
    const size = readFileSync(tflite).length;
    const small = await cli(['inspect', tflite, '--max-bytes', String(size - 1)]);
    expect(small.code).toBe(1);
    expect(small.stderr).toBe(`tfjs-model-optimization: error: cannot read '${tflite}': it holds ${size} bytes, ` +
        `more than the limit of ${size - 1} bytes (raise it with --max-bytes).\n`);
    expect((await cli(['inspect', tflite, '--max-bytes', String(size)])).code).toBe(0);

    const huge = join(dir, 'huge.tflite');
    writeFileSync(huge, '');
    truncateSync(huge, MAX_INSPECT_BYTES + 1);  // sparse: costs no disk
    const run = await cli(['inspect', huge]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`it holds ${MAX_INSPECT_BYTES + 1} bytes, more than the limit of ` +
        `${MAX_INSPECT_BYTES} bytes (raise it with --max-bytes)`);

    for (const bad of ['0', '-5', '1.5', 'lots', '1e9']) {
      const usage = await cli(['inspect', tflite, `--max-bytes=${bad}`]);
      expect(usage.code, bad).toBe(2);
      expect(usage.stderr).toContain(`--max-bytes takes a whole number of bytes >= 1; received '${bad}'`);
    }
    expect(USAGE).toContain('--max-bytes <n>');
    expect(USAGE).toContain('-f, --force');
  });
});
