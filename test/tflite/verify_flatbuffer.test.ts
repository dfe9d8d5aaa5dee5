/**
 * The whole-file check readModel runs (src/tflite/verify_flatbuffer.ts), rule
 * by rule: each test breaks one rule of the FlatBuffers verifier in an
 * otherwise valid file and expects the field path and the rule in the
 * message. Then mutated files are compared with LiteRT itself: a file
 * readModel accepts must not be one LiteRT's verifier refuses.
 */
import * as flatbuffers from 'flatbuffers';
import {describe, expect, it} from 'vitest';

import {ValueError} from '../../src/errors.js';
import {VERIFY_TABLES, VERIFY_UNIONS, VerifyField} from '../../src/tflite/generated/verify_layout.js';
import {readModel} from '../../src/tflite/reader.js';
import {ActivationFunctionType, Model, Padding} from '../../src/tflite/schema.js';
import {SLOTS} from '../../src/tflite/table_slots.js';
import {verifyFlatbuffer, verifyFlatbufferAgainst, VerifySchema} from '../../src/tflite/verify_flatbuffer.js';
import {writeModel} from '../../src/tflite/writer.js';
import {LiteRtCrash} from '../../src/tflite/litert_loader.js';
import {openTflite} from '../helpers/litert.js';
import {
  addModel, conv2dModel, denseWeights, fullyConnectedReluModel, int8DenseModel, int8DenseParams, randomFloats,
  seededUniform,
} from './hand_built_models.js';
import {kitchenSinkModel} from './kitchen_sink_model.js';

const int8File = (): Uint8Array => {
  const w = denseWeights(6, 16, 21);
  return writeModel(int8DenseModel(w, int8DenseParams(w, [-1, 1], [-3, 2.5]), true));
};

/** The verifier's message for `bytes`, or 'valid'. */
function verdict(bytes: Uint8Array): string {
  try {
    verifyFlatbuffer(bytes, 'readModel');
    return 'valid';
  } catch (e) {
    if (e instanceof ValueError) {
      return e.message;
    }
    throw e;
  }
}

/** Positions in a flatbuffer, read with the flatbuffers runtime (independently of the verifier). */
class Raw {
  readonly bb: flatbuffers.ByteBuffer;
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.bb = new flatbuffers.ByteBuffer(bytes);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get root(): number {
    return this.bb.readUint32(0);
  }
  vtable(table: number): number {
    return table - this.bb.readInt32(table);
  }
  /** Position of the vtable entry of `slot`. */
  entry(table: number, slot: number): number {
    return this.vtable(table) + 4 + 2 * slot;
  }
  /** Position of a present field. */
  field(table: number, slot: number): number {
    const offset = this.bb.__offset(table, 4 + 2 * slot);
    expect(offset, `slot ${slot} of the table at ${table}`).not.toBe(0);
    return table + offset;
  }
  /** What an offset field points at. */
  target(table: number, slot: number): number {
    const at = this.field(table, slot);
    return at + this.bb.readUint32(at);
  }
  /** Element `i` of a vector-of-tables field. */
  table(table: number, slot: number, i: number): number {
    const at = this.target(table, slot) + 4 + 4 * i;
    return at + this.bb.readUint32(at);
  }
  setU32(at: number, value: number): this {
    this.view.setUint32(at, value, true);
    return this;
  }
  setU16(at: number, value: number): this {
    this.view.setUint16(at, value, true);
    return this;
  }
}

/** A mutable copy of the int8 file, and where its model table lies. */
function int8Raw(): Raw {
  return new Raw(int8File().slice());
}

describe('files the library writes pass', () => {
  it('hand-built models and the every-field model verify and read back', () => {
    const w = denseWeights(4, 6, 1);
    const q = int8DenseParams(w, [-1, 1], [-2, 2]);
    const conv = {height: 4, width: 4, inChannels: 2, outChannels: 3, kernel: 3, stride: 1, padding: Padding.SAME,
      activation: ActivationFunctionType.NONE} as const;
    const models: Model[] = [addModel(), fullyConnectedReluModel(w, 2), int8DenseModel(w, q, true),
      int8DenseModel(w, q, false), conv2dModel(conv, randomFloats(54, 2), randomFloats(3, 3)), kitchenSinkModel()];
    for (const model of models) {
      const file = writeModel(model);
      expect(verdict(file)).toBe('valid');
      expect(readModel(file)).toEqual(model);
    }
  });
});

describe('each rule of the FlatBuffers verifier, broken alone, is named with the field', () => {
  it('the root offset: non-zero, positive, inside the file, at a 4-byte aligned table', () => {
    const size = int8File().length;
    expect(verdict(int8Raw().setU32(0, 0).bytes)).toBe(
        'readModel: model: root table offset at byte 0 is 0 (points at itself)');
    expect(verdict(int8Raw().setU32(0, 0x80000010).bytes)).toBe(
        'readModel: model: root table offset at byte 0 is 2147483664, negative as a signed 32-bit offset');
    expect(verdict(int8Raw().setU32(0, size).bytes)).toBe(
        `readModel: model: root table offset at byte 0 points to byte ${size}, outside the ${size}-byte file`);
    const raw = int8Raw();
    const root = raw.root;
    expect(verdict(raw.setU32(0, root + 2).bytes)).toBe(
        `readModel: model: table at byte ${root + 2} is not 4-byte aligned`);
  });

  it('the vtable: inside the file, 2-byte aligned, an even size of at least 4 that fits', () => {
    const fresh = int8Raw();
    const root = fresh.root;
    const vtable = fresh.vtable(root);
    const size = fresh.bytes.length;
    const soffset = root - vtable;
    expect(verdict(int8Raw().setU32(root, soffset + size).bytes)).toBe(
        `readModel: model: vtable at byte ${vtable - size} (2 bytes) lies outside the ${size}-byte file`);
    expect(verdict(int8Raw().setU32(root, soffset + 1).bytes)).toBe(
        `readModel: model: vtable at byte ${vtable - 1} is not 2-byte aligned`);
    expect(verdict(int8Raw().setU16(vtable, 7).bytes)).toBe(
        `readModel: model: vtable at byte ${vtable} has an invalid size 7 (must be even and at least 4)`);
    expect(verdict(int8Raw().setU16(vtable, 2).bytes)).toBe(
        `readModel: model: vtable at byte ${vtable} has an invalid size 2 (must be even and at least 4)`);
    expect(verdict(int8Raw().setU16(vtable, 0xfffe).bytes)).toBe(
        `readModel: model: vtable at byte ${vtable} (65534 bytes) lies outside the ${size}-byte file`);
  });

  it('the table: at least 4 bytes, inside the file; each field inside its table', () => {
    const fresh = int8Raw();
    const root = fresh.root;
    const vtable = fresh.vtable(root);
    const size = fresh.bytes.length;
    expect(verdict(int8Raw().setU16(vtable + 2, 2).bytes)).toBe(
        `readModel: model: vtable at byte ${vtable} gives an invalid table size 2`);
    expect(verdict(int8Raw().setU16(vtable + 2, 0xfffc).bytes)).toBe(
        `readModel: model: table at byte ${root} (65532 bytes) lies outside the ${size}-byte file`);
    // Model.metadata_buffer (slot 5), a field readModel never reads, made to point past the table.
    expect(fresh.bb.readUint16(vtable)).toBeGreaterThan(4 + 2 * 5);
    const tableSize = fresh.bb.readUint16(vtable + 2);
    expect(() => readModel(int8Raw().setU16(vtable + 4 + 2 * 5, tableSize).bytes)).toThrow(
        `readModel: model.metadata_buffer: field offset ${tableSize} lies outside its ${tableSize}-byte table`);
  });

  it('a scalar field aligned to its size', () => {
    // Model.version (uint32) moved to table offset 5: readModel's own read of it does not check alignment.
    const raw = int8Raw();
    const bytes = raw.setU16(raw.entry(raw.root, SLOTS.Model.version), 5).bytes;
    expect(() => readModel(bytes)).toThrow(
        `readModel: model.version: 4-byte field at byte ${raw.root + 5} is not 4-byte aligned`);
  });

  it('an offset: non-zero, positive as int32, pointing inside the file', () => {
    const fresh = int8Raw();
    const at = fresh.field(fresh.root, SLOTS.Model.description);
    const size = fresh.bytes.length;
    // A zero offset reads as an empty description to a reader that does not check it.
    expect(() => readModel(int8Raw().setU32(at, 0).bytes)).toThrow(
        `readModel: model.description: offset at byte ${at} is 0 (points at itself)`);
    expect(verdict(int8Raw().setU32(at, 0xfffffff0).bytes)).toBe(
        `readModel: model.description: offset at byte ${at} is 4294967280, negative as a signed 32-bit offset`);
    expect(verdict(int8Raw().setU32(at, size - at).bytes)).toBe(
        `readModel: model.description: offset at byte ${at} points to byte ${size}, outside the ${size}-byte file`);
  });

  it('a vector: 4-byte aligned, under 2 GiB, inside the file', () => {
    const fresh = int8Raw();
    const subgraph = fresh.table(fresh.root, SLOTS.Model.subgraphs, 0);
    const at = fresh.field(subgraph, SLOTS.SubGraph.inputs);
    const vector = fresh.target(subgraph, SLOTS.SubGraph.inputs);
    const size = fresh.bytes.length;
    const path = 'readModel: model.subgraphs[0].inputs';
    expect(verdict(int8Raw().setU32(at, vector - at + 2).bytes)).toBe(
        `${path}: vector at byte ${vector + 2} is not 4-byte aligned`);
    expect(verdict(int8Raw().setU32(vector, 1000).bytes)).toBe(
        `${path}: vector of 1000 elements at byte ${vector} (4004 bytes) lies outside the ${size}-byte file`);
    // 2^29 int32s are 2 GiB: refused for their size, whatever the file's.
    expect(verdict(int8Raw().setU32(vector, 2 ** 29).bytes)).toBe(
        `${path}: vector at byte ${vector} has 536870912 elements of 4 bytes: 2 GiB or more`);
  });

  it('a string followed by its 0 terminator (readModel reads the name without it)', () => {
    const fresh = int8Raw();
    const subgraph = fresh.table(fresh.root, SLOTS.Model.subgraphs, 0);
    const tensor = fresh.table(subgraph, SLOTS.SubGraph.tensors, 1);
    const name = fresh.target(tensor, SLOTS.Tensor.name);
    const length = fresh.bb.readUint32(name);
    const bytes = int8File().slice();
    bytes[name + 4 + length] = 0x78;
    expect(() => readModel(bytes)).toThrow(`readModel: model.subgraphs[0].tensors[1].name: string of ${length} ` +
        `bytes at byte ${name} is not followed by its 0 terminator (byte ${name + 4 + length} is 120)`);
    // A string longer by one byte now ends on the next byte, which is not 0 either.
    const longer = int8Raw();
    longer.bytes[name + 4 + length + 1] = 0x79;
    longer.setU32(name, length + 1);
    expect(verdict(longer.bytes)).toBe(`readModel: model.subgraphs[0].tensors[1].name: string of ${length + 1} ` +
        `bytes at byte ${name} is not followed by its 0 terminator (byte ${name + 4 + length + 1} is 121)`);
  });
});

/** `VERIFY_TABLES[table]`'s field called `name`. */
function fieldOf(table: string, name: string): VerifyField {
  const field = VERIFY_TABLES[table].find((f) => f.name === name);
  if (field == null) {
    throw new Error(`${table} has no field ${name}`);
  }
  return field;
}

/** A vector of offsets (the flatbuffers JS builder has no helper for it). */
function offsets(b: flatbuffers.Builder, targets: number[]): number {
  b.startVector(4, targets.length, 4);
  for (let i = targets.length - 1; i >= 0; i--) {
    b.addOffset(targets[i]);
  }
  return b.endVector();
}

/** A slot count large enough for every field of `table`. */
const slotsOf = (table: string) => Math.max(...VERIFY_TABLES[table].map((f) => f.slot)) + 1;

/**
 * A model of one subgraph with one operator whose options table is `options`
 * (a union member this library does not model) with `build` adding its
 * fields; `operator` adds more operator fields.
 */
function operatorFile(options: string, build: (b: flatbuffers.Builder) => () => void,
    operator: (b: flatbuffers.Builder) => () => void = () => () => undefined): Uint8Array {
  const b = new flatbuffers.Builder(256);
  const addOptions = build(b);
  b.startObject(slotsOf(options));
  addOptions();
  const table = b.endObject();
  const addOperator = operator(b);
  b.startObject(slotsOf('Operator'));
  const code = VERIFY_UNIONS.BuiltinOptions.indexOf(options) + 1;
  b.addFieldInt8(fieldOf('Operator', 'builtin_options_type').slot, code, 0);
  b.addFieldOffset(fieldOf('Operator', 'builtin_options').slot, table, 0);
  addOperator();
  const op = b.endObject();
  const operators = offsets(b, [op]);
  b.startObject(slotsOf('SubGraph'));
  b.addFieldOffset(SLOTS.SubGraph.operators, operators, 0);
  const subgraphs = offsets(b, [b.endObject()]);
  b.startObject(slotsOf('Model'));
  b.addFieldOffset(SLOTS.Model.subgraphs, subgraphs, 0);
  b.finish(b.endObject(), 'TFL3');
  return b.asUint8Array().slice();
}

describe('fields readModel does not read are checked too', () => {
  it('the member table of a union, chosen by its type field, deprecated fields included', () => {
    // ConcatEmbeddingsOptions is not modelled (readModel keeps it as UnknownOptions): its int vector runs off the end.
    const vectorSlot = fieldOf('ConcatEmbeddingsOptions', 'num_columns_per_channel').slot;
    const good = operatorFile('ConcatEmbeddingsOptions', (b) => {
      b.startVector(4, 2, 4);
      b.addInt32(7);
      b.addInt32(8);
      const vector = b.endVector();
      return () => b.addFieldOffset(vectorSlot, vector, 0);
    });
    expect(verdict(good)).toBe('valid');
    const raw = new Raw(good);
    const subgraph = raw.table(raw.root, SLOTS.Model.subgraphs, 0);
    const operator = raw.table(subgraph, SLOTS.SubGraph.operators, 0);
    const options = raw.target(operator, fieldOf('Operator', 'builtin_options').slot);
    const vector = raw.target(options, vectorSlot);
    raw.setU32(vector, 5000);
    expect(() => readModel(raw.bytes)).toThrow('readModel: model.subgraphs[0].operators[0].builtin_options.' +
        `num_columns_per_channel: vector of 5000 elements at byte ${vector} (20004 bytes) lies outside the ` +
        `${raw.bytes.length}-byte file`);

    // ResizeBilinearOptions.new_height is deprecated: still verified when present (here misaligned).
    const deprecated = operatorFile('ResizeBilinearOptions', (b) => () => {
      b.addFieldInt8(fieldOf('ResizeBilinearOptions', 'align_corners').slot, 1, 0);
      b.addFieldInt32(fieldOf('ResizeBilinearOptions', 'new_height').slot, 5, 0);
    });
    expect(verdict(deprecated)).toBe('valid');
    const r = new Raw(deprecated);
    const op = r.table(r.table(r.root, SLOTS.Model.subgraphs, 0), SLOTS.SubGraph.operators, 0);
    const resize = r.target(op, fieldOf('Operator', 'builtin_options').slot);
    const entry = r.entry(resize, fieldOf('ResizeBilinearOptions', 'new_height').slot);
    const moved = r.bb.readUint16(entry) + 2;
    r.setU16(entry, moved);
    expect(verdict(r.bytes)).toBe('readModel: model.subgraphs[0].operators[0].builtin_options.new_height: ' +
        `4-byte field at byte ${resize + moved} is not 4-byte aligned`);
  });

  it('union codes the schema does not know are not checked, as the generated C++ does', () => {
    const file = operatorFile('ConcatEmbeddingsOptions', (b) => () => b.addFieldInt32(0, 3, 0));
    const raw = new Raw(file);
    const op = raw.table(raw.table(raw.root, SLOTS.Model.subgraphs, 0), SLOTS.SubGraph.operators, 0);
    const options = raw.target(op, fieldOf('Operator', 'builtin_options').slot);
    // The options table's vtable made invalid: checked under its own code, ignored under an unknown one.
    const vtable = raw.vtable(options);
    raw.setU16(vtable, 3);
    expect(verdict(raw.bytes)).toBe('readModel: model.subgraphs[0].operators[0].builtin_options: ' +
        `vtable at byte ${vtable} has an invalid size 3 (must be even and at least 4)`);
    raw.bytes[raw.field(op, fieldOf('Operator', 'builtin_options_type').slot)] = 250;
    expect(verdict(raw.bytes)).toBe('valid');
  });

  it('an operator field this library never writes (custom_options) pointing outside the file', () => {
    const customSlot = fieldOf('Operator', 'custom_options').slot;
    const file = operatorFile('ConcatEmbeddingsOptions', () => () => undefined, (b) => {
      const custom = b.createByteVector(new Uint8Array([1, 2, 3]));
      return () => b.addFieldOffset(customSlot, custom, 0);
    });
    expect(verdict(file)).toBe('valid');
    const raw = new Raw(file);
    const op = raw.table(raw.table(raw.root, SLOTS.Model.subgraphs, 0), SLOTS.SubGraph.operators, 0);
    const at = raw.field(op, customSlot);
    raw.setU32(at, 0x10000);
    expect(() => readModel(raw.bytes)).toThrow(
        `readModel: model.subgraphs[0].operators[0].custom_options: offset at byte ${at} points to byte ` +
        `${at + 0x10000}, outside the ${raw.bytes.length}-byte file`);
  });
});

describe('limits of the FlatBuffers verifier', () => {
  /** Two subgraphs sharing one vector of `count` offsets to a single tensor table. */
  function sharedTensors(count: number): Uint8Array {
    const b = new flatbuffers.Builder(4 * count + 1024);
    b.startObject(slotsOf('Tensor'));
    const tensor = b.endObject();
    b.startVector(4, count, 4);
    for (let i = 0; i < count; i++) {
      b.addOffset(tensor);
    }
    const tensors = b.endVector();
    const subgraph = () => {
      b.startObject(slotsOf('SubGraph'));
      b.addFieldOffset(SLOTS.SubGraph.tensors, tensors, 0);
      return b.endObject();
    };
    const subgraphs = offsets(b, [subgraph(), subgraph()]);
    b.startObject(slotsOf('Model'));
    b.addFieldOffset(SLOTS.Model.subgraphs, subgraphs, 0);
    b.finish(b.endObject(), 'TFL3');
    return b.asUint8Array();
  }

  it('1,000,000 tables, counted per reference as the C++ verifier walks, in linear time', () => {
    // Model + 2 subgraphs + 2 x 499,998 tensor references = 999,999 tables: accepted.
    const start = performance.now();
    expect(verdict(sharedTensors(499_998))).toBe('valid');
    // One more tensor reference in each subgraph: 1,000,001 tables, refused at the second subgraph's vector.
    expect(verdict(sharedTensors(499_999))).toBe('readModel: model.subgraphs[1].tensors: the file has more than ' +
        '1,000,000 tables, counted per reference as the FlatBuffers verifier does (the limit of its default options)');
    expect(performance.now() - start).toBeLessThan(10_000);
  });

  /** A schema whose table nests in itself, which tflite's cannot. */
  const nested: VerifySchema = {
    root: 'Node',
    tables: {Node: [{name: 'child', slot: 0, kind: 'table', table: 'Node'}, {name: 'tag', slot: 1, kind: 'string'}]},
    unions: {},
  };

  function chain(depth: number): Uint8Array {
    const b = new flatbuffers.Builder(64);
    let child = 0;
    for (let level = 0; level < depth; level++) {
      b.startObject(2);
      if (child !== 0) {
        b.addFieldOffset(0, child, 0);
      }
      child = b.endObject();
    }
    b.finish(child);
    return b.asUint8Array();
  }

  it('tables nest at most 64 deep', () => {
    expect(() => verifyFlatbufferAgainst(chain(64), 'test', nested)).not.toThrow();
    expect(() => verifyFlatbufferAgainst(chain(65), 'test', nested)).toThrow(
        `test: model${'.child'.repeat(64)}: tables nest more than 64 deep (the FlatBuffers verifier's limit)`);
  });

  it('refuses files of 2 GiB or more without reading them', () => {
    // A view of 2^31 - 1 bytes of one small buffer would need the memory; a fake length is enough for the size check.
    const huge = new Uint8Array(16);
    Object.defineProperty(huge, 'length', {value: 0x7fffffff});
    expect(() => verifyFlatbuffer(huge, 'readModel')).toThrow(
        'readModel: model: the file is 2147483647 bytes; flatbuffers must be under 2 GiB (2147483647 bytes)');
  });
});

describe('quantization parameters that trapped LiteRT in mutated files', () => {
  it('are refused by readModel, naming the tensor', () => {
    // The int8 input of FULLY_CONNECTED (tensor 0): a zero point outside int8 or a NaN scale trapped
    // LiteRT's WebAssembly ("null function or function signature mismatch") in fuzzing.
    const fresh = int8Raw();
    const subgraph = fresh.table(fresh.root, SLOTS.Model.subgraphs, 0);
    const quantization = fresh.target(fresh.table(subgraph, SLOTS.SubGraph.tensors, 0), SLOTS.Tensor.quantization);
    const zeroPoint = fresh.target(quantization, SLOTS.QuantizationParameters.zero_point) + 4;
    const scale = fresh.target(quantization, SLOTS.QuantizationParameters.scale) + 4;
    const where = "readModel: subgraphs[0].tensors[0] ('x_int8').quantization";
    const outOfRange = int8Raw();
    outOfRange.view.setBigInt64(zeroPoint, -65537n, true);
    expect(() => readModel(outOfRange.bytes)).toThrow(
        `${where}.zeroPoint[0] (INT8): -65537 is out of range [-128, 127]`);
    const nan = int8Raw();
    nan.view.setFloat32(scale, NaN, true);
    expect(() => readModel(nan.bytes)).toThrow(`${where}.scale[0]: NaN is not a finite number >= 0`);
  });
});

describe('against LiteRT: mutated files readModel accepts load in LiteRT', () => {
  it('no mutant of an int8 model that readModel accepts fails LiteRT\'s verifier or traps it', async () => {
    const file = int8File();
    const uniform = seededUniform(2026);
    const trials = 300;
    let accepted = 0;
    const refusedByVerifier: string[] = [];
    const refusedAfterVerifier: string[] = [];
    // Traps of LiteRT's WebAssembly (each replaces its worker): seen on NaN, negative or out-of-range
    // quantization parameters until checkModel refused them.
    const crashes: string[] = [];
    for (let trial = 0; trial < trials; trial++) {
      const mutant = file.slice();
      // Mostly one byte (bit flip or new value), sometimes a run of up to 4.
      const run = uniform(0, 1) < 0.7 ? 1 : 1 + Math.floor(uniform(0, 4));
      const start = Math.floor(uniform(0, mutant.length - run));
      for (let i = start; i < start + run; i++) {
        mutant[i] = uniform(0, 1) < 0.5 ? mutant[i] ^ (1 << Math.floor(uniform(0, 8))) : Math.floor(uniform(0, 256));
      }
      try {
        readModel(mutant);
      } catch (e) {
        expect(e).toBeInstanceOf(ValueError);
        continue;
      }
      accepted++;
      try {
        (await openTflite(mutant)).delete();
      } catch (e) {
        // LiteRT's verifier refuses silently; its model loader logs an ERROR line saying why it refuses
        // (model_load.cc, flatbuffer_to_litert.cc: semantics readModel does not check). Later stages (op
        // registration, schema version, kernels) fail otherwise. Only the verifier's refusals are ours to match.
        const message = (e as Error).message;
        if (e instanceof LiteRtCrash) {
          crashes.push(`bytes ${start}..${start + run - 1}: ${message}`);
        } else if (/Failed to load model from buffer/.test(message)) {
          (/; log: .*\bERROR\b/.test(message) ? refusedAfterVerifier : refusedByVerifier).push(
              `bytes ${start}..${start + run - 1}: ${message}`);
        }
      }
    }
    expect(accepted).toBeGreaterThan(30);
    expect(refusedByVerifier).toEqual([]);
    expect(crashes).toEqual([]);
    // Semantic checks of LiteRT's loader that readModel does not make (e.g. signature sizes): rare.
    expect(refusedAfterVerifier.length).toBeLessThan(accepted / 20);
  });
});
