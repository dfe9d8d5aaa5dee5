/**
 * `io.fileSystem`: saves and loads tfjs layers models as `<name>.json` +
 * `<name>.weights.bin` in a directory on the local disk, the format
 * tfjs-node's `file://` handler writes, without tfjs-node.
 *
 * This module is browser-safe: it checks the arguments and forwards the
 * disk work to the implementation the Node entry installs
 * (file_system_node.ts), so importing the package in a browser pulls in no
 * `node:*` module.
 */

import * as tf from '@tensorflow/tfjs-core';

import {checkInteger, checkOptionKeys, formatValue, optionKeys, ValueError} from '../errors.js';
import {nodeHook} from '../platform.js';

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

/** The checked read caps handed to the disk side. */
export interface FileSystemLimits {
  maxModelJsonBytes: number;
  maxWeightBytes: number;
}

/** What the Node entry's disk side does for one {@link FileSystemHandler}. */
export interface ModelFolderIO {
  readonly path: string;
  save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult>;
  load(): Promise<tf.io.ModelArtifacts>;
  inputFiles(): Promise<string[]>;
}

declare module '../platform.js' {
  interface NodeHooks {
    /** io.fileSystem's disk access: opens `path` (src/io/file_system_node.ts). */
    fileSystem: (path: string, limits: FileSystemLimits) => ModelFolderIO;
  }
}

/** Where to save and load in a browser instead. */
const BROWSER_ALTERNATIVE = "save with tf.io.browserDownloads() or to 'indexeddb://<name>', and load from " +
    "'indexeddb://<name>', tf.io.browserFiles([...]) or tf.io.fromMemory(...).";

/** An `io.IOHandler` reading and writing a model directory on the local disk. */
export class FileSystemHandler implements tf.io.IOHandler {
  /** The absolute path given to {@link fileSystem}. */
  readonly path: string;
  private readonly folder: ModelFolderIO;

  /**
   * Resolves `path` against the working directory; nothing is read or
   * written until `save` or `load`. {@link fileSystem} is the usual way in.
   *
   * @param path The model directory, or its `.json` file.
   * @param options Size caps for loading.
   * @throws NotSupportedError outside the Node entry (in a browser);
   *     ValueError if `path` is not a non-empty string, or an option is
   *     unknown or not a positive integer.
   */
  constructor(path: string, options: FileSystemOptions = {}) {
    const open = nodeHook('fileSystem', 'io.fileSystem', BROWSER_ALTERNATIVE);
    if (typeof path !== 'string' || path.length === 0) {
      throw new ValueError(
          `path must be a non-empty string; received ${formatValue(path)}.`);
    }
    if (options == null || typeof options !== 'object') {
      throw new ValueError(`fileSystem options must be an object; received ${formatValue(options)}.`);
    }
    checkOptionKeys(options, OPTION_KEYS, 'fileSystem options');
    this.folder = open(path, {
      maxModelJsonBytes: checkInteger(options.maxModelJsonBytes ?? MAX_MODEL_JSON_BYTES, 'maxModelJsonBytes'),
      maxWeightBytes: checkInteger(options.maxWeightBytes ?? MAX_WEIGHT_BYTES, 'maxWeightBytes'),
    });
    this.path = this.folder.path;
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
  save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
    return this.folder.save(artifacts);
  }

  /**
   * Reads a model from `path`: a directory holding `model.json`, or the JSON
   * file. Only regular files are read; every weights path must stay inside
   * the JSON file's folder; the weights files must hold exactly the bytes
   * the manifest describes.
   *
   * @throws ValueError naming the file at fault.
   */
  load(): Promise<tf.io.ModelArtifacts> {
    return this.folder.load();
  }

  /**
   * The real paths of the files a load reads: the model JSON and its weights
   * files, checked as `load` checks them (containment, regular files, sizes)
   * without reading the weights. The CLI uses it to never write its input.
   */
  inputFiles(): Promise<string[]> {
    return this.folder.inputFiles();
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
 * Node only: the Node entry (`tfjs-model-optimization` as Node resolves it,
 * or `tfjs-model-optimization/node`) installs the disk access. Loaded from
 * the browser entry, it throws a `NotSupportedError`; in a browser save with
 * `tf.io.browserDownloads()` or to `'indexeddb://name'`, and load from
 * `'indexeddb://name'`, `tf.io.browserFiles(...)` or `tf.io.fromMemory(...)`.
 *
 * Args:
 *   path: the model directory (created on save if missing), or a `.json` file.
 *   options: `maxModelJsonBytes`, `maxWeightBytes` to raise the read caps.
 *
 * Returns: a handler for `model.save(...)` and `tfl.loadLayersModel(...)`.
 *
 * Raises: `NotSupportedError` outside the Node entry; `ValueError` when `path` is not a non-empty string or an option
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
