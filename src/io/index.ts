/**
 * `tfmot.io`: saving and loading tfjs layers models on the local disk
 * without tfjs-node, whose native build is not available everywhere.
 *
 * `fileSystem(dir)` writes and reads `model.json` + `model.weights.bin`, the
 * format of tfjs-node's `file://` handler (whose `weights.bin` it loads
 * too); wrapped models (pruning, clustering, QAT) save and load through it.
 * It reads only regular files inside the model's folder, with capped sizes,
 * and saves atomically. It needs Node (the package's Node entry installs the
 * disk access); in a browser it throws a `NotSupportedError` naming the
 * browser alternatives (`tf.io.browserDownloads()`, `'indexeddb://...'`,
 * `tf.io.fromMemory(...)`).
 *
 * ```ts
 * await model.save(tfmot.io.fileSystem('/tmp/my-model'));
 * const restored = await tfl.loadLayersModel(tfmot.io.fileSystem('/tmp/my-model'));
 * ```
 *
 * Importing the package also registers Keras' `L1` and `L2` regularizers,
 * so models converted from Keras with them load (tfjs-layers has `L1L2` only).
 *
 * @packageDocumentation
 */
export {fileSystem, FileSystemHandler, MAX_MODEL_JSON_BYTES, MAX_WEIGHT_BYTES} from './file_system.js';
export type {FileSystemOptions} from './file_system.js';
export {L1, L2} from './keras_regularizers.js';
