/**
 * The disk side of `io.fileSystem` (src/io/file_system.ts), installed by the
 * Node entry: saves and loads tfjs layers models as `<name>.json` +
 * `<name>.weights.bin` in a directory, the format tfjs-node's `file://`
 * handler writes, using only `node:fs/promises`, because tfjs-node cannot be
 * installed everywhere. Loading reads only regular files inside the model's
 * folder, with sizes capped; saving is atomic per file, weights first, model
 * JSON last.
 */

import {createHash} from 'node:crypto';
import {realpath, stat} from 'node:fs/promises';
import {basename, dirname, isAbsolute, join, relative, resolve, sep, win32} from 'node:path';

import * as tf from '@tensorflow/tfjs-core';

import {ValueError} from '../errors.js';
import {installNodeHook} from '../platform.js';
import type {FileSystemLimits, ModelFolderIO} from './file_system.js';
import {checkRegularFile, errnoCode, ioError, makeDirectories, readRegularFile, statInput,
  writeFileAtomic} from './safe_fs.js';

const MODEL_JSON = 'model.json';

/**
 * The model.json key holding the SHA-256 of the weights (their
 * concatenation when sharded), written by `save` and checked by `load`: it
 * tells a save interrupted between its two renames (new weights, old
 * model.json) from the model. tfjs ignores keys it does not know.
 */
const WEIGHTS_DIGEST_KEY = 'weightsSha256';

/** `model.json` -> `model.weights.bin`: each model in a folder has its own weights file. */
function weightsFileFor(jsonFile: string): string {
  return `${jsonFile.replace(/\.json$/, '')}.weights.bin`;
}

/** The model.json content, as tfjs-core writes it (its helper is not exported). */
function toModelJSON(
    artifacts: tf.io.ModelArtifacts, weightsManifest: tf.io.WeightsManifestConfig): tf.io.ModelJSON {
  const modelJSON: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as {},
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest,
  };
  const optional = [
    'trainingConfig', 'signature', 'userDefinedMetadata', 'modelInitializer',
    'initializerSignature',
  ] as const;
  for (const key of optional) {
    if (artifacts[key] != null) {
      Object.assign(modelJSON, {[key]: artifacts[key]});
    }
  }
  return modelJSON;
}

/** Bytes per element of a weights manifest dtype (a quantization dtype takes precedence). */
const WEIGHT_DTYPE_BYTES: Readonly<Record<string, number>> = {
  float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2,
};

/** Bytes the manifest describes, or null when a weight cannot be sized (strings). */
function manifestBytes(manifest: tf.io.WeightsManifestConfig): number|null {
  let expected = 0;
  for (const weight of manifest.flatMap((g) => g.weights ?? [])) {
    const bytes = WEIGHT_DTYPE_BYTES[weight.quantization?.dtype ?? weight.dtype];
    if (bytes == null || !Array.isArray(weight.shape)) {
      return null;
    }
    expected += bytes * weight.shape.reduce((size, d) => size * d, 1);
  }
  // A hostile shape (negative, NaN) sizes nothing: tfjs reports it.
  return Number.isFinite(expected) && expected >= 0 ? expected : null;
}

/**
 * Fails, naming the files, when they hold fewer or more bytes than the
 * manifest describes (tfjs would report "the tensor should have 72 values but
 * has 25" and name no file, and ignore extra bytes), or more than the cap.
 * Runs on the sizes stat() gives, before anything is read.
 */
function checkWeightBytes(expected: number|null, actual: number, files: string[], jsonPath: string,
    maxWeightBytes: number): void {
  const named = `${files.map((f) => `'${f}'`).join(' + ')} ${files.length === 1 ? 'holds' : 'hold'} ${actual} bytes`;
  if (expected != null && actual < expected) {
    throw new ValueError(`${named} but '${jsonPath}' describes ${expected} bytes of weights (truncated, or not ` +
        'this model\'s weights).');
  }
  if (expected != null && actual > expected) {
    throw new ValueError(`${named} but '${jsonPath}' describes ${expected} bytes of weights: more than the ` +
        'model uses (not this model\'s weights, or a damaged file).');
  }
  if (actual > maxWeightBytes) {
    throw new ValueError(`${named}, more than the limit of ${maxWeightBytes} bytes of weights (raise it with ` +
        'the maxWeightBytes option of fileSystem).');
  }
}

/** Whether `path` is `folder` itself or below it (both absolute and normalized). */
function isInside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * The real path of weights file `file` listed in `jsonPath`, refused unless
 * it stays inside the model's folder `dir` (whose real path is `realDir`):
 * no absolute path, no `..` out of it, no symlink leading out of it.
 */
async function containedWeightsPath(file: unknown, dir: string, realDir: string, jsonPath: string): Promise<string> {
  const allowed = `weights paths must be relative to the model's folder '${dir}' and stay inside it`;
  if (typeof file !== 'string' || file === '' || file.includes('\0')) {
    throw new ValueError(`'${jsonPath}' lists the weights path ${JSON.stringify(file)}; ${allowed}.`);
  }
  if (isAbsolute(file) || win32.isAbsolute(file)) {
    throw new ValueError(`'${jsonPath}' lists the weights file '${file}', an absolute path; ${allowed}.`);
  }
  const full = resolve(dir, file);
  if (!isInside(dir, full)) {
    throw new ValueError(`'${jsonPath}' lists the weights file '${file}', which leaves the model's folder; ` +
        `${allowed}.`);
  }
  let real: string;
  try {
    real = await realpath(full);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') {
      throw new ValueError(`Weights file '${full}' listed in '${jsonPath}' cannot be read: no such file.`);
    }
    throw ioError('read', full, e);
  }
  if (!isInside(realDir, real)) {
    throw new ValueError(`'${jsonPath}' lists the weights file '${file}', a symlink to '${real}' outside the ` +
        `model's folder; ${allowed}.`);
  }
  return real;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A model directory (or its `.json` file) on the local disk, read and written safely. */
class ModelFolder implements ModelFolderIO {
  readonly path: string;

  /** `path` is resolved against the working directory; nothing is read or written yet. */
  constructor(path: string, private readonly limits: FileSystemLimits) {
    this.path = resolve(path);
  }

  /** See FileSystemHandler.save. */
  async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
    if (artifacts.modelTopology instanceof ArrayBuffer) {
      throw new ValueError(
          'fileSystem saves JSON model topologies (tfjs LayersModel); ' +
          'received a binary (GraphDef) topology.');
    }
    const {dir, jsonFile} = await this.saveTarget();
    const jsonPath = join(dir, jsonFile);
    await makeDirectories(dir, jsonPath);
    const weightsFile = weightsFileFor(jsonFile);
    const manifest: tf.io.WeightsManifestConfig =
        [{paths: [weightsFile], weights: artifacts.weightSpecs ?? []}];
    // CompositeArrayBuffer.join also flattens sharded (ArrayBuffer[]) weights.
    const weights = new Uint8Array(artifacts.weightData == null ?
        new ArrayBuffer(0) :
        tf.io.CompositeArrayBuffer.join(artifacts.weightData));
    const modelJSON = {...toModelJSON(artifacts, manifest), [WEIGHTS_DIGEST_KEY]: sha256(weights)};
    await writeFileAtomic(join(dir, weightsFile), weights);
    await writeFileAtomic(jsonPath, JSON.stringify(modelJSON));
    return {modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts)};
  }

  /** See FileSystemHandler.load. */
  async load(): Promise<tf.io.ModelArtifacts> {
    const {jsonPath, modelJSON} = await this.readModelJson();
    const dir = dirname(jsonPath);
    return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
      const weightData = await this.readWeights(manifest, dir, jsonPath,
          (modelJSON as unknown as Record<string, unknown>)[WEIGHTS_DIGEST_KEY]);
      return [tf.io.getWeightSpecs(manifest), weightData];
    });
  }

  /** See FileSystemHandler.inputFiles. */
  async inputFiles(): Promise<string[]> {
    const {jsonPath, modelJSON} = await this.readModelJson();
    const files = [await realpath(jsonPath).catch((e: unknown) => {
      throw ioError('read', jsonPath, e);
    })];
    if (modelJSON.weightsManifest != null) {
      files.push(...(await this.weightsFiles(modelJSON.weightsManifest, dirname(jsonPath), jsonPath)).paths);
    }
    return files;
  }

  private async readModelJson(): Promise<{jsonPath: string, modelJSON: tf.io.ModelJSON}> {
    const jsonPath = await this.loadTarget();
    const limit = {maxBytes: this.limits.maxModelJsonBytes, raise: 'raise it with the maxModelJsonBytes option of fileSystem'};
    const bytes = await readRegularFile(jsonPath, limit);
    let modelJSON: tf.io.ModelJSON;
    try {
      modelJSON = JSON.parse(new TextDecoder().decode(bytes)) as tf.io.ModelJSON;
    } catch (e) {
      throw new ValueError(`Cannot read model JSON '${jsonPath}': ${(e as Error).message}`);
    }
    if (modelJSON == null || typeof modelJSON !== 'object' ||
        (modelJSON.modelTopology == null && modelJSON.weightsManifest == null)) {
      throw new ValueError(
          `'${jsonPath}' is not a tfjs model.json: it has neither ` +
          `modelTopology nor weightsManifest.`);
    }
    if (modelJSON.weightsManifest != null && !(Array.isArray(modelJSON.weightsManifest) &&
        modelJSON.weightsManifest.every((g) => g != null && Array.isArray(g.paths)))) {
      throw new ValueError(`'${jsonPath}' has a malformed weightsManifest: expected a list of ` +
          '{paths: [...], weights: [...]} groups.');
    }
    return {jsonPath, modelJSON};
  }

  /** The contained real paths of the manifest's files and their sizes, all checked before any is read. */
  private async weightsFiles(manifest: tf.io.WeightsManifestConfig, dir: string, jsonPath: string):
      Promise<{paths: string[], sizes: number[]}> {
    const realDir = await realpath(dir).catch((e: unknown) => {
      throw ioError('read', dir, e);
    });
    const paths: string[] = [];
    const sizes: number[] = [];
    const limit = {maxBytes: this.limits.maxWeightBytes, raise: 'raise it with the maxWeightBytes option of fileSystem'};
    for (const file of manifest.flatMap((g) => g.paths as unknown[])) {
      const real = await containedWeightsPath(file, dir, realDir, jsonPath);
      const info = await statInput(real);
      checkRegularFile(real, info, limit);
      paths.push(real);
      sizes.push(info.size);
    }
    checkWeightBytes(manifestBytes(manifest), sizes.reduce((a, b) => a + b, 0), paths, jsonPath,
        this.limits.maxWeightBytes);
    return {paths, sizes};
  }

  private async readWeights(manifest: tf.io.WeightsManifestConfig, dir: string, jsonPath: string,
      digest: unknown): Promise<ArrayBuffer> {
    const {paths, sizes} = await this.weightsFiles(manifest, dir, jsonPath);
    const all = new Uint8Array(sizes.reduce((a, b) => a + b, 0));
    let offset = 0;
    for (const [i, path] of paths.entries()) {
      // Capped at the size checked above: a file grown since is refused, not read on.
      const bytes = await readRegularFile(path, {maxBytes: sizes[i], raise: 'it grew while the model loaded'}, true);
      if (bytes.length !== sizes[i]) {
        throw new ValueError(`cannot read '${path}': it changed while the model loaded.`);
      }
      all.set(bytes, offset);
      offset += bytes.length;
    }
    if (typeof digest === 'string' && sha256(all) !== digest) {
      throw new ValueError(`${paths.map((f) => `'${f}'`).join(' + ')} ${paths.length === 1 ? 'does' : 'do'} not ` +
          `match the ${WEIGHTS_DIGEST_KEY} of '${jsonPath}': the weights of another save (one interrupted ` +
          `between writing the weights and '${basename(jsonPath)}'?) or edited since. Save the model again.`);
    }
    return all.buffer;
  }

  private async saveTarget(): Promise<{dir: string, jsonFile: string}> {
    let info;
    try {
      info = await stat(this.path);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') {
        throw ioError('write', this.path, e);
      }
      info = null;
    }
    if (info?.isDirectory() || !this.path.endsWith('.json')) {
      if (info != null && !info.isDirectory()) {
        throw new ValueError(
            `Cannot save to '${this.path}': it exists and is not a directory.`);
      }
      return {dir: this.path, jsonFile: MODEL_JSON};
    }
    return {dir: dirname(this.path), jsonFile: basename(this.path)};
  }

  private async loadTarget(): Promise<string> {
    let info;
    try {
      info = await stat(this.path);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') {
        throw new ValueError(`Cannot load a model from '${this.path}': no such file or directory.`);
      }
      throw ioError('read', this.path, e);
    }
    if (!info.isDirectory()) {
      return this.path;
    }
    const jsonPath = join(this.path, MODEL_JSON);
    try {
      await stat(jsonPath);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') {
        throw new ValueError(
            `Cannot load a model from directory '${this.path}': it has no ${MODEL_JSON}.`);
      }
      throw ioError('read', jsonPath, e);
    }
    return jsonPath;
  }
}

installNodeHook('fileSystem', (path, limits) => new ModelFolder(path, limits));
