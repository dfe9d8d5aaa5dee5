// Runs .tflite files exported in Node through tfmot.tflite.Interpreter in Chromium (page or Web Worker) and
// returns the raw outputs; on the page also a missing wasm path, a LiteRT trap and the recovery after it.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

import {Interpreter, LiteRtCrash, setLiteRtWasmPath} from '../../../src/tflite/interpreter.js';
import {openSession, runtimeRestarts} from '../../../src/tflite/litert_session.js';
import {fetchBytes, fetchJson, runInPage} from '../../helpers/browser_entry.js';

interface Input {
  values: number[];
  shape: number[];
  /** Whether to provoke a trap and check recovery (on the page only: once is enough). */
  hostile: boolean;
}

/** The outputs of predict, and the raw output tensor after setTensor/invoke on the first sample. */
async function runFile(name: string, input: Input): Promise<{predicted: number[], raw: number[], dtype: string}> {
  const interpreter = await Interpreter.create(await fetchBytes(`/${name}.tflite`));
  try {
    const xs = tf.tensor(input.values, input.shape);
    const ys = await interpreter.predict(xs);
    const predicted = Array.from(await ys.data());
    tf.dispose([xs, ys]);
    const [inDetails] = interpreter.getInputDetails();
    const [outDetails] = interpreter.getOutputDetails();
    const size = inDetails.shape.reduce((a, b) => a * b, 1);
    const first = input.values.slice(0, size);
    const {scale, zeroPoint} = inDetails.quantization;
    const data = inDetails.dtype === 'float32' ? Float32Array.from(first) :
        Int8Array.from(first, (v) => Math.max(-128, Math.min(127, Math.round(v / scale) + zeroPoint)));
    interpreter.setTensor(inDetails.index, data);
    await interpreter.invoke();
    return {predicted, raw: Array.from(interpreter.getTensor(outDetails.index) as Float32Array|Int8Array),
      dtype: outDetails.dtype};
  } finally {
    interpreter.dispose();
  }
}

runInPage(async () => {
  await tf.setBackend('cpu');
  const input = await fetchJson<Input>('/input.json');
  const result: Record<string, unknown> = {};
  if (input.hostile) {
    result.unsetPath = await Interpreter.create(await fetchBytes('/float.tflite')).then(() => 'created',
        (e: Error) => e.message);
  }
  setLiteRtWasmPath('/litert/');
  result.float = await runFile('float', input);
  result.int8 = await runFile('int8', input);
  if (input.hostile) {
    const before = await Interpreter.create(await fetchBytes('/int8.tflite'));
    const restarts = runtimeRestarts();
    // Past the reader straight to LiteRT: this file traps its WebAssembly instance.
    const trap = await openSession(await fetchBytes('/trap.tflite')).then(() => null, (e: Error) => e);
    result.trap = {crash: trap instanceof LiteRtCrash, message: trap?.message};
    result.afterTrap = await runFile('int8', input);
    result.restarts = runtimeRestarts() - restarts;
    // Made before the trap: compiles again on the new instance when next run.
    const xs = tf.tensor(input.values, input.shape);
    const ys = await before.predict(xs);
    result.beforeTrapAgain = Array.from(await ys.data());
    tf.dispose([xs, ys]);
    before.dispose();
  }
  return result;
});
