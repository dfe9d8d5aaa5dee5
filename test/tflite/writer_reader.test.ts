/**
 * writeModel / readModel: round trips, the byte-level layout TFLite relies on
 * (checked with the flatbuffers runtime's raw accessors, independently of our
 * reader), and the consistency checks of writeModel.
 */
import * as flatbuffers from 'flatbuffers';
import {describe, expect, it} from 'vitest';

import {ValueError} from '../../src/errors.js';
import {readModel} from '../../src/tflite/reader.js';
import {
  ActivationFunctionType, BuiltinOperator, Model, Padding, TensorType,
} from '../../src/tflite/schema.js';
import {SLOTS} from '../../src/tflite/table_slots.js';
import {writeModel} from '../../src/tflite/writer.js';
import {
  addModel, conv2dModel, denseWeights, fullyConnectedReluModel, int8DenseModel, int8DenseParams, randomFloats,
} from './hand_built_models.js';
import {kitchenSinkModel} from './kitchen_sink_model.js';

function handBuiltModels(): Array<[string, Model]> {
  const w = denseWeights(4, 6, 1);
  const q = int8DenseParams(w, [-1, 1], [-2, 2]);
  const conv = {height: 4, width: 4, inChannels: 2, outChannels: 3, kernel: 3, stride: 1, padding: Padding.SAME,
    activation: ActivationFunctionType.NONE} as const;
  return [
    ['ADD', addModel()],
    ['FULLY_CONNECTED + RELU', fullyConnectedReluModel(w, 2)],
    ['int8 FULLY_CONNECTED, float I/O', int8DenseModel(w, q, true)],
    ['int8 FULLY_CONNECTED, int8 I/O', int8DenseModel(w, q, false)],
    ['CONV_2D', conv2dModel(conv, randomFloats(54, 2), randomFloats(3, 3))],
    ['every modelled field and option table', kitchenSinkModel()],
  ];
}

/** Raw flatbuffer access, independent of src/tflite/reader.ts. */
class RawModel {
  readonly bb: flatbuffers.ByteBuffer;
  readonly root: number;
  constructor(bytes: Uint8Array) {
    this.bb = new flatbuffers.ByteBuffer(bytes);
    this.root = this.bb.readInt32(0);
  }
  /** Position of a field (slot) of the table at `table`, or 0. */
  field(table: number, slot: number): number {
    const offset = this.bb.__offset(table, 4 + 2 * slot);
    return offset === 0 ? 0 : table + offset;
  }
  /** Table positions of a vector-of-tables field. */
  tables(table: number, slot: number): number[] {
    const at = this.field(table, slot);
    if (at === 0) {
      return [];
    }
    const start = this.bb.__vector(at);
    return Array.from({length: this.bb.__vector_len(at)}, (_, i) => this.bb.__indirect(start + 4 * i));
  }
}

describe('writeModel -> readModel round trip', () => {
  it.each(handBuiltModels())('%s reads back deep-equal', (_, model) => {
    const bytes = writeModel(model);
    expect(readModel(bytes)).toStrictEqual(model);
  });

  it('is deterministic: the same model gives the same bytes', () => {
    expect(writeModel(kitchenSinkModel())).toEqual(writeModel(kitchenSinkModel()));
  });

  it('returns an array whose buffer is exactly the file', () => {
    const bytes = writeModel(addModel());
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(bytes.length);
  });
});

describe('byte layout', () => {
  it('has the TFL3 identifier at bytes 4..7 and schema version 3', () => {
    const bytes = writeModel(addModel());
    expect(String.fromCharCode(...bytes.subarray(4, 8))).toBe('TFL3');
    const raw = new RawModel(bytes);
    expect(raw.bb.readUint32(raw.field(raw.root, SLOTS.Model.version))).toBe(3);
  });

  it('aligns every weight buffer to 16 bytes from the start of the file', () => {
    const conv = {height: 3, width: 3, inChannels: 1, outChannels: 3, kernel: 1, stride: 1, padding: Padding.VALID,
      activation: ActivationFunctionType.NONE} as const;
    // Odd sizes (3 floats, 13 int8s) so that unaligned placement would show.
    const bytes = writeModel(kitchenSinkModel());
    const models = [bytes, writeModel(conv2dModel(conv, randomFloats(3, 5), randomFloats(3, 6)))];
    let checked = 0;
    for (const file of models) {
      const raw = new RawModel(file);
      for (const buffer of raw.tables(raw.root, SLOTS.Model.buffers)) {
        const data = raw.field(buffer, SLOTS.Buffer.data);
        if (data !== 0) {
          expect(raw.bb.__vector(data) % 16).toBe(0);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  it('writes buffer 0 without data and both operator code fields (capped byte for codes over 127)', () => {
    const model = kitchenSinkModel();
    const raw = new RawModel(writeModel(model));
    expect(raw.field(raw.tables(raw.root, SLOTS.Model.buffers)[0], SLOTS.Buffer.data)).toBe(0);
    const codes = raw.tables(raw.root, SLOTS.Model.operator_codes).map((code) => {
      const byte = raw.field(code, SLOTS.OperatorCode.deprecated_builtin_code);
      const int = raw.field(code, SLOTS.OperatorCode.builtin_code);
      return [byte === 0 ? 0 : raw.bb.readInt8(byte), int === 0 ? 0 : raw.bb.readInt32(int)];
    });
    expect(codes).toContainEqual([3, 3]);  // CONV_2D
    expect(codes).toContainEqual([127, BuiltinOperator.CUMSUM]);
  });
});

describe('shared objects', () => {
  it('writes a repeated shape, name and quantization once, and each tensor reads them back', () => {
    const w = denseWeights(4, 6, 1);
    const model = int8DenseModel(w, int8DenseParams(w, [-1, 1], [-2, 2]), false);
    const [first] = model.subgraphs[0].tensors;
    const copies = (n: number): Model => {
      const m = structuredClone(model);
      for (let i = 0; i < n; i++) {
        m.subgraphs[0].tensors.push({...structuredClone(first), buffer: 0});
      }
      return m;
    };
    const one = writeModel(copies(1)), three = writeModel(copies(3));
    expect(readModel(three)).toStrictEqual(copies(3));
    // Two more identical tensors cost only their tables (~30 bytes each),
    // not another shape, name, scale and zero point vector each.
    const raw = new RawModel(three);
    const [subgraph] = raw.tables(raw.root, SLOTS.Model.subgraphs);
    const tensors = raw.tables(subgraph, SLOTS.SubGraph.tensors);
    const last = tensors.length - 1;
    for (const slot of [SLOTS.Tensor.shape, SLOTS.Tensor.name, SLOTS.Tensor.quantization]) {
      const target = (t: number) => raw.bb.__indirect(raw.field(t, slot));
      expect(target(tensors[last]), `slot ${slot}`).toBe(target(tensors[last - 1]));
    }
    expect(three.length - one.length).toBeLessThanOrEqual(2 * 40);
  });

  it('reads back a file that shares per-channel quantization between hundreds of tensors', () => {
    // 200 int8 tensors with identical 256-channel scales and zero points: the file stores them once,
    // the model holds them 200 times (~12x the file's bytes; the reader once rejected this).
    const channels = 256;
    const quantization = {scale: Array.from({length: channels}, (_, c) => (c + 1) / 1024),
      zeroPoint: new Array<number>(channels).fill(0), quantizedDimension: 3};
    const model: Model = {
      version: 3, description: 'shared per-channel quantization', operatorCodes: [], signatureDefs: [],
      buffers: [{data: new Uint8Array(0)}, ...Array.from({length: 200}, (_, i) => ({
        data: Uint8Array.from({length: channels}, (_, c) => (i + c) % 256)}))],
      subgraphs: [{name: 'main', inputs: [], outputs: [], operators: [],
        tensors: Array.from({length: 200}, (_, i) => ({shape: [1, 1, 1, channels], type: TensorType.INT8,
          buffer: i + 1, name: `w${i}`, quantization: structuredClone(quantization)}))}],
    };
    const bytes = writeModel(model);
    expect(bytes.length).toBeLessThan(200 * channels + 20_000);
    const read = readModel(bytes);
    expect(read).toStrictEqual(model);
    // Every tensor gets its own arrays: editing one leaves the others alone.
    const [a, b] = read.subgraphs[0].tensors;
    a.quantization!.scale[0] = 99;
    a.shape[0] = 2;
    expect(b.quantization!.scale[0]).toBe(1 / 1024);
    expect(b.shape[0]).toBe(1);
  });
});

describe('writeModel rejects inconsistent models with a ValueError naming the element', () => {
  const cases: Array<[string, (m: Model) => void, RegExp]> = [
    ['a non-empty buffer 0', (m) => m.buffers[0] = {data: new Uint8Array(4)},
      /buffers\[0\]: must be the empty sentinel.*4 bytes/],
    ['no buffers at all', (m) => m.buffers = [], /buffers\[0\].*no buffers/],
    ['a tensor buffer index out of range', (m) => m.subgraphs[0].tensors[1].buffer = 9,
      /subgraphs\[0\]\.tensors\[1\] \('dense\/kernel'\)\.buffer: 9 is out of range \[0, 2\]/],
    ['an operator input out of range', (m) => m.subgraphs[0].operators[0].inputs[0] = 17,
      /operators\[0\] \(FULLY_CONNECTED\)\.inputs\[0\]: 17 is out of range \[-1, 3\]/],
    ['an opcode index out of range', (m) => m.subgraphs[0].operators[0].opcodeIndex = 1, /opcodeIndex: 1 is out of range/],
    ['options of another operator', (m) => m.subgraphs[0].operators[0].builtinOptions = {type: 'SoftmaxOptions', beta: 1},
      /FULLY_CONNECTED\): has SoftmaxOptions; FULLY_CONNECTED reads FullyConnectedOptions/],
    ['weights whose bytes do not match shape and type', (m) => m.subgraphs[0].tensors[1].shape = [4, 5],
      /buffer 1 holds 96 bytes but shape \[4,5\] of FLOAT32 needs 80/],
    ['per-channel scales not matching the channel count', (m) => m.subgraphs[0].tensors[1].quantization =
        {scale: [1, 2, 3], zeroPoint: [0, 0, 0], quantizedDimension: 0},
    /3 per-channel scales for dimension 0 of size 4/],
    ['scales and zero points of different lengths', (m) => m.subgraphs[0].tensors[1].quantization =
        {scale: [1], zeroPoint: [], quantizedDimension: 0}, /1 scales but 0 zero points/],
    ['a NaN scale', (m) => m.subgraphs[0].tensors[1].quantization = {scale: [NaN], zeroPoint: [0],
      quantizedDimension: 0},
    /tensors\[1\] \('dense\/kernel'\)\.quantization\.scale\[0\]: NaN is not a finite number >= 0/],
    ['a negative scale', (m) => m.subgraphs[0].tensors[1].quantization = {scale: [-0.5], zeroPoint: [0],
      quantizedDimension: 0}, /quantization\.scale\[0\]: -0\.5 is not a finite number >= 0/],
    ['an int8 zero point out of range', (m) => {
      m.subgraphs[0].tensors[1].type = TensorType.INT8;
      m.subgraphs[0].tensors[1].quantization = {scale: [1], zeroPoint: [-129], quantizedDimension: 0};
    }, /quantization\.zeroPoint\[0\] \(INT8\): -129 is out of range \[-128, 127\]/],
    ['an unknown tensor type', (m) => (m.subgraphs[0].tensors[0] as {type: number}).type = 99,
      /tensors\[0\] \('x'\)\.type: 99 is not a TensorType code/],
    ['a signature tensor out of range', (m) => m.signatureDefs[0].outputs[0].tensorIndex = 40,
      /signatureDefs\[0\] \('serving_default'\) tensor 'y': 40 is out of range/],
    ['a signature with fewer inputs than its subgraph', (m) => m.signatureDefs[0].inputs = [],
      /signatureDefs\[0\] \('serving_default'\)\.inputs: 0 inputs but subgraph 0 has 1; LiteRT requires the same/],
    ['options read back as unknown', (m) => m.subgraphs[0].operators[0].builtinOptions = {type: 'UnknownOptions', typeCode: 77},
      /operators\[0\]: options of union type 77 are not modelled/],
    ['a missing option field', (m) => delete (m.subgraphs[0].operators[0].builtinOptions as {keepNumDims?: boolean}).keepNumDims,
      /FullyConnectedOptions\.keepNumDims is missing/],
  ];
  it.each(cases)('%s', (_, corrupt, message) => {
    const model = fullyConnectedReluModel(denseWeights(4, 6, 1), 2);
    corrupt(model);
    expect(() => writeModel(model)).toThrow(ValueError);
    expect(() => writeModel(model)).toThrow(message);
  });

  it('starts every message with the stage', () => {
    const model = addModel();
    model.subgraphs[0].outputs = [5];
    expect(() => writeModel(model)).toThrow(/^writeModel: subgraphs\[0\]\.outputs\[0\]: 5 is out of range \[0, 2\]$/);
  });

  it('accepts -1 for an omitted optional input (FULLY_CONNECTED without bias)', () => {
    const model = fullyConnectedReluModel(denseWeights(4, 6, 1), 2);
    model.subgraphs[0].operators[0].inputs[2] = -1;
    expect(readModel(writeModel(model)).subgraphs[0].operators[0].inputs).toEqual([0, 1, -1]);
  });

  it('keeps TensorType.INT8 and friends as written', () => {
    const model = addModel();
    model.subgraphs[0].tensors.forEach((t) => t.type = TensorType.INT16);
    expect(readModel(writeModel(model)).subgraphs[0].tensors.map((t) => t.type)).toEqual([7, 7, 7]);
  });
});
