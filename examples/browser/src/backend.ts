/**
 * TEMPORARY until engineer C1's browser `tfmot.backend.init({wasmPaths})` is merged: starts a tfjs backend in
 * the worker by hand. Replaced by that call once it lands.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
import * as tfmot from 'tfjs-model-optimization';

export async function startBackend(name: string, wasmPaths: string): Promise<string> {
  setWasmPaths(wasmPaths);
  const choice = name === '' ? 'wasm' : name;
  if (choice === 'wasm') {
    tfmot.backend.registerWasmTrainingKernels();
  }
  if (!await tf.setBackend(choice)) {
    throw new Error(`backend '${choice}' could not start`);
  }
  return choice;
}
