/**
 * fileSystem saves are atomic and non-destructive: each file goes to a
 * temporary file and is renamed into place, weights first and model.json
 * last. Failures are injected into node:fs/promises (the tests run as root,
 * where read-only folders do not fail) and a save killed at any point is
 * replayed from the files a real save writes: the folder must then load the
 * previous model, the new one, or fail with a clear error, never load a mix.
 */
import {mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterAll, afterEach, beforeAll, describe, expect, it, vi} from 'vitest';

import {ValueError} from '../../src/errors.js';
import {fileSystem} from '../../src/io/index.js';
import {writeFileAtomic} from '../../src/io/safe_fs.js';
import '../../src/io/file_system_node.js';

// The setup file loaded the Node entry with the real node:fs/promises: a fresh
// module graph (this file's imports, Node entry included) sees the mock below.
vi.hoisted(() => vi.resetModules());

/** Failures the tests inject into the real node:fs/promises calls. */
const inject = vi.hoisted(() => ({
  renames: [] as string[],
  failRename: null as null | ((to: string) => boolean),
  /** Bytes a temporary file receives before the disk is "full". */
  diskFullAfter: null as null | number,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), {code: 'ENOSPC'});
  return {
    ...actual,
    rename: async (from: string, to: string) => {
      if (inject.failRename?.(to)) {
        throw Object.assign(new Error(`EIO: i/o error, rename '${from}' -> '${to}'`), {code: 'EIO'});
      }
      inject.renames.push(to);
      return actual.rename(from, to);
    },
    open: async (...args: Parameters<typeof actual.open>) => {
      const file = await actual.open(...args);
      if (inject.diskFullAfter == null || args[1] !== 'wx') {
        return file;
      }
      const limit = inject.diskFullAfter;
      // Writes what fits, then fails as a full disk does.
      return Object.assign(Object.create(file) as typeof file, {
        writeFile: async (data: Uint8Array | string) => {
          const bytes = typeof data === 'string' ? Buffer.from(data) : data;
          await file.write(bytes.subarray(0, limit));
          if (bytes.length > limit) throw enospc();
        },
        sync: () => file.sync(),
        close: () => file.close(),
      });
    },
  };
});

let root: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'tfmot-io-atomic-'));
});

afterAll(async () => {
  await rm(root, {recursive: true, force: true});
});

afterEach(() => {
  inject.renames = [];
  inject.failRename = null;
  inject.diskFullAfter = null;
});

/** Same architecture, different weights: only the weights tell them apart. */
function dense(seed: number): tfl.LayersModel {
  return tfl.sequential({layers: [tfl.layers.dense({inputShape: [3], units: 2,
    kernelInitializer: tfl.initializers.glorotUniform({seed}),
    biasInitializer: tfl.initializers.randomUniform({seed: seed + 100})})]});
}

function predict(model: tfl.LayersModel): number[] {
  return tf.tidy(() => Array.from((model.predict(tf.tensor2d([[1, -2, 0.5]])) as tf.Tensor).dataSync()));
}

/** What the folder loads as: 'A', 'B', or the load error (a ValueError is required). */
async function loadsAs(dir: string, known: Record<string, number[]>): Promise<string> {
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(fileSystem(dir));
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(ValueError);
    return `error: ${(e as Error).message}`;
  }
  const got = predict(model);
  model.dispose();
  const name = Object.keys(known).find((k) => known[k].every((v, i) => v === got[i]));
  return name ?? `a different model: ${got}`;
}

const temporaries = async (dir: string) => (await readdir(dir)).filter((f) => f.endsWith('.tmp'));

describe('fileSystem save: atomic', () => {
  let a: tfl.LayersModel;
  let b: tfl.LayersModel;
  let known: Record<string, number[]>;

  beforeAll(() => {
    a = dense(1);
    b = dense(2);
    known = {A: predict(a), B: predict(b)};
    expect(known.A).not.toEqual(known.B);
  });

  afterAll(() => {
    a.dispose();
    b.dispose();
  });

  it('renames the weights into place first and model.json last', async () => {
    const dir = join(root, 'order');
    await a.save(fileSystem(dir));
    expect(inject.renames).toEqual([join(dir, 'model.weights.bin'), join(dir, 'model.json')]);
    expect(await temporaries(dir)).toEqual([]);
  });

  it('a failed weights rename leaves the previous model and no temporary file; the error names the path', async () => {
    const dir = join(root, 'weights_rename');
    await a.save(fileSystem(dir));
    inject.failRename = (to) => to.endsWith('.weights.bin');
    await expect(b.save(fileSystem(dir))).rejects.toThrow(
        new RegExp(`^cannot write '${join(dir, 'model.weights.bin')}': EIO: i/o error, rename`));
    expect(await temporaries(dir)).toEqual([]);
    expect(await loadsAs(dir, known)).toBe('A');
  });

  it('a failed model.json rename leaves a folder that refuses to load (digest), never A with B\'s weights', async () => {
    const dir = join(root, 'json_rename');
    await a.save(fileSystem(dir));
    inject.failRename = (to) => to.endsWith('model.json');
    await expect(b.save(fileSystem(dir))).rejects.toThrow(`cannot write '${join(dir, 'model.json')}': EIO`);
    expect(await temporaries(dir)).toEqual([]);
    expect(await loadsAs(dir, known)).toBe(`error: '${join(dir, 'model.weights.bin')}' does not match the ` +
        `weightsSha256 of '${join(dir, 'model.json')}': the weights of another save (one interrupted between ` +
        'writing the weights and \'model.json\'?) or edited since. Save the model again.');
  });

  it('a full disk at any byte leaves the previous model and no temporary file', async () => {
    const dir = join(root, 'disk_full');
    await a.save(fileSystem(dir));
    for (const limit of [0, 1, 16, 31, 100, 400]) {
      inject.diskFullAfter = limit;
      const error = await b.save(fileSystem(dir)).then(() => null, (e: Error) => e);
      inject.diskFullAfter = null;
      // 32 bytes of weights fit from 32 on: then model.json is the file cut short.
      const cut = limit < 32 ? 'model.weights.bin' : 'model.json';
      expect(error?.message, `limit ${limit}`).toBe(`cannot write '${join(dir, cut)}': ENOSPC: no space left on ` +
          'device, write');
      expect(await temporaries(dir)).toEqual([]);
      expect(await loadsAs(dir, known), `limit ${limit}`).toMatch(limit < 32 ? /^A$/ : /^error: .*does not match/);
      await a.save(fileSystem(dir));
    }
  });

  it('a save killed at any point leaves the previous model, the new one, or a clear error', async () => {
    // The files each save writes, taken from real saves.
    const files = async (model: tfl.LayersModel, name: string) => {
      const dir = join(root, name);
      await model.save(fileSystem(dir));
      return {json: await readFile(join(dir, 'model.json')), weights: await readFile(join(dir, 'model.weights.bin'))};
    };
    const old = await files(a, 'kill_a');
    const next = await files(b, 'kill_b');
    // The states a save of B over A passes through, in order; a kill freezes one of them.
    const states: Array<{label: string, json: Buffer, weights: Buffer, stray: Array<[string, Buffer]>}> = [];
    const cuts = (n: number) => [...new Set([0, 1, 2, 3, 7, Math.floor(n / 3), Math.floor(n / 2), n - 1, n])];
    for (const k of cuts(next.weights.length)) {
      states.push({label: `weights temp at ${k} bytes`, json: old.json, weights: old.weights,
        stray: [['.model.weights.bin.1.aa.tmp', next.weights.subarray(0, k)]]});
    }
    for (const k of cuts(next.json.length)) {
      states.push({label: `weights renamed, json temp at ${k} bytes`, json: old.json, weights: next.weights,
        stray: [['.model.json.1.bb.tmp', next.json.subarray(0, k)]]});
    }
    states.push({label: 'both renamed', json: next.json, weights: next.weights, stray: []});

    const outcomes = new Map<string, string>();
    for (const [i, state] of states.entries()) {
      const dir = join(root, `killed_${i}`);
      await mkdir(dir);
      await writeFile(join(dir, 'model.json'), state.json);
      await writeFile(join(dir, 'model.weights.bin'), state.weights);
      for (const [name, bytes] of state.stray) {
        await writeFile(join(dir, name), bytes);
      }
      const outcome = await loadsAs(dir, known);
      outcomes.set(state.label, outcome.startsWith('error: ') && outcome.includes('does not match') ?
          'digest error' : outcome);
    }
    for (const [label, outcome] of outcomes) {
      const want = label.startsWith('weights temp') ? 'A' : label === 'both renamed' ? 'B' : 'digest error';
      expect(outcome, label).toBe(want);
    }
  });

  it('a model.json or weights file cut at any byte fails clearly, never loads another model', async () => {
    const dir = join(root, 'cut_source');
    await a.save(fileSystem(dir));
    const json = await readFile(join(dir, 'model.json'));
    const weights = await readFile(join(dir, 'model.weights.bin'));
    const target = join(root, 'cut');
    await mkdir(target);
    for (let k = 0; k < json.length; k += 37) {
      await writeFile(join(target, 'model.json'), json.subarray(0, k));
      await writeFile(join(target, 'model.weights.bin'), weights);
      expect(await loadsAs(target, known), `json cut at ${k}`).toMatch(/^error: /);
    }
    for (let k = 0; k < weights.length; k++) {
      await writeFile(join(target, 'model.json'), json);
      await writeFile(join(target, 'model.weights.bin'), weights.subarray(0, k));
      expect(await loadsAs(target, known), `weights cut at ${k}`).toMatch(/^error: .* holds \d+ bytes but/);
    }
  });

  it('saving to a path under /proc fails at once, naming the path (no recursive-mkdir spin)', async () => {
    const started = Date.now();
    await expect(a.save(fileSystem('/proc/self/tfmot-model'))).rejects.toThrow(
        "cannot write '/proc/self/tfmot-model/model.json': cannot create the directory '/proc/self/tfmot-model': " +
        'ENOENT');
    await expect(a.save(fileSystem('/proc/nope/deeper'))).rejects.toThrow(
        "cannot write '/proc/nope/deeper/model.json': cannot create the directory '/proc/nope'");
    await expect(a.save(fileSystem('/proc/self/model.json'))).rejects.toThrow(
        /^cannot write '\/proc\/self\/model\.weights\.bin': /);
    // Below a dangling symlink, the other case where Node's recursive mkdir loops.
    await symlink(join(root, 'nowhere'), join(root, 'dangling'));
    await expect(a.save(fileSystem(join(root, 'dangling', 'model')))).rejects.toThrow(
        `cannot create the directory '${join(root, 'dangling', 'model')}': ENOENT`);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('writeFileAtomic', () => {
  it('leaves the target and no temporary file when the rename fails (target is a directory)', async () => {
    const dir = join(root, 'atomic');
    await mkdir(join(dir, 'taken', 'inside'), {recursive: true});
    await expect(writeFileAtomic(join(dir, 'taken'), 'data')).rejects.toThrow(
        new RegExp(`^cannot write '${join(dir, 'taken')}': EISDIR`));
    expect((await readdir(dir)).sort()).toEqual(['taken']);
  });

  it('replaces a symlink at the target rather than writing through it', async () => {
    const dir = join(root, 'atomic_link');
    await mkdir(dir);
    await writeFile(join(dir, 'real'), 'keep');
    await symlink('real', join(dir, 'link'));
    await writeFileAtomic(join(dir, 'link'), 'new');
    expect(await readFile(join(dir, 'real'), 'utf8')).toBe('keep');
    expect(await readFile(join(dir, 'link'), 'utf8')).toBe('new');
  });
});
