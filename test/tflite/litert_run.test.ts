/**
 * Hand-built models written by `writeModel` and run by Google's runtime
 * (LiteRT.js), compared with plain-JS references.
 */
import {describe, expect, it} from 'vitest';

import {writeModel} from '../../src/tflite/writer.js';
import {ActivationFunctionType, Padding} from '../../src/tflite/schema.js';
import {expectClose} from '../helpers/compare.js';
import {expectNoLiteRtErrors, liteRtErrors, openTflite, runtimeHeapBytes, runTflite} from '../helpers/litert.js';
import {
  addModel, conv2dModel, conv2dReference, ConvSpec, denseWeights, fullyConnectedReluModel,
  denseReference, int8DenseModel, int8DenseParams, int8DenseReference, quantizeReference, randomFloats,
} from './hand_built_models.js';

describe('hand-built models in LiteRT', () => {
  it('float32 ADD of two inputs', async () => {
    const x = new Float32Array([1, -2, 3.5, 0.25]);
    const y = new Float32Array([10, 20, -30, 0.5]);
    const {outputs, log} = await runTflite(writeModel(addModel()), [{data: x, shape: [1, 4]}, {data: y, shape: [1, 4]}]);
    expectNoLiteRtErrors(log);
    expect(outputs).toHaveLength(1);
    expect(outputs[0].type).toBe('float32');
    expect(outputs[0].shape).toEqual([1, 4]);
    expect(Array.from(outputs[0].data as Float32Array)).toEqual([11, 18, -26.5, 0.75]);
  });

  it('float32 FULLY_CONNECTED with weights, bias and fused RELU', async () => {
    const w = denseWeights(5, 7, 11);
    const x = randomFloats(3 * 7, 12);
    const {outputs, log} = await runTflite(writeModel(fullyConnectedReluModel(w, 3)), [{data: x, shape: [3, 7]}]);
    expectNoLiteRtErrors(log);
    expect(outputs[0].shape).toEqual([3, 5]);
    const expected = denseReference(w, x, true);
    expect(expected.some((v) => v === 0) && expected.some((v) => v > 0), 'RELU clips some outputs').toBe(true);
    expectClose(outputs[0].data as Float32Array, expected, 1e-5);
  });

  describe('int8 FULLY_CONNECTED (per-tensor weights, int32 bias at in_scale * w_scale)', () => {
    const w = denseWeights(6, 16, 21);
    const q = int8DenseParams(w, [-1, 1], [-3, 2.5]);
    const x = randomFloats(16, 22);

    it('float I/O through QUANTIZE and DEQUANTIZE matches the integer reference to 1 LSB', async () => {
      const {outputs, log} = await runTflite(writeModel(int8DenseModel(w, q, true)), [{data: x, shape: [1, 16]}]);
      expectNoLiteRtErrors(log);
      expect(outputs[0].type).toBe('float32');
      const yq = int8DenseReference(q, quantizeReference(x, q.inScale, q.inZeroPoint), 6);
      const expected = Float32Array.from(yq, (v) => (v - q.outZeroPoint) * q.outScale);
      expectClose(outputs[0].data as Float32Array, expected, q.outScale * 1.0001);
      // And the quantized model stays near the float layer it approximates (catches sign errors in zero points).
      expectClose(outputs[0].data as Float32Array, denseReference(w, x, false), 0.1);
    });

    it('int8 input and output tensors directly', async () => {
      const xq = quantizeReference(x, q.inScale, q.inZeroPoint);
      const {outputs, log} = await runTflite(writeModel(int8DenseModel(w, q, false)), [{data: xq, shape: [1, 16]}]);
      expectNoLiteRtErrors(log);
      expect(outputs[0].type).toBe('int8');
      expect(outputs[0].shape).toEqual([1, 6]);
      expectClose(outputs[0].data as Int8Array, int8DenseReference(q, xq, 6), 1);
    });
  });

  const convCases: Array<[string, ConvSpec]> = [
    ['SAME padding, stride 2', {height: 5, width: 6, inChannels: 2, outChannels: 3, kernel: 3, stride: 2,
      padding: Padding.SAME, activation: ActivationFunctionType.NONE}],
    ['VALID padding, stride 1, fused RELU6', {height: 5, width: 5, inChannels: 3, outChannels: 4, kernel: 3, stride: 1,
      padding: Padding.VALID, activation: ActivationFunctionType.RELU6}],
  ];
  it.each(convCases)('float32 CONV_2D with an OHWI filter: %s', async (_, spec) => {
    const filter = randomFloats(spec.outChannels * spec.kernel * spec.kernel * spec.inChannels, 31, -1, 1);
    const bias = randomFloats(spec.outChannels, 32);
    const x = randomFloats(spec.height * spec.width * spec.inChannels, 33, -2, 2);
    const {outputs, log} = await runTflite(writeModel(conv2dModel(spec, filter, bias)),
        [{data: x, shape: [1, spec.height, spec.width, spec.inChannels]}]);
    expectNoLiteRtErrors(log);
    expectClose(outputs[0].data as Float32Array, conv2dReference(spec, x, filter, bias), 1e-4);
  });
});

describe('the LiteRT test helper', () => {
  it('reports wrong inputs clearly instead of running', async () => {
    const bytes = writeModel(addModel());
    const x = {data: new Float32Array(4), shape: [1, 4]};
    await expect(runTflite(bytes, [x])).rejects.toThrow(/signature has 2 input\(s\); got 1/);
    await expect(runTflite(bytes, [x, {data: new Int8Array(4), shape: [1, 4]}]))
        .rejects.toThrow(/input 1: the model wants float32 \[1,4\], got Int8Array \[1,4\]/);
  });

  it('reuses one compiled model across runs (openTflite)', async () => {
    const runner = await openTflite(writeModel(addModel()));
    try {
      for (let i = 0; i < 3; i++) {
        const [sum] = await runner.run([{data: new Float32Array([i, 0, 0, 0]), shape: [1, 4]},
          {data: new Float32Array([1, 1, 1, 1]), shape: [1, 4]}]);
        expect(Array.from(sum.data as Float32Array)).toEqual([i + 1, 1, 1, 1]);
      }
      expectNoLiteRtErrors(runner.log);
    } finally {
      runner.delete();
    }
  });

  it('returns the ERROR lines of a model that fails to prepare (the runtime does not throw)', async () => {
    // ADD of [1, 4] and [1, 3]: not broadcastable. LiteRT logs errors and returns garbage.
    const model = addModel();
    model.subgraphs[0].tensors[1].shape = [1, 3];
    const {log} = await runTflite(writeModel(model),
        [{data: new Float32Array(4), shape: [1, 4]}, {data: new Float32Array(3), shape: [1, 3]}]);
    expect(liteRtErrors(log).join('\n')).toMatch(/ERROR: .*failed to prepare/);
  });

  it('frees what it allocates: 100 runs of a 400 KB model do not grow the wasm heap', async () => {
    const w = denseWeights(100, 1000, 41);
    const bytes = writeModel(fullyConnectedReluModel(w, 1));
    const input = [{data: randomFloats(1000, 42), shape: [1, 1000]}];
    await runTflite(bytes, input);
    const heap = () => runtimeHeapBytes();
    const before = await heap();
    for (let i = 0; i < 100; i++) {
      await runTflite(bytes, input);
    }
    expect(await heap()).toBe(before);
  });

  it('throws with the runtime log for an operator version it lacks', async () => {
    const model = addModel();
    model.operatorCodes[0].version = 99;
    await expect(runTflite(writeModel(model), [])).rejects.toThrow(/Didn't find op for builtin opcode 'ADD' version '99'/);
  });
});
