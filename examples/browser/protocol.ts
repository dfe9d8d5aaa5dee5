/**
 * Messages between the demo page and its Web Worker, and the result the
 * page shows (and exposes to the test). No DOM and no Node API here.
 */
import type {DemoSettings} from './settings.js';

/** Page -> worker: run the whole flow once. */
export interface RunRequest {
  type: 'run';
  settings: DemoSettings;
  /** Absolute URLs of what the build copied next to the page. */
  urls: {data: string, tfjsWasm: string, liteRtWasm: string};
}

/** Worker -> page. */
export type WorkerMessage =
  | {type: 'progress', stage: string, fraction: number}
  | {type: 'log', line: string}
  | {type: 'done', result: DemoResult}
  | {type: 'error', message: string};

/** A saved model's model.json and weights: what `tf.io.fromMemory` loads. */
export interface SavedArtifacts {
  modelTopology: object;
  weightSpecs: unknown[];
  weightData: ArrayBuffer;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

/** Everything the flow measured and made. */
export interface DemoResult {
  /** The tfjs backend that trained ('webgl', 'wasm' or 'cpu'). */
  backend: string;
  settings: DemoSettings;
  /** Test accuracies in [0, 1]: the float model, the QAT model (tfjs), the int8 file (LiteRT). */
  floatAccuracy: number;
  qatAccuracy: number;
  int8Accuracy: number;
  /** Fraction of the .tflite file's weights that are zero (`tfmot.report`): about 0.5 when pruned. */
  fileSparsity: number;
  /** The .tflite file. */
  tflite: Uint8Array;
  /** Its size gzipped (level 9): pruned weights compress, which int8 alone does not show. */
  tfliteGzipBytes: number;
  /** Bytes of the float model's weights as float32 (what model.save() stores). */
  floatWeightBytes: number;
  /** LiteRT's raw int8 logits on the test digits, `test * 10`. */
  int8Outputs: Int8Array;
  /** The QAT model's float logits on the test digits (tfjs), `test * 10`. */
  qatLogits: Float32Array;
  /** The trained QAT model, saved with tf.io.withSaveHandler. */
  artifacts: SavedArtifacts;
  /** The QAT model saved to IndexedDB and loaded back in the worker. */
  indexedDb: {url: string, weightsEqual: boolean, predictionsEqual: boolean};
  /** Wall time of each stage, ms. */
  timings: Record<string, number>;
}
