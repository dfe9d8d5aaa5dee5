/**
 * tfmot.tflite.Interpreter in real Chromium (test/helpers/browser.ts): files
 * exported here in Node run in the browser's in-thread LiteRT, on the page, in
 * a classic Web Worker and in a module Web Worker, and give the Node
 * Interpreter's outputs: bit-identical for the int8 file (integer kernels,
 * then the same dequantization code), within float rounding for the float
 * file (the browser may load LiteRT's relaxed-SIMD build, Node its compat
 * build). On the page also: the error naming setLiteRtWasmPath, and recovery
 * from a WebAssembly trap.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import {init} from '../../src/backend/index.js';
import {TFLiteConverter} from '../../src/tflite/converter.js';
import {Interpreter} from '../../src/tflite/interpreter.js';
import {writeModel} from '../../src/tflite/writer.js';
import {runInBrowser} from '../helpers/browser.js';
import {lcg, seeded} from '../helpers/models.js';
import {denseWeights, int8DenseModel, int8DenseParams} from '../tflite/hand_built_models.js';

const ENTRY = 'test/browser/entries/interpreter.ts';
const SHAPE = [3, 12, 12, 1];

interface FileResult {
  predicted: number[];
  raw: number[];
  dtype: string;
}

/** A small CNN: conv, pool, dense. */
function cnn(): tfl.LayersModel {
  return tfl.sequential({layers: [
    tfl.layers.conv2d({inputShape: [12, 12, 1], filters: 4, kernelSize: 3, activation: 'relu',
      kernelInitializer: seeded(1)}),
    tfl.layers.maxPooling2d({poolSize: 2}),
    tfl.layers.flatten(),
    tfl.layers.dense({units: 5, kernelInitializer: seeded(2), biasInitializer: 'ones'}),
  ]});
}

/** The int8 dense file with its input zero point out of int8's range: it traps LiteRT's WebAssembly. */
function trapFile(): Uint8Array {
  const weights = denseWeights(6, 16, 21);
  const model = int8DenseModel(weights, int8DenseParams(weights, [-1, 1], [-3, 2.5]), true);
  const marker = -77n;
  model.subgraphs[0].tensors[0].quantization!.zeroPoint = [Number(marker)];
  const bytes = writeModel(model);
  const find = new Uint8Array(new BigInt64Array([marker]).buffer);
  const at = bytes.findIndex((_, i) => find.every((b, k) => bytes[i + k] === b));
  bytes.set(new Uint8Array(new BigInt64Array([-637534209n]).buffer), at);
  return bytes;
}

/** What the Node Interpreter gives for `bytes` on `values`. */
async function inNode(bytes: Uint8Array, values: Float32Array): Promise<number[]> {
  const interpreter = await Interpreter.create(bytes);
  const xs = tf.tensor(values, SHAPE);
  const ys = await interpreter.predict(xs);
  const out = Array.from(await ys.data());
  tf.dispose([xs, ys]);
  interpreter.dispose();
  return out;
}

describe('Interpreter in Chromium', () => {
  const values = lcg(SHAPE.reduce((a, b) => a * b, 1), 7).map((v) => (v + 1) / 2);
  let files: Record<string, Uint8Array>;
  let node: {float: number[], int8: number[]};

  beforeAll(async () => {
    await init({backend: 'wasm'});
    const model = cnn();
    const float = await TFLiteConverter.fromLayersModel(model).convert();
    const converter = TFLiteConverter.fromLayersModel(model);
    converter.optimizations = ['DEFAULT'];
    converter.representativeDataset = function* () {
      for (let i = 0; i < 8; i++) {
        yield [tf.tensor(lcg(144, 100 + i).map((v) => (v + 1) / 2), [1, 12, 12, 1])];
      }
    };
    const int8 = await converter.convert();
    model.dispose();
    files = {'/float.tflite': float, '/int8.tflite': int8, '/trap.tflite': trapFile()};
    node = {float: await inNode(float, values), int8: await inNode(int8, values)};
  });

  function expectNodeOutputs(result: {float: FileResult, int8: FileResult}): void {
    expect(result.int8.predicted).toEqual(node.int8);
    expect(result.float.predicted.length).toBe(node.float.length);
    // Float kernels may differ in the last bits between LiteRT's builds (fused multiply-add in relaxed SIMD).
    result.float.predicted.forEach((v, i) => expect(v).toBeCloseTo(node.float[i], 5));
  }

  it('on the page: same outputs as in Node, a clear error without a wasm path, and recovery after a trap',
      async () => {
        const {value, console} = await runInBrowser<Record<string, unknown>>({entry: ENTRY, files: {...files,
          '/input.json': {json: {values: Array.from(values), shape: SHAPE, hostile: true}}}});
        // LiteRT's output (its INFO lines, the trap's abort message) goes to the log, not the page's console; only
        // Chromium's own warning when LiteRT's loader probes for a WebGPU adapter (one per load) reaches it.
        expect(console.filter((line) => line !== 'warning: No available adapters.')).toEqual([]);
        expectNodeOutputs(value as {float: FileResult, int8: FileResult});
        expect(value.unsetPath).toMatch(/serve node_modules\/@litertjs\/core\/wasm\/ and call tfmot\.tflite\.setLiteRtWasmPath\(url\) first/);
        expect(value.trap).toEqual({crash: true, message: expect.stringMatching(
            /WebAssembly instance trapped \(.+\); it was discarded and the next call starts a new one/)});
        expect(value.restarts).toBe(1);
        expect((value.afterTrap as FileResult).predicted).toEqual(node.int8);
        expect(value.beforeTrapAgain).toEqual(node.int8);
      });

  for (const where of ['worker', 'module-worker'] as const) {
    it(`in a ${where === 'worker' ? 'classic' : 'module'} Web Worker: same outputs as in Node`, async () => {
      const {value} = await runInBrowser<{float: FileResult, int8: FileResult}>({entry: ENTRY, where,
        files: {...files, '/input.json': {json: {values: Array.from(values), shape: SHAPE, hostile: false}}}});
      expectNodeOutputs(value);
    });
  }
});
