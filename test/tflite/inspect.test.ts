/**
 * inspect / formatSummary on hand-built files.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {describe, expect, it} from 'vitest';

import {ValueError} from '../../src/errors.js';
import * as tfmot from '../../src/index.js';
import {formatSummary, inspect} from '../../src/tflite/inspect.js';
import {Model, TensorType} from '../../src/tflite/schema.js';
import {writeModel} from '../../src/tflite/writer.js';
import {addModel, denseWeights, int8DenseModel, int8DenseParams} from './hand_built_models.js';
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

  it('reads a converted int8 model whose identical layers share quantization parameters', async () => {
    // 30 identical depthwise layers: 30 x 512 per-channel scales and zero points stored once each.
    await tfmot.backend.init();
    const model = tfl.sequential({layers: Array.from({length: 30}, (_, i) => tfl.layers.depthwiseConv2d({
      kernelSize: 1, depthwiseInitializer: 'ones', useBias: false, ...(i === 0 ? {inputShape: [1, 1, 512]} : {}),
    }))});
    const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(model);
    converter.optimizations = ['DEFAULT'];
    converter.representativeDataset = function* () {
      yield [tf.ones([1, 1, 1, 512])];
    };
    const bytes = await converter.convert();
    model.dispose();
    const summary = inspect(bytes);
    expect(summary.operators.filter((op) => op.opName === 'DEPTHWISE_CONV_2D')).toHaveLength(30);
    expect(summary.tensors.filter((t) => t.quantization?.scale.length === 512).length).toBeGreaterThanOrEqual(30);
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

describe('formatSummary on large and hostile files', () => {
  /** One subgraph of the given tensors, no operators. */
  const tensorsModel = (tensors: Model['subgraphs'][0]['tensors'], buffers: Model['buffers'] = []): Model => ({
    version: 3, description: 'large', operatorCodes: [], signatureDefs: [],
    buffers: [{data: new Uint8Array(0)}, ...buffers],
    subgraphs: [{name: 'main', inputs: [], outputs: [], operators: [], tensors}],
  });

  it('prints a model with 200,000 tensors', () => {
    // Built as a summary: writing and reading a file that large takes seconds.
    const summary = inspect(writeModel(tensorsModel([])));
    summary.tensors = Array.from({length: 200_000}, (_, index) => ({index, name: `t${index}`, shape: [1],
      type: 'FLOAT32', buffer: 0, bufferBytes: 0}));
    const lines = formatSummary(summary).split('\n');
    expect(lines).toHaveLength(200_000 + 11);
    expect(lines[7]).toBe('  #       name     type     shape  buffer  bytes  quantization');
    expect(lines[7 + 200_000]).toBe('  199999  t199999  FLOAT32  [1]    0       0');
  });

  it('prints a tensor with 200,000 per-channel scales as their range', () => {
    const channels = 200_000;
    const tensor = {shape: [channels], type: TensorType.INT8, buffer: 1, name: 'wide',
      quantization: {scale: Array.from({length: channels}, (_, c) => 0.5 + c / 4), zeroPoint: new Array(channels).fill(0),
        quantizedDimension: 0}};
    const text = formatSummary(inspect(writeModel(tensorsModel([tensor], [{data: new Uint8Array(channels)}]))));
    expect(text).toContain('200000 channels (dim 0) scale=0.5..50000.3 zp=0..0');
  });

  it('escapes control characters in names from the file', () => {
    const model = addModel();
    model.description = 'evil\nTFLite model (schema v3) "fake": 0 bytes';
    model.subgraphs[0].name = 'sub\rgraph';
    model.subgraphs[0].tensors[0].name = '\u001b[31mred\u001b[0m\tx\\y';
    model.subgraphs[0].tensors[1].name = 'rtl\u202egnp.exe\u0085';
    model.signatureDefs[0].signatureKey = 'key\n  0  ADD';
    model.operatorCodes[0] = {builtinCode: 32, version: 1, customCode: 'My\nOp'};
    const text = formatSummary(inspect(writeModel(model)));
    // 2 header lines, Inputs, Outputs, Signatures, blank, 'Tensors:', header, 3 tensors, blank,
    // 'Operators:', header, 1 operator: no line added.
    expect(text.split('\n')).toHaveLength(15);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u0085\u202e]/);
    expect(text).toContain('"evil\\nTFLite model (schema v3) \\"fake\\": 0 bytes"');
    expect(text).toContain('"sub\\rgraph"');
    expect(text).toContain('Inputs: 0:\\u001b[31mred\\u001b[0m\\tx\\\\y, 1:rtl\\u202egnp.exe\\u0085');
    expect(text).toContain('Signatures: key\\n  0  ADD');
    expect(text).toMatch(/ {2}0 {2}CUSTOM:My\\nOp {2}/);
  });
});
