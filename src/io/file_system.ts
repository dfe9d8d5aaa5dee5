/**
 * Saves and loads tfjs layers models as `model.json` + `weights.bin` in a
 * directory, the same files tfjs-node's `file://` handler writes, using only
 * `node:fs/promises`, because tfjs-node cannot be installed everywhere.
 */

import {mkdir, readFile, stat, writeFile} from 'node:fs/promises';
import {basename, dirname, join, resolve} from 'node:path';

import * as tf from '@tensorflow/tfjs-core';

import {formatValue, ValueError} from '../errors.js';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

function isErrno(e: unknown, code: string): boolean {
  return (e as NodeJS.ErrnoException | null)?.code === code;
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

/**
 * Fails, naming the files, when they hold fewer bytes than the manifest
 * describes: tfjs would report "the tensor should have 72 values but has 25"
 * and name no file. Weights it cannot size (strings) are left to tfjs.
 */
function checkWeightBytes(manifest: tf.io.WeightsManifestConfig, actual: number, files: string[],
    jsonPath: string): void {
  let expected = 0;
  for (const weight of manifest.flatMap((g) => g.weights)) {
    const bytes = WEIGHT_DTYPE_BYTES[weight.quantization?.dtype ?? weight.dtype];
    if (bytes == null) {
      return;
    }
    expected += bytes * weight.shape.reduce((size, d) => size * d, 1);
  }
  if (actual < expected) {
    throw new ValueError(`${files.map((f) => `'${f}'`).join(' + ')} ${files.length === 1 ? 'holds' : 'hold'} ` +
        `${actual} bytes but '${jsonPath}' describes ${expected} bytes of weights (truncated, or not this ` +
        'model\'s weights).');
  }
}

/** An `io.IOHandler` reading and writing a model directory on the local disk. */
export class FileSystemHandler implements tf.io.IOHandler {
  /** The absolute path given to {@link fileSystem}. */
  readonly path: string;

  /**
   * Resolves `path` against the working directory; nothing is read or
   * written until `save` or `load`. {@link fileSystem} is the usual way in.
   *
   * @param path The model directory, or its `.json` file.
   * @throws ValueError if `path` is not a non-empty string.
   */
  constructor(path: string) {
    if (typeof path !== 'string' || path.length === 0) {
      throw new ValueError(
          `path must be a non-empty string; received ${formatValue(path)}.`);
    }
    this.path = resolve(path);
  }

  /**
   * Writes `model.json` and `weights.bin` into `path`, creating it if needed.
   * A `path` ending in `.json` that is not a directory names the JSON file
   * itself; the weights go beside it.
   */
  async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
    if (artifacts.modelTopology instanceof ArrayBuffer) {
      throw new ValueError(
          'fileSystem saves JSON model topologies (tfjs LayersModel); ' +
          'received a binary (GraphDef) topology.');
    }
    const {dir, jsonFile} = await this.saveTarget();
    await mkdir(dir, {recursive: true});
    const manifest: tf.io.WeightsManifestConfig =
        [{paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? []}];
    const modelJSON = toModelJSON(artifacts, manifest);
    // CompositeArrayBuffer.join also flattens sharded (ArrayBuffer[]) weights.
    const weights = artifacts.weightData == null ?
        new ArrayBuffer(0) :
        tf.io.CompositeArrayBuffer.join(artifacts.weightData);
    // Weights first: an interrupted save leaves no model.json pointing at
    // missing or stale weights.
    await writeFile(join(dir, WEIGHTS_BIN), new Uint8Array(weights));
    await writeFile(join(dir, jsonFile), JSON.stringify(modelJSON), 'utf8');
    return {modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts)};
  }

  /** Reads a model from `path`: a directory holding `model.json`, or the JSON file. */
  async load(): Promise<tf.io.ModelArtifacts> {
    const jsonPath = await this.loadTarget();
    let modelJSON: tf.io.ModelJSON;
    try {
      modelJSON = JSON.parse(await readFile(jsonPath, 'utf8')) as tf.io.ModelJSON;
    } catch (e) {
      throw new ValueError(`Cannot read model JSON '${jsonPath}': ${(e as Error).message}`);
    }
    if (modelJSON == null || typeof modelJSON !== 'object' ||
        (modelJSON.modelTopology == null && modelJSON.weightsManifest == null)) {
      throw new ValueError(
          `'${jsonPath}' is not a tfjs model.json: it has neither ` +
          `modelTopology nor weightsManifest.`);
    }
    const dir = dirname(jsonPath);
    return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
      const buffers: Buffer[] = [];
      for (const group of manifest) {
        for (const file of group.paths) {
          const filePath = join(dir, file);
          try {
            buffers.push(await readFile(filePath));
          } catch (e) {
            throw new ValueError(
                `Weights file '${filePath}' listed in '${jsonPath}' cannot be ` +
                `read: ${(e as Error).message}`);
          }
        }
      }
      // Node Buffers can be views into a shared pool: copy out exactly our bytes.
      const all = Buffer.concat(buffers);
      checkWeightBytes(manifest, all.byteLength, manifest.flatMap((g) => g.paths.map((f) => join(dir, f))),
          jsonPath);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
      return [tf.io.getWeightSpecs(manifest), weightData as ArrayBuffer];
    });
  }

  private async saveTarget(): Promise<{dir: string, jsonFile: string}> {
    const info = await stat(this.path).catch((e: unknown) => {
      if (isErrno(e, 'ENOENT')) {
        return null;
      }
      throw e;
    });
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
      if (isErrno(e, 'ENOENT')) {
        throw new ValueError(`Cannot load a model from '${this.path}': no such file or directory.`);
      }
      throw e;
    }
    if (!info.isDirectory()) {
      return this.path;
    }
    const jsonPath = join(this.path, MODEL_JSON);
    try {
      await stat(jsonPath);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) {
        throw new ValueError(
            `Cannot load a model from directory '${this.path}': it has no ${MODEL_JSON}.`);
      }
      throw e;
    }
    return jsonPath;
  }
}

/**
 * An `io.IOHandler` that saves a `tfl.LayersModel` to a directory as
 * `model.json` + `weights.bin` (the tfjs layers format written by tfjs-node's
 * `file://` handler, readable by it and by the tfjs converter) and loads it
 * back, without tfjs-node.
 *
 * For loading, `path` may be the directory or its `model.json`. Sharded
 * weights listed in a converter-written manifest are read in order.
 *
 * Args:
 *   path: the model directory (created on save if missing), or a `.json` file.
 *
 * Returns: a handler for `model.save(...)` and `tfl.loadLayersModel(...)`.
 *
 * Raises: `ValueError` when `path` is not a non-empty string; on load, when
 * the path, its `model.json` or a weights file is missing or unreadable, or
 * the weights files hold fewer bytes than `model.json` describes (the
 * message names the files).
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
export function fileSystem(path: string): FileSystemHandler {
  return new FileSystemHandler(path);
}
