/**
 * inspect / formatSummary on hand-built files.
 */
import {describe, expect, it} from 'vitest';

import {ValueError} from '../../src/errors.js';
import {formatSummary, inspect} from '../../src/tflite/inspect.js';
import {writeModel} from '../../src/tflite/writer.js';
import {denseWeights, int8DenseModel, int8DenseParams} from './hand_built_models.js';
import {kitchenSinkModel} from './kitchen_sink_model.js';

describe('inspect', () => {
  const w = denseWeights(6, 16, 21);
  const q = int8DenseParams(w, [-1, 1], [-3, 2.5]);
  const bytes = writeModel(int8DenseModel(w, q, true));

  it('lists operators with names, versions, tensor indices and readable options', () => {
    const summary = inspect(bytes);
    expect(summary.operators.map((op) => [op.opName, op.version, op.inputs, op.outputs])).toEqual([
      ['QUANTIZE', 2, [4], [0]],
      ['FULLY_CONNECTED', 4, [0, 1, 2], [3]],
      ['DEQUANTIZE', 2, [3], [5]],
    ]);
    expect(summary.operators[1].optionsType).toBe('FullyConnectedOptions');
    expect(summary.operators[1].options).toMatchObject({fusedActivationFunction: 'NONE', keepNumDims: false});
  });

  it('lists tensors with type names, quantization and buffer sizes', () => {
    const summary = inspect(bytes);
    const kernel = summary.tensors[1];
    expect(kernel).toMatchObject({name: 'dense/kernel', shape: [6, 16], type: 'INT8', buffer: 1, bufferBytes: 96});
    expect(kernel.quantization).toEqual({scale: [q.weightScale], zeroPoint: [0], quantizedDimension: 0});
    expect(summary.tensors[2]).toMatchObject({type: 'INT32', bufferBytes: 24});
    expect(summary.tensors[4]).toMatchObject({name: 'x', type: 'FLOAT32', bufferBytes: 0});
    expect(summary.tensors[4].quantization).toBeUndefined();
    expect(summary).toMatchObject({inputs: [4], outputs: [5], totalBufferBytes: 120, fileBytes: bytes.length,
      signatureKeys: ['serving_default'], subgraphCount: 1, version: 3});
  });

  it('names custom ops and summarizes other subgraphs on request', () => {
    const file = writeModel(kitchenSinkModel());
    expect(inspect(file).operators.map((op) => op.opName)).toContain('CUSTOM:MyCustomOp');
    expect(inspect(file, 1).tensors.map((t) => [t.name, t.type])).toEqual([['flags', 'BOOL']]);
    expect(() => inspect(file, 2)).toThrow(/inspect: subgraphIndex 2 is out of range; the model has 2 subgraph\(s\)/);
  });

  it('rejects bytes that are not a TFLite file with a ValueError', () => {
    expect(() => inspect(new Uint8Array(40))).toThrow(ValueError);
  });
});

describe('formatSummary', () => {
  it('prints a header, a tensor table and an operator table', () => {
    const w = denseWeights(6, 16, 21);
    const text = formatSummary(inspect(writeModel(int8DenseModel(w, int8DenseParams(w, [-1, 1], [-3, 2.5]), false))));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^TFLite model \(schema v3\) "hand-built int8 FULLY_CONNECTED, int8 I\/O": \d+ bytes, 120 bytes of buffers$/);
    expect(text).toContain('Inputs: 0:x_int8');
    expect(text).toContain('Outputs: 3:y_int8');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}1 {2}dense\/kernel {2}INT8 +\[6,16\] +1 +96 +scale=0\.00\d+ zp=0$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}0 {2}FULLY_CONNECTED {2}4 +0,1,2 +3 +fusedActivationFunction=NONE$/));
  });

  it('shows per-channel quantization as a range', () => {
    const text = formatSummary(inspect(writeModel(kitchenSinkModel())));
    expect(text).toMatch(/weights_per_channel +INT8 +\[13\] +1 +13 +13 channels \(dim 0\) scale=0\.01\.\.0\.13 zp=0\.\.0/);
    expect(text).toMatch(/CONV_2D +2 +0,1,-1 +6 +padding=VALID strideW=2 strideH=3 fusedActivationFunction=RELU6 /);
  });
});
