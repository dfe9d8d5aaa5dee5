/**
 * tfmot.tflite.Interpreter against hostile files: what the library refuses
 * before LiteRT sees the bytes, LiteRT's recovery after its WebAssembly
 * traps, the watchdog on calls that do not return, and inputs or declared
 * shapes that would make it return values nobody computed.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {beforeAll, describe, expect, it} from 'vitest';

import {ValueError} from '../../src/errors.js';
import {Interpreter, LiteRtCrash} from '../../src/tflite/interpreter.js';
import {openSession, runtimeRestarts} from '../../src/tflite/litert_loader.js';
import {writeModel} from '../../src/tflite/writer.js';
import {addModel, denseWeights, int8DenseModel, int8DenseParams, randomFloats} from './hand_built_models.js';

const weights = denseWeights(6, 16, 21);
const floatIoDense = () => int8DenseModel(weights, int8DenseParams(weights, [-1, 1], [-3, 2.5]), true);

/** The int8 dense file with the input's zero point patched to `zeroPoint` (past what writeModel allows). */
function withInputZeroPoint(zeroPoint: bigint): Uint8Array {
  const model = floatIoDense();
  const marker = -77n;
  model.subgraphs[0].tensors[0].quantization!.zeroPoint = [Number(marker)];
  const bytes = writeModel(model);
  const find = new Uint8Array(new BigInt64Array([marker]).buffer);
  const at = bytes.findIndex((_, i) => find.every((b, k) => bytes[i + k] === b));
  expect(at).toBeGreaterThan(0);
  bytes.set(new Uint8Array(new BigInt64Array([zeroPoint]).buffer), at);
  return bytes;
}

/** Creates the valid float-I/O int8 file, runs one input and checks the output is LiteRT's, then frees it. */
async function runValidModel(interpreter?: Interpreter): Promise<void> {
  const own = interpreter ?? await Interpreter.create(writeModel(floatIoDense()));
  try {
    const x = tf.tensor(randomFloats(16, 3), [1, 16]);
    const y = await own.predict(x);
    expect(y.shape).toEqual([1, 6]);
    expect(Array.from(await y.data()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, y]);
  } finally {
    if (interpreter == null) {
      own.dispose();
    }
  }
}

describe('Interpreter on hostile files', () => {
  // The Node entry (vitest setupFiles) registers wasm, which outranks cpu but is not started.
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('checks the bytes before LiteRT: a zero point its type cannot hold is named, not run', async () => {
    const error = await Interpreter.create(withInputZeroPoint(-637534209n)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValueError);
    expect((error as Error).message).toMatch(/^Interpreter.create: modelContent is not a valid TFLite file: readModel: subgraphs\[0\]\.tensors\[0\] \('x_int8'\)\.quantization\.zeroPoint\[0\] \(INT8\): -637534209 is out of range \[-128, 127\]/);
  });

  it('refuses a schema version or operator code runtimes do not know, naming it', async () => {
    const bytes = writeModel(addModel());
    // Model.version is field 0 of the root table: find it through the vtable and make it 4.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const table = view.getUint32(0, true);
    const vtable = table - view.getInt32(table, true);
    view.setUint32(table + view.getUint16(vtable + 4, true), 4, true);
    await expect(Interpreter.create(bytes)).rejects.toThrow(
        /readModel: version: 4 is not the schema version TFLite runtimes run \(3\)/);
    const unknownOp = addModel();
    unknownOp.operatorCodes[0].builtinCode = 9999 as never;
    expect(() => writeModel(unknownOp)).toThrow(/writeModel: operatorCodes\[0\]\.builtinCode: 9999 is out of range/);
  });

  it('survives a LiteRT trap: the next create works, and interpreters made before recompile and run', async () => {
    const before = await Interpreter.create(writeModel(floatIoDense()));
    await runValidModel(before);
    const restarts = runtimeRestarts();
    // Straight to LiteRT, past the reader: this file traps its WebAssembly ("null function or function signature mismatch").
    const trap = await openSession(withInputZeroPoint(-637534209n)).catch((e: unknown) => e);
    expect(trap).toBeInstanceOf(LiteRtCrash);
    expect((trap as Error).message).toMatch(/WebAssembly instance trapped \(.+\); it was discarded/);
    await runValidModel();
    expect(runtimeRestarts()).toBe(restarts + 1);
    await runValidModel(before);
    before.dispose();
  });

  it('stops a call that overruns timeoutMs with an error, and runs the next one', async () => {
    // A fresh worker must load LiteRT first, which takes far longer than 1 ms.
    await openSession(withInputZeroPoint(-637534209n)).catch(() => undefined);
    const error = await Interpreter.create(writeModel(floatIoDense()), {timeoutMs: 1}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LiteRtCrash);
    expect((error as Error).message).toMatch(/LiteRT did not finish a open call within 1 ms; its worker was stopped/);
    await runValidModel();
  });

  it('refuses an output declared longer than its kernel writes (the runtime would pad it with zeros)', async () => {
    const model = addModel();
    model.subgraphs[0].tensors[2].shape = [1, 1000000];
    await expect(Interpreter.create(writeModel(model))).rejects.toThrow(/^Interpreter.create: the model cannot run as written: subgraphs\[0\]\.operators\[0\] \(ADD\)\.outputs\[0\]: tensor 2 \('sum'\) is declared \[1,1000000\] but ADD of inputs \[1,4\], \[1,4\] gives \[1,4\]$/);
    const dense = floatIoDense();
    dense.subgraphs[0].tensors[3].shape = [1, 7];
    await expect(Interpreter.create(writeModel(dense))).rejects.toThrow(/FULLY_CONNECTED\)\.outputs\[0\]: tensor 3 \('y_int8'\) is declared \[1,7\] but FULLY_CONNECTED of inputs \[1,16\], \[6,16\], \[6\] gives 6 values/);
  });

  it('refuses operators out of execution order, cycles and tensors written twice', async () => {
    const model = floatIoDense();
    const ops = model.subgraphs[0].operators;
    model.subgraphs[0].operators = [ops[1], ops[0], ops[2]];
    await expect(Interpreter.create(writeModel(model))).rejects.toThrow(/operators\[0\] \(FULLY_CONNECTED\)\.inputs\[0\]: reads tensor 0 \('x_int8'\), which operators\[1\] writes only later/);
    const cycle = floatIoDense();
    cycle.subgraphs[0].operators[0].inputs = [5];
    await expect(Interpreter.create(writeModel(cycle))).rejects.toThrow(/operators\[0\] \(QUANTIZE\)\.inputs\[0\]: reads tensor 5 \('y'\), which operators\[2\] writes only later/);
    const twice = floatIoDense();
    twice.subgraphs[0].operators[2].outputs = [0];
    await expect(Interpreter.create(writeModel(twice))).rejects.toThrow(/operators\[2\] \(DEQUANTIZE\)\.outputs\[0\]: writes tensor 0 \('x_int8'\), which already holds subgraphs\[0\]\.operators\[0\] \(QUANTIZE\)/);
  });

  it('rejects NaN fed to a float input the model quantizes itself, in setTensor and predict', async () => {
    const interpreter = await Interpreter.create(writeModel(floatIoDense()));
    try {
      const [input] = interpreter.getInputDetails();
      expect(input.dtype).toBe('float32');
      const x = randomFloats(16, 5);
      x[3] = NaN;
      expect(() => interpreter.setTensor(input.index, x)).toThrow(
          /setTensor: element 3 of input 4 \('x'\) is NaN; the model quantizes this input/);
      const xs = tf.tensor(x, [1, 16]);
      await expect(interpreter.predict(xs)).rejects.toThrow(/predict: element 3 of input 4 \('x'\) is NaN/);
      xs.dispose();
    } finally {
      interpreter.dispose();
    }
    // A float model computes in float: NaN goes through, as in TFLite.
    const float = await Interpreter.create(writeModel(addModel()));
    try {
      expect(() => float.setTensor(0, new Float32Array([NaN, 0, 0, 0]))).not.toThrow();
    } finally {
      float.dispose();
    }
  });
});
