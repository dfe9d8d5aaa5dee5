// Imports the package's default entry in Chromium, starts the backends init picks or is told to, and
// trains one step on each: the bundle works and webgl is the browser's choice.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import * as backend from '../../../src/backend/index.js';
import * as tflite from '../../../src/tflite/index.js';
const tfmot = {backend, tflite};
import {runInPage} from '../../helpers/browser_entry.js';

async function oneStep(): Promise<number> {
  const model = tfl.sequential({layers: [tfl.layers.dense({units: 2, inputShape: [3]})]});
  model.compile({optimizer: 'sgd', loss: 'meanSquaredError'});
  const x = tf.ones([4, 3]);
  const y = tf.zeros([4, 2]);
  const loss = (await model.fit(x, y, {epochs: 1, verbose: 0})).history.loss[0] as number;
  tf.dispose([x, y]);
  model.dispose();
  return loss;
}

runInPage(async () => {
  const picked = await tfmot.backend.init();
  const webglLoss = await oneStep();
  const wasm = await tfmot.backend.init({backend: 'wasm', wasmPaths: '/tfjs-wasm/'});
  const wasmLoss = await oneStep();
  const timeoutError = await tfmot.tflite.Interpreter.create(new Uint8Array(8), {timeoutMs: 10})
      .then(() => 'none', (e: Error) => `${e.name}: ${e.message}`);
  return {picked, backend: tf.getBackend(), wasm, webglLoss, wasmLoss, timeoutError,
    exports: Object.keys(tfmot).sort()};
});
