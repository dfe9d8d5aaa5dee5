/**
 * The browser demo (examples/browser/) in real headless Chromium: the build
 * works, the page's whole flow (train, QAT, int8 export, LiteRT, IndexedDB)
 * completes with no console or page error, and what the page made agrees
 * with Node: the int8 file is byte-identical to the Node export of the page's
 * trained QAT model (loaded in Node from the artifacts the page saved), and
 * LiteRT in Node gives the page's int8 outputs for that file.
 *
 * The bytes depend only on the weights: for a QAT model the converter takes
 * every range from the model's quantizer variables (the representative
 * dataset is not needed for calibration), and reads weights on the CPU. So
 * the page may train on any backend: one run uses wasm, the other the
 * page's default (webgl) with pruning. The QAT model's logits agree exactly
 * too, page vs Node, because its output is fake-quantized to the int8 grid.
 */
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {type Browser, chromium, type Page} from 'playwright-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {buildDemo, type BuiltDemo, type DemoServer, serveDemo} from '../../examples/browser/build.js';
import {decodeMnistSubset} from '../../examples/browser/mnist_subset.js';
import {calibrationSamples, int8Converter, runInt8} from '../../examples/browser/recipe.js';
import {BUNDLED} from '../../examples/browser/settings.js';
import * as tfmot from '../../src/index.js';
import {CHROMIUM} from '../helpers/browser.js';

/** As test/helpers/browser.ts launches it: no sandbox or GPU process (WebGL2 on SwiftShader), no network. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Small sizes keep the run short; the flow is the same as at the page's defaults (2,000 digits, 2 + 1 epochs). */
const SIZES = {train: 1024, test: 300, epochs: 2, qatEpochs: 1, calibration: 64};
/** webgl runs on SwiftShader (the CPU) in headless Chromium, about 15x slower than wasm: fewer digits there. */
const WEBGL_SIZES = {train: 512, test: 200, epochs: 1, qatEpochs: 1, calibration: 64};

/** The page's result, with its binary parts as base64 (what page.evaluate can return). */
interface PageResult {
  backend: string;
  floatAccuracy: number;
  qatAccuracy: number;
  int8Accuracy: number;
  fileSparsity: number;
  tflite: string;
  tfliteGzipBytes: number;
  int8Outputs: string;
  qatLogits: string;
  artifacts: {modelTopology: object, weightSpecs: tf.io.WeightsManifestEntry[], weightData: string};
  indexedDb: {url: string, weightsEqual: boolean, predictionsEqual: boolean};
  timings: Record<string, number>;
  elapsedMs: number;
  downloadHref: string;
}

/** Runs in the page (as a string, so no transpiler helper leaks into it). */
const READ_RESULT = `(() => {
  const b64 = (view) => {
    const bytes = new Uint8Array(view.buffer ?? view, view.byteOffset ?? 0, view.byteLength);
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  };
  const r = window.demo.result;
  return {backend: r.backend, floatAccuracy: r.floatAccuracy, qatAccuracy: r.qatAccuracy,
    int8Accuracy: r.int8Accuracy, fileSparsity: r.fileSparsity, tflite: b64(r.tflite),
    tfliteGzipBytes: r.tfliteGzipBytes,
    int8Outputs: b64(r.int8Outputs), qatLogits: b64(r.qatLogits),
    artifacts: {modelTopology: r.artifacts.modelTopology, weightSpecs: r.artifacts.weightSpecs,
      weightData: b64(r.artifacts.weightData)},
    indexedDb: r.indexedDb, timings: r.timings, elapsedMs: window.demo.elapsedMs,
    downloadHref: document.getElementById('download').href};
})()`;

const bytes = (base64: string) => new Uint8Array(Buffer.from(base64, 'base64'));

describe('browser demo in headless Chromium', () => {
  let outDir: string;
  let built: BuiltDemo;
  let server: DemoServer;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is not installed at ${CHROMIUM}: sudo apt-get install chromium (.ci/run does this).`);
    }
    await tfmot.backend.init({backend: 'wasm'});
    outDir = mkdtempSync(join(tmpdir(), 'tfmot-demo-'));
    built = await buildDemo({outDir});
    console.log(`demo build: ${built.ms} ms; page.js ${built.sizes['page.js']} B, worker.js ` +
        `${built.sizes['worker.js']} B, mnist_subset.bin ${built.sizes['mnist_subset.bin']} B`);
    server = await serveDemo(outDir, 0);
    browser = await chromium.launch({executablePath: CHROMIUM, args: CHROMIUM_ARGS});
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir != null) {
      rmSync(outDir, {recursive: true, force: true});
    }
  });

  /** Opens the page with `query`, waits for its run to end, and returns its result and every problem seen. */
  async function runPage(query: string): Promise<{result: PageResult, problems: string[], page: Page}> {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') {
        problems.push(`console error: ${m.text()}`);
      }
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
    // Errors inside the worker reach the page as its 'error' event or an {type: 'error'} message.
    page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && problems.push(`worker console: ${m.text()}`)));
    const start = performance.now();
    await page.goto(`${server.url}?${query}&run=1`);
    await page.waitForFunction('window.demo.status === "done" || window.demo.status === "error"', undefined,
        {timeout: 0, polling: 250});
    const status = await page.evaluate('[window.demo.status, window.demo.error]') as [string, string|undefined];
    expect(status, 'the page reported an error').toEqual(['done', undefined]);
    const result = await page.evaluate(READ_RESULT) as PageResult;
    console.log(`page flow (${query}): ${Math.round(performance.now() - start)} ms in the test, ` +
        `${Math.round(result.elapsedMs)} ms in the page; stages ${JSON.stringify(result.timings)}; accuracy ` +
        `float ${result.floatAccuracy}, QAT ${result.qatAccuracy}, int8 LiteRT ${result.int8Accuracy}; ` +
        `${bytes(result.tflite).length} B .tflite (${result.tfliteGzipBytes} B gzipped, ` +
        `${(100 * result.fileSparsity).toFixed(1)} % zero weights)`);
    return {result, problems, page};
  }

  it('bundles the digits tfmot.data.loadMnist gives in Node for the same seed', () => {
    const subset = decodeMnistSubset(readFileSync(join(outDir, 'mnist_subset.bin')));
    const {train, test} = tfmot.data.loadMnist({numTrain: BUNDLED.train, numTest: BUNDLED.test, seed: BUNDLED.seed});
    expect(subset.seed).toBe(BUNDLED.seed);
    expect(Buffer.from(subset.train.pixels.buffer).equals(Buffer.from(train.xs.dataSync().buffer))).toBe(true);
    expect(Array.from(subset.test.labels)).toEqual(Array.from(test.ys.dataSync()));
    expect(Buffer.from(subset.test.pixels.buffer).equals(Buffer.from(test.xs.dataSync().buffer))).toBe(true);
    tf.dispose([train.xs, train.ys, test.xs, test.ys]);
  });

  /** Runs the page with `sizes` and `extra` parameters and checks its result against Node. */
  async function checkPageAgainstNode(extra: Record<string, string>, sizes: typeof SIZES, minAccuracy: number) {
    const query = new URLSearchParams({...extra, ...Object.fromEntries(
        Object.entries(sizes).map(([k, v]) => [k, String(v)]))}).toString();
    const {result, problems, page} = await runPage(query);
    expect(problems).toEqual([]);
    // Trained for real: far above chance (0.1) on the held-out digits.
    expect(result.floatAccuracy).toBeGreaterThan(minAccuracy);
    expect(result.qatAccuracy).toBeGreaterThan(minAccuracy);
    expect(Math.abs(result.int8Accuracy - result.qatAccuracy)).toBeLessThanOrEqual(0.03);
    expect(result.downloadHref).toMatch(/^blob:/);
    // The download link serves the file's bytes.
    const downloaded = await page.evaluate(`fetch(document.getElementById('download').href)
        .then((r) => r.arrayBuffer()).then((b) => b.byteLength)`);
    expect(downloaded).toBe(bytes(result.tflite).length);
    // (c) The wrapped QAT model went to IndexedDB and came back identical in the page.
    expect(result.indexedDb).toEqual({url: 'indexeddb://tfmot-demo-qat', weightsEqual: true, predictionsEqual: true});
    await page.close();

    // The page's digits, decoded as the page decoded them.
    const subset = decodeMnistSubset(readFileSync(join(outDir, 'mnist_subset.bin')));
    const trainXs = tf.tensor4d(subset.train.pixels.subarray(0, sizes.train * 784), [sizes.train, 28, 28, 1]);
    const testPixels = subset.test.pixels.subarray(0, sizes.test * 784);
    const testXs = tf.tensor4d(testPixels, [sizes.test, 28, 28, 1]);

    // The page's model.json and weights load in Node into the same wrapped QAT model.
    const {modelTopology, weightSpecs, weightData} = result.artifacts;
    const weights = bytes(weightData);
    const model = await tfl.loadLayersModel(tf.io.fromMemory({modelTopology, weightSpecs,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength)}));
    expect(model.layers.map((l) => l.getClassName())).toEqual(
        ['InputLayer', 'QuantizeLayer', 'QuantizeWrapper', 'MaxPooling2D', 'Flatten', 'QuantizeWrapper']);
    const pageLogits = new Float32Array(bytes(result.qatLogits).buffer);
    const nodeLogits = tf.tidy(() => (model.predict(testXs) as tf.Tensor).dataSync());
    const logitsDiff = Math.max(...pageLogits.map((v, i) => Math.abs(v - nodeLogits[i])));
    console.log(`QAT logits, page (Chromium ${result.backend}) vs Node (wasm): max |diff| ${logitsDiff}`);
    expect(logitsDiff).toBeLessThan(result.backend === 'wasm' ? 1e-5 : 1e-3);

    // (a) Node's export of that model, calibrated on the same digits, is the page's file byte for byte.
    const samples = calibrationSamples(trainXs, sizes.calibration);
    const nodeFile = await int8Converter(model, samples).convert();
    const pageFile = bytes(result.tflite);
    expect(nodeFile.length).toBe(pageFile.length);
    expect(Buffer.compare(Buffer.from(nodeFile), Buffer.from(pageFile))).toBe(0);

    // (b) LiteRT in Node gives the page's int8 outputs for the page's file.
    const interpreter = await tfmot.tflite.Interpreter.create(pageFile);
    const nodeOutputs = await runInt8(interpreter, testPixels, sizes.test);
    interpreter.dispose();
    expect(Array.from(nodeOutputs)).toEqual(Array.from(new Int8Array(bytes(result.int8Outputs).buffer)));

    tf.dispose([trainXs, testXs, ...samples]);
    model.dispose();
    return result;
  }

  it('runs the whole flow on wasm, and Node makes the same int8 file and LiteRT outputs', async () => {
    const result = await checkPageAgainstNode({backend: 'wasm'}, SIZES, 0.7);
    expect(result.backend).toBe('wasm');
    expect(result.fileSparsity).toBeLessThan(0.05);
  });

  it('prunes on the default backend (webgl in Chromium), and Node still makes the same file', async () => {
    const result = await checkPageAgainstNode({prune: '1'}, WEBGL_SIZES, 0.4);
    expect(result.backend).toBe('webgl');
    // 50% of each kernel pruned, and the prune-preserving QAT kept the zeros into the file. Its sparsity masks are among the
    // weights saved to IndexedDB and posted to Node: on webgl they used to save as 1 byte per value.
    expect(result.fileSparsity).toBeGreaterThan(0.45);
    // The zeros show in the file's gzipped size (unpruned, gzip saves under 10%).
    expect(result.tfliteGzipBytes).toBeLessThan(0.8 * bytes(result.tflite).length);
  });
});
