/**
 * fileSystem load safety: weights paths stay inside the model's folder,
 * only regular files are read, sizes are checked before reading, and two
 * models in one folder keep their own weights. Every refusal must come back
 * promptly (a FIFO or /dev/zero would otherwise block or read forever).
 */
import {spawnSync} from 'node:child_process';
import {mkdir, mkdtemp, readFile, rename, rm, symlink, truncate, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {ValueError} from '../../src/errors.js';
import {fileSystem, MAX_MODEL_JSON_BYTES} from '../../src/io/index.js';

let root: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'tfmot-io-safety-'));
});

afterAll(async () => {
  await rm(root, {recursive: true, force: true});
});

function dense(seed: number): tfl.LayersModel {
  return tfl.sequential({layers: [tfl.layers.dense({inputShape: [3], units: 2,
    kernelInitializer: tfl.initializers.glorotUniform({seed}),
    biasInitializer: tfl.initializers.randomUniform({seed: seed + 100})})]});
}

function predict(model: tfl.LayersModel): number[] {
  return tf.tidy(() => Array.from((model.predict(tf.tensor2d([[1, -2, 0.5]])) as tf.Tensor).dataSync()));
}

/** Predictions of a fresh dense(seed), the model disposed. */
function expected(seed: number): number[] {
  const model = dense(seed);
  const values = predict(model);
  model.dispose();
  return values;
}

interface Manifest {weightsManifest: Array<{paths: string[]}>, weightsSha256?: string}

/** A freshly saved model folder `name`, its model.json edited by `edit`. */
async function savedModel(name: string, edit: (json: Manifest) => void = () => {}): Promise<string> {
  const dir = join(root, name);
  const model = dense(1);
  await model.save(fileSystem(dir));
  model.dispose();
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as Manifest;
  edit(json);
  await writeFile(join(dir, 'model.json'), JSON.stringify(json));
  return dir;
}

/** A folder whose manifest lists `path` instead of its weights file (and no digest). */
const listing = (name: string, path: string) => savedModel(name, (json) => {
  json.weightsManifest[0].paths = [path];
  delete json.weightsSha256;
});

async function loadError(path: string, options?: Parameters<typeof fileSystem>[1]): Promise<Error> {
  const error = await tfl.loadLayersModel(fileSystem(path, options)).then(
      (m) => {
        m.dispose();
        return null;
      },
      (e: Error) => e);
  expect(error, `loading ${path} must fail`).toBeInstanceOf(ValueError);
  return error as Error;
}

function mkfifo(path: string): void {
  const made = spawnSync('mkfifo', [path]);
  expect(made.status, String(made.stderr)).toBe(0);
}

describe('fileSystem load: weights paths stay inside the folder', () => {
  it('refuses a ../ path, naming the model.json, the path and what is allowed', async () => {
    await writeFile(join(root, 'secret.bin'), new Uint8Array(32));  // exactly the size the model needs
    const dir = await listing('dotdot', '../secret.bin');
    const error = await loadError(dir);
    expect(error.message).toBe(`'${join(dir, 'model.json')}' lists the weights file '../secret.bin', which ` +
        `leaves the model's folder; weights paths must be relative to the model's folder '${dir}' and stay ` +
        'inside it.');
    // A path that only passes through .. and comes back is inside.
    const back = await listing('back', '../back/model.weights.bin');
    const model = await tfl.loadLayersModel(fileSystem(back));
    expect(predict(model)).toEqual(expected(1));
    model.dispose();
  });

  it('refuses absolute paths, /dev/zero and /etc/hostname included', async () => {
    const dir = await listing('absolute', '/dev/zero');
    expect((await loadError(dir)).message).toContain(
        `lists the weights file '/dev/zero', an absolute path; weights paths must be relative`);
    const etc = await listing('absolute_etc', '/etc/hostname');
    expect((await loadError(etc)).message).toContain(`'/etc/hostname', an absolute path`);
  });

  it('refuses a symlink whose real path leaves the folder, and accepts one that stays inside', async () => {
    const outside = join(root, 'outside.bin');
    await writeFile(outside, new Uint8Array(32));
    const dir = await listing('escape', 'link.bin');
    await symlink(outside, join(dir, 'link.bin'));
    expect((await loadError(dir)).message).toBe(`'${join(dir, 'model.json')}' lists the weights file 'link.bin', ` +
        `a symlink to '${outside}' outside the model's folder; weights paths must be relative to the model's ` +
        `folder '${dir}' and stay inside it.`);
    // A symlinked directory on the way out counts too.
    const viaDir = await listing('escape_dir', 'sub/secret.bin');
    await symlink(root, join(viaDir, 'sub'));
    expect((await loadError(viaDir)).message).toContain(`a symlink to '${join(root, 'secret.bin')}' outside`);
    // /dev/zero behind a symlink is outside as well, and refused before any read.
    const zero = await listing('escape_zero', 'zero.bin');
    await symlink('/dev/zero', join(zero, 'zero.bin'));
    expect((await loadError(zero)).message).toContain(`a symlink to '/dev/zero' outside`);

    const inside = await listing('inside', 'alias.bin');
    await symlink('model.weights.bin', join(inside, 'alias.bin'));
    const model = await tfl.loadLayersModel(fileSystem(inside));
    expect(predict(model)).toEqual(expected(1));
    model.dispose();
  });

  it('loads a model whose folder is itself reached through a symlink', async () => {
    const dir = await savedModel('real_folder');
    const alias = join(root, 'alias_folder');
    await symlink(dir, alias);
    const model = await tfl.loadLayersModel(fileSystem(alias));
    expect(predict(model)).toEqual(expected(1));
    model.dispose();
  });
});

describe('fileSystem load: only regular files, sizes checked before reading', () => {
  it('refuses a FIFO as weights promptly, without opening it', async () => {
    const dir = await listing('fifo_weights', 'pipe.bin');
    mkfifo(join(dir, 'pipe.bin'));
    expect((await loadError(dir)).message).toBe(
        `cannot read '${join(dir, 'pipe.bin')}': it is a FIFO (named pipe); only regular files are read.`);
  });

  it('refuses a FIFO or /dev/zero as the model.json', async () => {
    const fifo = join(root, 'fifo.json');
    mkfifo(fifo);
    expect((await loadError(fifo)).message).toBe(
        `cannot read '${fifo}': it is a FIFO (named pipe); only regular files are read.`);
    expect((await loadError('/dev/zero')).message).toBe(
        'cannot read \'/dev/zero\': it is a character device; only regular files are read.');
    const dir = join(root, 'json_is_dir');
    await mkdir(join(dir, 'model.json'), {recursive: true});
    expect((await loadError(dir)).message).toContain('it is a directory; only regular files are read.');
  });

  it('refuses a directory listed as weights', async () => {
    const dir = await listing('dir_weights', 'sub');
    await mkdir(join(dir, 'sub'));
    expect((await loadError(dir)).message).toBe(
        `cannot read '${join(dir, 'sub')}': it is a directory; only regular files are read.`);
  });

  it('refuses weights files larger than the manifest describes (one file or shards)', async () => {
    const dir = await savedModel('long_weights');
    const weights = join(dir, 'model.weights.bin');
    await writeFile(weights, Buffer.concat([await readFile(weights), Buffer.alloc(4)]));
    expect((await loadError(dir)).message).toBe(`'${weights}' holds 36 bytes but '${join(dir, 'model.json')}' ` +
        'describes 32 bytes of weights: more than the model uses (not this model\'s weights, or a damaged file).');

    // Two shards that are each small but together too long.
    const sharded = await savedModel('long_shards', (json) => {
      json.weightsManifest[0].paths = ['a.bin', 'b.bin'];
    });
    await writeFile(join(sharded, 'a.bin'), new Uint8Array(20));
    await writeFile(join(sharded, 'b.bin'), new Uint8Array(20));
    expect((await loadError(sharded)).message).toContain('hold 40 bytes but');
  });

  it('a huge sparse weights file is refused from its size alone (never read)', async () => {
    const dir = await listing('sparse', 'huge.bin');
    await writeFile(join(dir, 'huge.bin'), '');
    await truncate(join(dir, 'huge.bin'), 2 ** 40);  // 1 TiB, sparse: reading it would never end
    expect((await loadError(dir)).message).toMatch(/^cannot read '.*huge\.bin': it holds 1099511627776 bytes, more than the limit of 2147483648 bytes \(raise it with the maxWeightBytes option of fileSystem\)\.$/);
  });

  it('caps model.json at MAX_MODEL_JSON_BYTES, raisable with maxModelJsonBytes', async () => {
    const big = join(root, 'big.json');
    await writeFile(big, '');
    await truncate(big, MAX_MODEL_JSON_BYTES + 1);
    expect((await loadError(big)).message).toBe(`cannot read '${big}': it holds ${MAX_MODEL_JSON_BYTES + 1} bytes, ` +
        `more than the limit of ${MAX_MODEL_JSON_BYTES} bytes (raise it with the maxModelJsonBytes option of ` +
        'fileSystem).');

    const dir = await savedModel('json_cap');
    const size = (await readFile(join(dir, 'model.json'))).length;
    expect((await loadError(dir, {maxModelJsonBytes: size - 1})).message).toContain(`it holds ${size} bytes`);
    const model = await tfl.loadLayersModel(fileSystem(dir, {maxModelJsonBytes: size}));
    model.dispose();
    expect((await loadError(dir, {maxWeightBytes: 31})).message).toContain('more than the limit of 31 bytes');
  });

  it('rejects unknown or invalid options', () => {
    expect(() => fileSystem(root, {max_weight_bytes: 1} as never)).toThrow(
        'fileSystem options: unknown option \'max_weight_bytes\' (did you mean maxWeightBytes?); allowed options are ' +
        'maxModelJsonBytes, maxWeightBytes.');
    expect(() => fileSystem(root, {maxWeightBytes: 0})).toThrow('maxWeightBytes must be an integer >= 1');
    expect(() => fileSystem(root, {maxModelJsonBytes: NaN})).toThrow(ValueError);
  });

  it('refuses a malformed weightsManifest with a message, not a TypeError', async () => {
    const dir = await savedModel('bad_manifest', (json) => {
      (json as unknown as {weightsManifest: unknown}).weightsManifest = [{paths: 'model.weights.bin'}];
    });
    expect((await loadError(dir)).message).toContain('has a malformed weightsManifest');
    const nonString = await savedModel('non_string_path', (json) => {
      (json.weightsManifest[0].paths as unknown[]) = [7];
    });
    expect((await loadError(nonString)).message).toContain('lists the weights path 7; weights paths must be relative');
  });
});

describe('fileSystem: models sharing a folder', () => {
  it('two models saved in one folder each load their own weights', async () => {
    const dir = join(root, 'two');
    const a = dense(1);
    const b = dense(2);
    await a.save(fileSystem(join(dir, 'a.json')));
    await b.save(fileSystem(join(dir, 'b.json')));
    const loadedA = await tfl.loadLayersModel(fileSystem(join(dir, 'a.json')));
    const loadedB = await tfl.loadLayersModel(fileSystem(join(dir, 'b.json')));
    expect(predict(loadedA)).toEqual(predict(a));
    expect(predict(loadedB)).toEqual(predict(b));
    expect(predict(a)).not.toEqual(predict(b));
    [a, b, loadedA, loadedB].forEach((m) => m.dispose());
  });

  it('a folder saved the old way (weights.bin, no digest) still loads; saving over it leaves weights.bin', async () => {
    const dir = await savedModel('old_style', (json) => {
      json.weightsManifest[0].paths = ['weights.bin'];
      delete json.weightsSha256;
    });
    await rename(join(dir, 'model.weights.bin'), join(dir, 'weights.bin'));
    const old = await tfl.loadLayersModel(fileSystem(dir));
    expect(predict(old)).toEqual(expected(1));
    old.dispose();

    const replacement = dense(2);
    await replacement.save(fileSystem(dir));
    const loaded = await tfl.loadLayersModel(fileSystem(dir));
    expect(predict(loaded)).toEqual(predict(replacement));
    // Not ours to delete: an older save (or another tool) wrote it.
    expect((await readFile(join(dir, 'weights.bin'))).length).toBe(32);
    [replacement, loaded].forEach((m) => m.dispose());
  });
});
