/**
 * Saves and loads tfjs layers models as `<name>.json` + `<name>.weights.bin`
 * in a directory, the format tfjs-node's `file://` handler writes, using only
 * `node:fs/promises`, because tfjs-node cannot be installed everywhere.
 * Loading reads only regular files inside the model's folder, with sizes
 * capped; saving is atomic per file, weights first, model JSON last.
 */

import {createHash} from 'node:crypto';
import {realpath, stat} from 'node:fs/promises';
import {basename, dirname, isAbsolute, join, relative, resolve, sep, win32} from 'node:path';

import * as tf from '@tensorflow/tfjs-core';

import {checkInteger, checkOptionKeys, formatValue, optionKeys, ValueError} from '../errors.js';
import {checkRegularFile, errnoCode, ioError, makeDirectories, readRegularFile, statInput,
  writeFileAtomic} from './safe_fs.js';

const MODEL_JSON = 'model.json';

/**
 * Largest `model.json` {@link fileSystem} reads by default: 64 MiB (a model
 * topology is rarely above a few hundred KiB). Raise it with the
 * `maxModelJsonBytes` option.
 */
export const MAX_MODEL_JSON_BYTES = 64 * 2 ** 20;

/**
 * Largest total of weights files {@link fileSystem} reads by default:
 * 2 GiB. Raise it with the `maxWeightBytes` option.
 */
export const MAX_WEIGHT_BYTES = 2 * 2 ** 30;

/** Options of {@link fileSystem}. */
export interface FileSystemOptions {
  /** Largest model JSON file read, in bytes; default {@link MAX_MODEL_JSON_BYTES}. */
  maxModelJsonBytes?: number;
  /** Largest total of the weights files read, in bytes; default {@link MAX_WEIGHT_BYTES}. */
  maxWeightBytes?: number;
}

const OPTION_KEYS = optionKeys<FileSystemOptions>({maxModelJsonBytes: true, maxWeightBytes: true});

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

/** An `io.IOHandler` reading and writing a model directory on the local disk. */
export class FileSystemHandler implements tf.io.IOHandler {
  /** The absolute path given to {@link fileSystem}. */
  readonly path: string;
  private readonly maxModelJsonBytes: number;
  private readonly maxWeightBytes: number;

  /**
   * Resolves `path` against the working directory; nothing is read or
   * written until `save` or `load`. {@link fileSystem} is the usual way in.
   *
   * @param path The model directory, or its `.json` file.
   * @param options Size caps for loading.
   * @throws ValueError if `path` is not a non-empty string, or an option is
   *     unknown or not a positive integer.
   */
  constructor(path: string, options: FileSystemOptions = {}) {
    if (typeof path !== 'string' || path.length === 0) {
      throw new ValueError(
          `path must be a non-empty string; received ${formatValue(path)}.`);
    }
    if (options == null || typeof options !== 'object') {
      throw new ValueError(`fileSystem options must be an object; received ${formatValue(options)}.`);
    }
    checkOptionKeys(options, OPTION_KEYS, 'fileSystem options');
    this.path = resolve(path);
    this.maxModelJsonBytes = checkInteger(options.maxModelJsonBytes ?? MAX_MODEL_JSON_BYTES, 'maxModelJsonBytes');
    this.maxWeightBytes = checkInteger(options.maxWeightBytes ?? MAX_WEIGHT_BYTES, 'maxWeightBytes');
  }

  /**
   * Writes `<name>.json` and `<name>.weights.bin` (`model.json` and
   * `model.weights.bin` for a directory) into `path`, creating it if needed.
   * A `path` ending in `.json` that is not a directory names the JSON file
   * itself; the weights go beside it.
   *
   * Each file is written to a temporary file in the folder and renamed into
   * place, the weights first and the JSON last; the JSON records the
   * weights' SHA-256. A save that fails or is killed therefore leaves the
   * previous model, or (killed between the two renames) a folder whose
   * load fails naming the mismatch: never a mix that loads. Other files
   * (such as a `weights.bin` of an older save) are left alone.
   *
   * @throws ValueError for a binary topology or a `path` that is a file not
   *     ending in `.json`; Error "cannot write '<path>': <reason>" when the
   *     disk refuses.
   */
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

  /**
   * Reads a model from `path`: a directory holding `model.json`, or the JSON
   * file. Only regular files are read; every weights path must stay inside
   * the JSON file's folder; the weights files must hold exactly the bytes
   * the manifest describes.
   *
   * @throws ValueError naming the file at fault.
   */
  async load(): Promise<tf.io.ModelArtifacts> {
    const {jsonPath, modelJSON} = await this.readModelJson();
    const dir = dirname(jsonPath);
    return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
      const weightData = await this.readWeights(manifest, dir, jsonPath,
          (modelJSON as unknown as Record<string, unknown>)[WEIGHTS_DIGEST_KEY]);
      return [tf.io.getWeightSpecs(manifest), weightData];
    });
  }

  /**
   * The real paths of the files a load reads: the model JSON and its weights
   * files, checked as `load` checks them (containment, regular files, sizes)
   * without reading the weights. The CLI uses it to never write its input.
   */
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
    const limit = {maxBytes: this.maxModelJsonBytes, raise: 'raise it with the maxModelJsonBytes option of fileSystem'};
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
    const limit = {maxBytes: this.maxWeightBytes, raise: 'raise it with the maxWeightBytes option of fileSystem'};
    for (const file of manifest.flatMap((g) => g.paths as unknown[])) {
      const real = await containedWeightsPath(file, dir, realDir, jsonPath);
      const info = await statInput(real);
      checkRegularFile(real, info, limit);
      paths.push(real);
      sizes.push(info.size);
    }
    checkWeightBytes(manifestBytes(manifest), sizes.reduce((a, b) => a + b, 0), paths, jsonPath,
        this.maxWeightBytes);
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

/**
 * An `io.IOHandler` that saves a `tfl.LayersModel` to a directory as
 * `model.json` + `model.weights.bin` (the tfjs layers format written by
 * tfjs-node's `file://` handler, readable by it and by the tfjs converter)
 * and loads it back, without tfjs-node.
 *
 * For loading, `path` may be the directory or its `model.json`. Sharded
 * weights listed in a converter-written manifest are read in order, and
 * folders saved with the older `weights.bin` name load too (the manifest
 * names the file).
 *
 * Safety: loading reads only regular files (no FIFO, device or directory),
 * every weights path must stay inside the JSON file's folder (absolute
 * paths, `..` and symlinks leading out are refused), the weights files
 * must hold exactly the bytes the manifest describes, and sizes are capped
 * ({@link MAX_MODEL_JSON_BYTES}, {@link MAX_WEIGHT_BYTES}) before anything
 * is read. Saving writes each file to a temporary file in the folder and
 * renames it into place, model JSON last, so a failed or killed save never
 * leaves a mix that loads; two models saved in one folder (`a.json`,
 * `b.json`) have their own weights files.
 *
 * Args:
 *   path: the model directory (created on save if missing), or a `.json` file.
 *   options: `maxModelJsonBytes`, `maxWeightBytes` to raise the read caps.
 *
 * Returns: a handler for `model.save(...)` and `tfl.loadLayersModel(...)`.
 *
 * Raises: `ValueError` when `path` is not a non-empty string or an option
 * is unknown; on load, when the path, its `model.json` or a weights file
 * is missing, not a regular file, outside the folder, over a cap, or holds
 * other than the bytes `model.json` describes (the message names the
 * files); `Error` "cannot write '<path>': ..." when a save fails.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-cpu';
 * import * as tfl from '@tensorflow/tfjs-layers';
 * import * as tfmot from 'tfjs-model-optimization';
 *
 * const model = tfl.sequential({layers: [tfl.layers.dense({inputShape: [4], units: 2})]});
 * await model.save(tfmot.io.fileSystem('/tmp/my-model'));
 * const restored = await tfl.loadLayersModel(tfmot.io.fileSystem('/tmp/my-model'));
 * (restored.predict(tf.ones([1, 4])) as tf.Tensor).print();
 * ```
 */
export function fileSystem(path: string, options?: FileSystemOptions): FileSystemHandler {
  return new FileSystemHandler(path, options);
}
