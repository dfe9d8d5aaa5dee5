/**
 * readModel on bad input: garbage, truncations, byte flips and crafted
 * offsets must either parse or throw a ValueError that says what is wrong,
 * quickly, never anything else. LiteRT's own loader is checked on the same
 * kind of input for comparison.
 */
import * as flatbuffers from 'flatbuffers';
import {describe, expect, it} from 'vitest';

import {ValueError} from '../../src/errors.js';
import {readModel} from '../../src/tflite/reader.js';
import {SLOTS} from '../../src/tflite/table_slots.js';
import {writeModel} from '../../src/tflite/writer.js';
import {runTflite} from '../helpers/litert.js';
import {denseWeights, int8DenseModel, int8DenseParams, seededUniform} from './hand_built_models.js';
import {kitchenSinkModel} from './kitchen_sink_model.js';

/** What readModel did with some bytes: parsed, or the ValueError message. Anything else is rethrown. */
function outcome(bytes: Uint8Array): 'parsed'|string {
  try {
    readModel(bytes);
    return 'parsed';
  } catch (e) {
    if (e instanceof ValueError) {
      return e.message;
    }
    throw new Error(`readModel threw ${String(e)} (not a ValueError)`);
  }
}

const validFiles = (): Uint8Array[] => {
  const w = denseWeights(6, 16, 21);
  return [writeModel(int8DenseModel(w, int8DenseParams(w, [-1, 1], [-3, 2.5]), true)), writeModel(kitchenSinkModel())];
};

describe('readModel on bad bytes', () => {
  it('rejects short, empty and non-TFLite input with the reason', () => {
    expect(() => readModel(new Uint8Array(0))).toThrow(/readModel: 0 bytes is too short for a TFLite file/);
    expect(() => readModel(new TextEncoder().encode('{"format": "layers-model", "weights": []}')))
        .toThrow(/bytes 4\.\.7 are "rmat", not the TFLite file identifier "TFL3"/);
    expect(() => readModel('model.tflite' as unknown as Uint8Array)).toThrow(/must be a Uint8Array; received \[object String\]/);
  });

  it('rejects random garbage behind a valid identifier', () => {
    const uniform = seededUniform(7);
    for (let trial = 0; trial < 300; trial++) {
      const bytes = Uint8Array.from({length: 16 + Math.floor(uniform(0, 400))}, () => Math.floor(uniform(0, 256)));
      bytes.set([0x54, 0x46, 0x4c, 0x33], 4);
      expect(outcome(bytes)).toMatch(/^readModel: /);
    }
  });

  it('rejects every truncation of valid files that cuts into their content', () => {
    for (const file of validFiles()) {
      const whole = readModel(file);
      // Buffer data lies at the end of the file, followed by its alignment padding: a cut
      // through zeros alone may leave every object whole, and must then read the same model.
      let firstTrailingZero = file.length;
      while (firstTrailingZero > 0 && file[firstTrailingZero - 1] === 0) {
        firstTrailingZero--;
      }
      expect(file.length - firstTrailingZero).toBeLessThan(16);
      for (let length = 0; length < file.length; length++) {
        const truncated = file.subarray(0, length);
        const where = `truncated to ${length} of ${file.length} bytes`;
        if (length < firstTrailingZero) {
          expect(outcome(truncated), where).not.toBe('parsed');
        } else if (outcome(truncated) === 'parsed') {
          expect(readModel(truncated), where).toEqual(whole);
        }
      }
    }
  });

  it('survives single-byte corruption anywhere: parses or throws a ValueError, fast', () => {
    const uniform = seededUniform(11);
    const start = performance.now();
    const messages = new Set<string>();
    let parsed = 0;
    let trials = 0;
    for (const file of validFiles()) {
      for (let trial = 0; trial < 1500; trial++, trials++) {
        const corrupt = file.slice();
        const position = Math.floor(uniform(0, corrupt.length));
        corrupt[position] ^= 1 << Math.floor(uniform(0, 8));
        const result = outcome(corrupt);
        if (result === 'parsed') {
          parsed++;
        } else {
          messages.add(result.replace(/\d+/g, 'N'));
        }
      }
    }
    // Most flips land in weights or names and still parse; the rest must be explained.
    expect(parsed).toBeGreaterThan(0);
    expect(parsed).toBeLessThan(trials);
    expect(performance.now() - start).toBeLessThan(10_000);
    for (const message of messages) {
      expect(message).toMatch(/^readModel: \S+/);
    }
  });

  it('names the field whose vector runs past the end of the file', () => {
    const file = validFiles()[0];
    // Point the model's subgraphs vector length at 2^31: a reader trusting it would run off the end.
    const bb = new flatbuffers.ByteBuffer(file);
    const root = bb.readInt32(0);
    const field = root + bb.__offset(root, 4 + 2 * SLOTS.Model.subgraphs);
    const vector = field + bb.readInt32(field);
    const corrupt = file.slice();
    new DataView(corrupt.buffer).setUint32(vector, 0x80000000, true);
    expect(() => readModel(corrupt)).toThrow(
        /^readModel: model\.subgraphs: vector of 2147483648 elements at byte \d+ .* lies outside the \d+-byte file/);
  });

  it('stops decoding data referenced over and over (offsets shared by many tables)', () => {
    // A valid flatbuffer in which 2,000 subgraphs all point at one subgraph with a 50,000-int input list:
    // 400 KB of file, 400 MB to decode. The decode budget turns that into an error.
    const builder = new flatbuffers.Builder(1 << 20);
    builder.startVector(4, 50_000, 4);
    for (let i = 0; i < 50_000; i++) {
      builder.addInt32(0);
    }
    const inputs = builder.endVector();
    builder.startObject(5);
    builder.addFieldOffset(SLOTS.SubGraph.inputs, inputs, 0);
    const subgraph = builder.endObject();
    builder.startVector(4, 2000, 4);
    for (let i = 0; i < 2000; i++) {
      builder.addOffset(subgraph);
    }
    const subgraphs = builder.endVector();
    builder.startObject(8);
    builder.addFieldOffset(SLOTS.Model.subgraphs, subgraphs, 0);
    builder.finish(builder.endObject(), 'TFL3');
    const start = performance.now();
    // Decoded once; the copies for the other subgraphs exceed the repeat budget.
    expect(() => readModel(builder.asUint8Array())).toThrow(
        /model\.subgraphs\[\d+\]\.inputs: the file refers to the same data too many times \(over 32x its size/);
    // Without the budget it runs for minutes; with it, well under a second (BENCHMARKS.md).
    expect(performance.now() - start).toBeLessThan(10_000);
  });

  it('stops decoding overlapping vectors (distinct offsets into one region)', () => {
    // 2,000 subgraphs whose input lists start at successive elements of one 50,000-int vector, each
    // element being the count of those after it: every offset is new, but 400 MB would be decoded.
    const builder = new flatbuffers.Builder(1 << 20);
    builder.startVector(4, 50_000, 4);
    for (let i = 0; i < 50_000; i++) {
      builder.addInt32(i);  // Prepended: element k holds 49,999 - k.
    }
    const region = builder.endVector();
    const subgraphs = Array.from({length: 2000}, (_, k) => {
      builder.startObject(5);
      // Builder offsets count from the end of the buffer: element k lies 4 * (k + 1) bytes after the length.
      builder.addFieldOffset(SLOTS.SubGraph.inputs, region - 4 * (k + 1), 0);
      return builder.endObject();
    });
    builder.startVector(4, subgraphs.length, 4);
    subgraphs.forEach((subgraph) => builder.addOffset(subgraph));
    const vector = builder.endVector();
    builder.startObject(8);
    builder.addFieldOffset(SLOTS.Model.subgraphs, vector, 0);
    builder.finish(builder.endObject(), 'TFL3');
    const start = performance.now();
    expect(() => readModel(builder.asUint8Array())).toThrow(
        /model\.subgraphs\[\d+\]\.inputs: the file refers to the same data too many times \(corrupt/);
    // Without the budget it runs for minutes; with it, well under a second (BENCHMARKS.md).
    expect(performance.now() - start).toBeLessThan(10_000);
  });

  it('stops walking one table reached through many paths', () => {
    // 20,000 subgraphs pointing at one subgraph of 50,000 tensors, all one tensor table:
    // 280 KB of file, 10^9 tensors to visit.
    const builder = new flatbuffers.Builder(1 << 20);
    builder.startObject(8);
    builder.addFieldInt8(SLOTS.Tensor.type, 1, 0);
    const tensor = builder.endObject();
    const repeated = (count: number, offset: number) => {
      builder.startVector(4, count, 4);
      for (let i = 0; i < count; i++) {
        builder.addOffset(offset);
      }
      return builder.endVector();
    };
    const tensors = repeated(50_000, tensor);
    builder.startObject(5);
    builder.addFieldOffset(SLOTS.SubGraph.tensors, tensors, 0);
    const subgraphs = repeated(20_000, builder.endObject());
    builder.startObject(8);
    builder.addFieldOffset(SLOTS.Model.subgraphs, subgraphs, 0);
    builder.finish(builder.endObject(), 'TFL3');
    const start = performance.now();
    expect(() => readModel(builder.asUint8Array())).toThrow(
        /model\.subgraphs\[\d+\]\.tensors\[\d+\]: the file refers to the same data too many times/);
    // Without the budget it runs for minutes; with it, well under a second (BENCHMARKS.md).
    expect(performance.now() - start).toBeLessThan(10_000);
  });
});

describe("LiteRT's loader on the same kind of input", () => {
  // LiteRT verifies the flatbuffer before use: bad bytes throw ("Failed to load model from buffer")
  // instead of logging ERROR lines as failed preparation does.
  it('throws on garbage, a truncated file and a wrong identifier', async () => {
    const file = validFiles()[0];
    const wrongIdentifier = file.slice();
    wrongIdentifier[7] = 0x34;
    for (const bytes of [new Uint8Array(64).fill(0x5a), file.slice(0, file.length >> 1), wrongIdentifier]) {
      await expect(runTflite(bytes, [])).rejects.toThrow(/Failed to load model from buffer/);
    }
  });
});
