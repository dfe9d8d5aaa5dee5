import {createHash} from 'node:crypto';
import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {ValueError} from '../../src/errors.js';
import {fileSystem} from '../../src/io/index.js';

let root: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'tfmot-io-'));
});

afterAll(async () => {
  await rm(root, {recursive: true, force: true});
});

/** Conv2D + Dense with seeded, non-zero biases, so every weight matters. */
function smallModel(): tfl.LayersModel {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [6, 6, 2], filters: 3, kernelSize: 3, activation: 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({seed: 1}),
        biasInitializer: tfl.initializers.randomUniform({seed: 2}),
      }),
      tfl.layers.flatten(),
      tfl.layers.dense({
        units: 4,
        kernelInitializer: tfl.initializers.glorotUniform({seed: 3}),
        biasInitializer: tfl.initializers.randomUniform({seed: 4}),
      }),
    ],
  });
  return model;
}

function predict(model: tfl.LayersModel, x: tf.Tensor): Float32Array {
  return tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync() as Float32Array);
}

describe('fileSystem', () => {
  it('writes model.json + model.weights.bin in the tfjs layers format', async () => {
    const dir = join(root, 'format');
    const model = smallModel();
    const result = await model.save(fileSystem(dir));

    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(Object.keys(json).sort()).toEqual(
        ['convertedBy', 'format', 'generatedBy', 'modelTopology', 'weightsManifest', 'weightsSha256']);
    expect(json.format).toBe('layers-model');
    expect(json.generatedBy).toMatch(/^TensorFlow\.js tfjs-layers v4\./);
    expect(json.convertedBy).toBeNull();
    expect(json.modelTopology.class_name).toBe('Sequential');
    expect(json.weightsManifest).toHaveLength(1);
    expect(json.weightsManifest[0].paths).toEqual(['model.weights.bin']);
    const specs = json.weightsManifest[0].weights as Array<{name: string, shape: number[], dtype: string}>;
    expect(specs.map((s) => s.shape)).toEqual(model.getWeights().map((w) => w.shape));
    expect(specs.every((s) => s.dtype === 'float32')).toBe(true);

    const expectedBytes = 4 * model.countParams();
    expect((await stat(join(dir, 'model.weights.bin'))).size).toBe(expectedBytes);
    expect(json.weightsSha256).toBe(createHash('sha256').update(await readFile(join(dir, 'model.weights.bin')))
        .digest('hex'));
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(expectedBytes);
    expect(result.modelArtifactsInfo.modelTopologyType).toBe('JSON');
    model.dispose();
  });

  it('reloads from the directory or its model.json with identical predictions', async () => {
    const dir = join(root, 'roundtrip');
    const model = smallModel();
    await model.save(fileSystem(dir));
    const fromDir = await tfl.loadLayersModel(fileSystem(dir));
    const fromJson = await tfl.loadLayersModel(fileSystem(join(dir, 'model.json')));

    const x = tf.randomUniform([5, 6, 6, 2], -1, 1, 'float32', 7);
    const expected = predict(model, x);
    expect(predict(fromDir, x)).toEqual(expected);
    expect(predict(fromJson, x)).toEqual(expected);
    expect(fromDir.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    [model, fromDir, fromJson].forEach((m) => m.dispose());
    x.dispose();
  });

  it('creates missing parent directories and overwrites an earlier save', async () => {
    const dir = join(root, 'nested', 'deeper', 'model');
    const first = smallModel();
    await first.save(fileSystem(dir));
    const second = tfl.sequential({layers: [tfl.layers.dense({inputShape: [3], units: 2})]});
    await second.save(fileSystem(dir));
    const loaded = await tfl.loadLayersModel(fileSystem(dir));
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(['Dense']);
    [first, second, loaded].forEach((m) => m.dispose());
  });

  it('saves to an explicit .json path with the weights beside it', async () => {
    const jsonPath = join(root, 'named', 'classifier.json');
    const model = smallModel();
    await model.save(fileSystem(jsonPath));
    expect((await stat(join(root, 'named', 'classifier.weights.bin'))).isFile()).toBe(true);
    const loaded = await tfl.loadLayersModel(fileSystem(jsonPath));
    const x = tf.ones([1, 6, 6, 2]);
    expect(predict(loaded, x)).toEqual(predict(model, x));
    [model, loaded].forEach((m) => m.dispose());
    x.dispose();
  });

  it('keeps trainingConfig and optimizer state with includeOptimizer', async () => {
    const dir = join(root, 'optimizer');
    const model = tfl.sequential({
      layers: [tfl.layers.dense({inputShape: [4], units: 3,
        kernelInitializer: tfl.initializers.glorotUniform({seed: 1})})],
    });
    model.compile({optimizer: 'adam', loss: 'meanSquaredError', metrics: ['mse']});
    const x = tf.ones([8, 4]);
    const y = tf.zeros([8, 3]);
    await model.fit(x, y, {epochs: 2, verbose: 0});
    await model.save(fileSystem(dir), {includeOptimizer: true});

    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(json.trainingConfig.loss).toBe('mean_squared_error');
    expect(json.trainingConfig.optimizer_config.class_name).toBe('Adam');

    const loaded = await tfl.loadLayersModel(fileSystem(dir));
    expect(loaded.optimizer.getClassName()).toBe('Adam');
    const saved = await model.optimizer.getWeights();
    const restored = await loaded.optimizer.getWeights();
    expect(restored.map((w) => w.name)).toEqual(saved.map((w) => w.name));
    expect(restored.map((w) => Array.from(w.tensor.dataSync())))
        .toEqual(saved.map((w) => Array.from(w.tensor.dataSync())));
    [model, loaded].forEach((m) => m.dispose());
    tf.dispose([x, y]);
  });

  it('loads weights sharded over several files, as the tfjs converter writes them', async () => {
    const dir = join(root, 'sharded');
    const model = smallModel();
    await model.save(fileSystem(dir));
    const bytes = await readFile(join(dir, 'model.weights.bin'));
    const cut = 100;  // not on a tensor boundary: shards are plain byte ranges
    await writeFile(join(dir, 'group1-shard1of2.bin'), bytes.subarray(0, cut));
    await writeFile(join(dir, 'group1-shard2of2.bin'), bytes.subarray(cut));
    await rm(join(dir, 'model.weights.bin'));
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    json.weightsManifest[0].paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));

    const loaded = await tfl.loadLayersModel(fileSystem(dir));
    const x = tf.randomUniform([2, 6, 6, 2], 0, 1, 'float32', 3);
    expect(predict(loaded, x)).toEqual(predict(model, x));
    [model, loaded].forEach((m) => m.dispose());
    x.dispose();
  });

  it('names the path when the directory does not exist', async () => {
    const missing = join(root, 'does-not-exist');
    const loading = tfl.loadLayersModel(fileSystem(missing));
    await expect(loading).rejects.toThrow(ValueError);
    await expect(tfl.loadLayersModel(fileSystem(missing))).rejects.toThrow(
        `Cannot load a model from '${missing}': no such file or directory.`);
  });

  it('names the directory when it has no model.json', async () => {
    const empty = await mkdtemp(join(root, 'empty-'));
    await expect(tfl.loadLayersModel(fileSystem(empty))).rejects.toThrow(
        `Cannot load a model from directory '${empty}': it has no model.json.`);
  });

  it('names the weights file when it is missing', async () => {
    const dir = join(root, 'no-weights');
    const model = smallModel();
    await model.save(fileSystem(dir));
    await rm(join(dir, 'model.weights.bin'));
    await expect(tfl.loadLayersModel(fileSystem(dir))).rejects.toThrow(
        `Weights file '${join(dir, 'model.weights.bin')}' listed in '${join(dir, 'model.json')}'`);
    model.dispose();
  });

  it('names the weights file and the bytes expected when it is truncated', async () => {
    const dir = join(root, 'short-weights');
    const model = smallModel();
    await model.save(fileSystem(dir));
    const full = await readFile(join(dir, 'model.weights.bin'));
    await writeFile(join(dir, 'model.weights.bin'), full.subarray(0, 100));
    await expect(tfl.loadLayersModel(fileSystem(dir))).rejects.toThrow(
        `'${join(dir, 'model.weights.bin')}' holds 100 bytes but '${join(dir, 'model.json')}' describes ` +
        `${full.byteLength} bytes of weights`);
    model.dispose();
  });

  it('rejects a JSON file that is not a model', async () => {
    const path = join(root, 'not-a-model.json');
    await writeFile(path, '{"hello": 1}');
    await expect(tfl.loadLayersModel(fileSystem(path))).rejects.toThrow(/is not a tfjs model\.json/);
  });

  it('refuses to save over a regular file', async () => {
    const path = join(root, 'a-file');
    await writeFile(path, 'x');
    const model = smallModel();
    await expect(model.save(fileSystem(path))).rejects.toThrow(/exists and is not a directory/);
    model.dispose();
  });

  it('rejects an empty path', () => {
    expect(() => fileSystem('')).toThrow(ValueError);
  });
});
