/**
 * The demo's Web Worker: all the TensorFlow.js and LiteRT work, so the page
 * stays responsive. Receives one RunRequest, posts progress and log lines,
 * then the DemoResult (or an error).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {gzipSync} from 'fflate';
import seedrandom from 'seedrandom';
import * as tfmot from 'tfjs-model-optimization';

import {decodeMnistSubset} from '../mnist_subset.js';
import type {DemoResult, RunRequest, SavedArtifacts, WorkerMessage} from '../protocol.js';
import {argmaxAccuracy, calibrationSamples, compileForLogits, DemoSettings, int8Converter, runInt8}
  from '../recipe.js';

/** The worker's global scope, typed for the two members we use (tsconfig's DOM lib types `self` as a Window). */
const scope = self as unknown as {
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void,
  onmessage: ((event: MessageEvent<RunRequest>) => void) | null,
};

const post = (message: WorkerMessage, transfer: Transferable[] = []) => scope.postMessage(message, transfer);
const log = (line: string) => post({type: 'log', line});

const IDB_URL = 'indexeddb://tfmot-demo-qat';

/** The bundled digits as tensors, cut to the requested sizes. */
async function loadDigits(url: string, settings: DemoSettings) {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`Fetching the MNIST subset ${url} failed: HTTP ${response.status}.`);
  }
  const subset = decodeMnistSubset(new Uint8Array(await response.arrayBuffer()));
  const available = {train: subset.train.labels.length, test: subset.test.labels.length};
  if (!(settings.train >= 1 && settings.train <= available.train && settings.test >= 1 &&
        settings.test <= available.test)) {
    throw new Error(`train must be in 1..${available.train} and test in 1..${available.test} (the bundled digits); ` +
        `received train=${settings.train}, test=${settings.test}.`);
  }
  if (!(settings.calibration >= 1 && settings.calibration <= settings.train)) {
    throw new Error(`calibration must be in 1..train (${settings.train}); received ${settings.calibration}.`);
  }
  const pixels = 28 * 28;
  const trainXs = tf.tensor4d(subset.train.pixels.subarray(0, settings.train * pixels), [settings.train, 28, 28, 1]);
  const trainLabels = subset.train.labels.subarray(0, settings.train);
  const trainYs = tfmot.data.oneHotLabels(tf.tensor1d(trainLabels, 'int32'));
  const testPixels = subset.test.pixels.subarray(0, settings.test * pixels);
  const testXs = tf.tensor4d(testPixels, [settings.test, 28, 28, 1]);
  const testLabels = subset.test.labels.subarray(0, settings.test);
  return {trainXs, trainYs, testXs, testPixels, testLabels,
    dispose: () => tf.dispose([trainXs, trainYs, testXs])};
}

/** Float logits of `model` on `xs`, read back to the CPU. */
function logits(model: tfl.LayersModel, xs: tf.Tensor): Float32Array {
  return tf.tidy(() => (model.predict(xs, {batchSize: 250}) as tf.Tensor).dataSync() as Float32Array);
}

/** Saves `model` in memory: the model.json and weights a file download or a server upload would get. */
async function saveToMemory(model: tfl.LayersModel): Promise<SavedArtifacts> {
  let saved: SavedArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = {
      modelTopology: artifacts.modelTopology as object,
      weightSpecs: artifacts.weightSpecs ?? [],
      weightData: tf.io.CompositeArrayBuffer.join(artifacts.weightData),
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
    };
    return {modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts)};
  }));
  return saved!;
}

/** Saves `model` to IndexedDB, loads it back and compares every weight and the test predictions bit for bit. */
async function indexedDbRoundTrip(model: tfl.LayersModel, testXs: tf.Tensor, expected: Float32Array) {
  await model.save(IDB_URL);
  const loaded = await tfl.loadLayersModel(IDB_URL);
  try {
    const before = model.getWeights();
    const after = loaded.getWeights();
    const weightsEqual = before.length === after.length && before.every((w, i) =>
      w.dtype === after[i].dtype && tf.util.arraysEqual(w.shape, after[i].shape) &&
      bitsEqual(w.dataSync(), after[i].dataSync()));
    const predictionsEqual = bitsEqual(expected, logits(loaded, testXs));
    return {url: IDB_URL, weightsEqual, predictionsEqual};
  } finally {
    loaded.dispose();
  }
}

function bitsEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));
}

async function run({settings, urls}: RunRequest): Promise<DemoResult> {
  const timings: Record<string, number> = {};
  let clock = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - clock);
    clock = now;
  };
  // fit() shuffles every epoch with Math.random: seed it so a run is reproducible.
  seedrandom(String(settings.seed), {global: true});
  post({type: 'progress', stage: 'Starting TensorFlow.js', fraction: 0});
  // webgl when the browser has WebGL, else wasm (from the folder the build copied its files to), else cpu.
  const backend = await tfmot.backend.init({wasmPaths: urls.tfjsWasm,
    ...(settings.backend === '' ? {} : {backend: settings.backend as tfmot.backend.BackendName})});
  const digits = await loadDigits(urls.data, settings);
  log(`Backend ${backend}; MNIST: ${settings.train} train, ${settings.test} test digits (seed ${settings.seed})`);
  lap('setup');

  // Progress over every training batch of the three phases, then the export and the checks.
  const batchesPerEpoch = Math.ceil(settings.train / settings.batchSize);
  const totalBatches = batchesPerEpoch * (settings.epochs + settings.qatEpochs * (settings.prune ? 2 : 1));
  const trainingShare = 0.85;
  let batchesDone = 0;
  const fit = async (model: tfl.LayersModel, epochs: number, stage: string, extra: tfl.Callback[] = []) => {
    compileForLogits(model);
    const progress = new tfl.CustomCallback({
      onBatchEnd: async () => {
        batchesDone++;
        post({type: 'progress', stage, fraction: trainingShare * batchesDone / totalBatches});
      },
      onEpochEnd: async (epoch, logs) => log(`${stage}: epoch ${epoch + 1}/${epochs}, loss ` +
          `${logs?.loss.toFixed(4)}, accuracy ${logs?.acc.toFixed(4)}`),
    });
    await model.fit(digits.trainXs, digits.trainYs, {epochs, batchSize: settings.batchSize, verbose: 0,
      callbacks: [...extra, progress]});
  };
  const accuracy = (model: tfl.LayersModel) => argmaxAccuracy(logits(model, digits.testXs), digits.testLabels);

  // 1. The tutorial CNN in float.
  const model = tfmot.data.mnistTutorialModel({seed: settings.seed});
  await fit(model, settings.epochs, 'Training the float model');
  const floatAccuracy = accuracy(model);
  lap('float');

  // 2. Optionally prune half of each kernel (UpdatePruningStep re-applies the masks after each batch).
  let base: tfl.LayersModel = model;
  if (settings.prune) {
    const pruning = tfmot.sparsity.pruneLowMagnitude(model, {
      pruningSchedule: new tfmot.sparsity.ConstantSparsity({targetSparsity: 0.5, beginStep: 0})});
    await fit(pruning, settings.qatEpochs, 'Pruning 50%', [new tfmot.sparsity.UpdatePruningStep()]);
    base = tfmot.sparsity.stripPruning(pruning);
    pruning.dispose();
    lap('prune');
  }

  // 3. QAT: fake-quantize weights and activations, then fine-tune. After pruning, the
  // prune-preserving scheme keeps the zeros through QAT.
  const qat = settings.prune ?
    tfmot.quantization.quantizeApply(tfmot.quantization.quantizeAnnotateModel(base),
        new tfmot.quantization.Default8BitPrunePreserveQuantizeScheme()) :
    tfmot.quantization.quantizeModel(base);
  await fit(qat, settings.qatEpochs, 'QAT fine-tuning');
  const qatLogits = logits(qat, digits.testXs);
  const qatAccuracy = argmaxAccuracy(qatLogits, digits.testLabels);
  lap('qat');

  // 4. The int8 .tflite file, made here in the browser.
  const samples = calibrationSamples(digits.trainXs, settings.calibration);
  const converter = int8Converter(qat, samples);
  converter.onProgress = ({stage}) => post({type: 'progress', stage: `Converting to int8 TFLite (${stage})`,
    fraction: trainingShare + 0.05});
  const tflite = await converter.convert();
  tf.dispose(samples);
  log(`int8 TFLite file: ${tflite.length} bytes`);
  lap('export');

  // 5. The file in LiteRT.js, on the same test digits.
  post({type: 'progress', stage: 'Running the file in LiteRT.js', fraction: trainingShare + 0.08});
  tfmot.tflite.setLiteRtWasmPath(urls.liteRtWasm);
  const interpreter = await tfmot.tflite.Interpreter.create(tflite);
  const int8Outputs = await runInt8(interpreter, digits.testPixels, settings.test);
  interpreter.dispose();
  const int8Accuracy = argmaxAccuracy(int8Outputs, digits.testLabels);
  lap('litert');

  // 6. Keep the QAT model: in memory (posted to the page) and in IndexedDB, loaded back and compared.
  post({type: 'progress', stage: 'Saving the QAT model to IndexedDB', fraction: trainingShare + 0.12});
  const artifacts = await saveToMemory(qat);
  const indexedDb = await indexedDbRoundTrip(qat, digits.testXs, qatLogits);
  lap('save');

  const result: DemoResult = {backend, settings, floatAccuracy, qatAccuracy, int8Accuracy,
    fileSparsity: tfmot.report(tflite).sparsity, tflite, tfliteGzipBytes: gzipSync(tflite, {level: 9}).length,
    floatWeightBytes: 4 * model.countParams(), int8Outputs, qatLogits, artifacts, indexedDb, timings};
  for (const m of new Set([model, base, qat])) {
    m.dispose();
  }
  digits.dispose();
  return result;
}

scope.onmessage = (event) => {
  run(event.data).then(
      (result) => post({type: 'done', result}, [result.tflite.buffer, result.artifacts.weightData]),
      (e: unknown) => post({type: 'error', message: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e)}));
};
