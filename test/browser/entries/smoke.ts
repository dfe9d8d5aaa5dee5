// Imports the package's default (browser) entry in Chromium: init picks webgl, and on wasm (with wasmPaths) the
// library's gradient kernels and its fake-quant kernel are in place; the Interpreter refuses timeoutMs here.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import * as tfmot from '../../../src/index.js';
import {wasmFakeQuant} from '../../../src/quantization/wasm/fake_quant_kernel.js';
import {runInPage} from '../../helpers/browser_entry.js';

/** One SGD step of a dense model: its loss. */
async function oneStep(): Promise<number> {
  const model = tfl.sequential({layers: [tfl.layers.dense({units: 2, inputShape: [3],
    kernelInitializer: tfl.initializers.glorotUniform({seed: 3})})]});
  const optimizer = tf.train.sgd(0.1);
  model.compile({optimizer, loss: 'meanSquaredError'});
  const x = tf.ones([4, 3]);
  const y = tf.zeros([4, 2]);
  const loss = (await model.fit(x, y, {epochs: 2, verbose: 0})).history.loss as number[];
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return loss[1];
}

runInPage(async () => {
  const picked = await tfmot.backend.init();
  const webglLoss = await oneStep();
  const wasm = await tfmot.backend.init({backend: 'wasm', wasmPaths: '/tfjs-wasm/'});
  const wasmLoss = await oneStep();
  const x = tf.tensor([-1, 0.25, 0.5, 3]);
  const fakeQuant = wasmFakeQuant(x, {nudgedMin: -1, nudgedMax: 1, scale: 2 / 255, quantZero: 127.5});
  const fakeQuantValues = fakeQuant == null ? null : Array.from(await fakeQuant[0].data());
  tf.dispose([x, ...(fakeQuant ?? [])]);
  const timeoutError = await tfmot.tflite.Interpreter.create(new Uint8Array(8), {timeoutMs: 10})
      .then(() => 'none', (e: Error) => `${e.name}: ${e.message}`);
  return {
    picked, wasm, webglLoss, wasmLoss, fakeQuantValues, timeoutError,
    kernels: [tf.Conv2DBackpropFilter, tf.DepthwiseConv2dNativeBackpropFilter, tf.DepthwiseConv2dNativeBackpropInput,
      tf.UnsortedSegmentSum].filter((k) => tf.getKernel(k, 'wasm') != null),
    exports: Object.keys(tfmot).sort(),
  };
});
