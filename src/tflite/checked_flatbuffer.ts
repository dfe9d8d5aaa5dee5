/**
 * Bounds-checked access to the tables, vectors and strings of a flatbuffer.
 * The flatbuffers runtime trusts its input: out-of-range reads return
 * `undefined`-derived zeros, and a crafted vector length can make a reader
 * loop for minutes. Everything here checks offsets and lengths against the
 * file first and throws a `ValueError` naming the field's path
 * (e.g. `subgraphs[0].tensors[3].shape`) and what is wrong.
 */
import * as flatbuffers from 'flatbuffers';

import {ValueError} from '../errors.js';

/**
 * How many bytes of vectors and tables may be decoded per file byte. A valid
 * file decodes each byte about once; several tables pointing at one huge
 * vector would otherwise decode it over and over (quadratic time).
 */
const DECODE_BUDGET_PER_FILE_BYTE = 4;
const DECODE_BUDGET_MINIMUM = 1 << 16;

/** A whole flatbuffer file, with the checks every view shares. */
export class CheckedFlatbuffer {
  readonly bb: flatbuffers.ByteBuffer;
  readonly size: number;
  private budget: number;
  private readonly decoder = new TextDecoder();

  /** @param stage Prefix of every error message (the public function reading). */
  constructor(bytes: Uint8Array, readonly stage: string) {
    this.bb = new flatbuffers.ByteBuffer(bytes);
    this.size = bytes.length;
    this.budget = DECODE_BUDGET_PER_FILE_BYTE * bytes.length + DECODE_BUDGET_MINIMUM;
  }

  /** Throws the stage's `ValueError` about `path`. */
  fail(path: string, problem: string): never {
    throw new ValueError(`${this.stage}: ${path}: ${problem}`);
  }

  /** Checks that bytes [pos, pos + length) lie inside the file. */
  requireRange(pos: number, length: number, path: string, what: string): void {
    if (pos < 0 || length < 0 || pos + length > this.size) {
      this.fail(path, `${what} at byte ${pos} (${length} bytes) lies outside the ${this.size}-byte file ` +
          '(truncated or corrupt)');
    }
  }

  /** Counts `bytes` against the decode budget. */
  spend(bytes: number, path: string): void {
    this.budget -= bytes;
    if (this.budget < 0) {
      this.fail(path, 'the file refers to the same data too many times (corrupt or malicious offsets)');
    }
  }

  /** The root table, whose offset is the file's first 4 bytes. */
  root<S extends Slots>(path: string, slots: S): TableView<S> {
    this.requireRange(0, 4, path, 'root table offset');
    return new TableView(this, this.bb.readUint32(0), path, slots);
  }

  decodeUtf8(start: number, length: number): string {
    return this.decoder.decode(this.bb.bytes().subarray(start, start + length));
  }
}

/** Field name -> vtable slot of one table (see table_slots.ts). */
export type Slots = Readonly<Record<string, number>>;

/** One table, whose fields are read by name through its slot table. */
export class TableView<S extends Slots> {
  private readonly vtable: number;
  private readonly vtableSize: number;
  private readonly tableSize: number;

  constructor(private readonly fb: CheckedFlatbuffer, readonly pos: number, readonly path: string,
      private readonly slots: S) {
    fb.requireRange(pos, 4, path, 'table');
    fb.spend(4, path);
    // A table starts with a signed offset back (or forward) to its vtable.
    this.vtable = pos - fb.bb.readInt32(pos);
    fb.requireRange(this.vtable, 4, path, 'vtable');
    this.vtableSize = fb.bb.readUint16(this.vtable);
    this.tableSize = fb.bb.readUint16(this.vtable + 2);
    if (this.vtableSize < 4 || this.vtableSize % 2 !== 0) {
      fb.fail(path, `vtable at byte ${this.vtable} has an invalid size ${this.vtableSize}`);
    }
    if (this.tableSize < 4) {
      fb.fail(path, `vtable at byte ${this.vtable} gives an invalid table size ${this.tableSize}`);
    }
    fb.requireRange(this.vtable, this.vtableSize, path, 'vtable');
    fb.requireRange(pos, this.tableSize, path, 'table');
  }

  /** The same table read through another slot table (for union members, known only from a type field). */
  withSlots<C extends Slots>(slots: C): TableView<C> {
    return new TableView(this.fb, this.pos, this.path, slots);
  }

  /** Absolute position of a scalar or offset field of `bytes` bytes, or 0 if absent. */
  private fieldPos(name: keyof S & string, bytes: number): number {
    const entry = 4 + 2 * this.slots[name];
    if (entry >= this.vtableSize) {
      return 0;
    }
    const offset = this.fb.bb.readUint16(this.vtable + entry);
    if (offset === 0) {
      return 0;
    }
    if (offset < 4 || offset + bytes > this.tableSize) {
      this.fb.fail(`${this.path}.${name}`, `field offset ${offset} lies outside its ${this.tableSize}-byte table`);
    }
    return this.pos + offset;
  }

  int8(name: keyof S & string, fallback: number): number {
    const at = this.fieldPos(name, 1);
    return at === 0 ? fallback : this.fb.bb.readInt8(at);
  }

  uint8(name: keyof S & string, fallback: number): number {
    const at = this.fieldPos(name, 1);
    return at === 0 ? fallback : this.fb.bb.readUint8(at);
  }

  bool(name: keyof S & string, fallback: boolean): boolean {
    const at = this.fieldPos(name, 1);
    return at === 0 ? fallback : this.fb.bb.readUint8(at) !== 0;
  }

  int32(name: keyof S & string, fallback: number): number {
    const at = this.fieldPos(name, 4);
    return at === 0 ? fallback : this.fb.bb.readInt32(at);
  }

  uint32(name: keyof S & string, fallback: number): number {
    const at = this.fieldPos(name, 4);
    return at === 0 ? fallback : this.fb.bb.readUint32(at);
  }

  uint64(name: keyof S & string): bigint {
    const at = this.fieldPos(name, 8);
    return at === 0 ? 0n : this.fb.bb.readUint64(at);
  }

  float32(name: keyof S & string, fallback: number): number {
    const at = this.fieldPos(name, 4);
    return at === 0 ? fallback : this.fb.bb.readFloat32(at);
  }

  /** Follows an offset field to what it points at, or returns 0 if absent. */
  private target(name: keyof S & string): number {
    const at = this.fieldPos(name, 4);
    if (at === 0) {
      return 0;
    }
    const target = at + this.fb.bb.readUint32(at);
    this.fb.requireRange(target, 4, `${this.path}.${name}`, 'referenced object');
    return target;
  }

  table<C extends Slots>(name: keyof S & string, childSlots: C): TableView<C>|null {
    const target = this.target(name);
    return target === 0 ? null : new TableView(this.fb, target, `${this.path}.${name}`, childSlots);
  }

  /** Start and length of a vector of `elementBytes`-byte elements, or null if absent. */
  vector(name: keyof S & string, elementBytes: number): {start: number, length: number}|null {
    const target = this.target(name);
    if (target === 0) {
      return null;
    }
    const length = this.fb.bb.readUint32(target);
    const path = `${this.path}.${name}`;
    this.fb.requireRange(target + 4, length * elementBytes, path, `vector of ${length} elements`);
    this.fb.spend(4 + length * elementBytes, path);
    return {start: target + 4, length};
  }

  string(name: keyof S & string): string|null {
    const v = this.vector(name, 1);
    return v == null ? null : this.fb.decodeUtf8(v.start, v.length);
  }

  int32Array(name: keyof S & string): number[]|null {
    const v = this.vector(name, 4);
    return v == null ? null : Array.from({length: v.length}, (_, i) => this.fb.bb.readInt32(v.start + 4 * i));
  }

  uint16Array(name: keyof S & string): number[]|null {
    const v = this.vector(name, 2);
    return v == null ? null : Array.from({length: v.length}, (_, i) => this.fb.bb.readUint16(v.start + 2 * i));
  }

  float32Array(name: keyof S & string): number[]|null {
    const v = this.vector(name, 4);
    return v == null ? null : Array.from({length: v.length}, (_, i) => this.fb.bb.readFloat32(v.start + 4 * i));
  }

  /** An int64 vector as numbers; values beyond 2^53 are rejected rather than rounded. */
  int64Array(name: keyof S & string): number[]|null {
    const v = this.vector(name, 8);
    return v == null ? null : Array.from({length: v.length}, (_, i) => {
      const value = this.fb.bb.readInt64(v.start + 8 * i);
      if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
        this.fb.fail(`${this.path}.${name}[${i}]`, `${value} does not fit a JavaScript number`);
      }
      return Number(value);
    });
  }

  /** A copy of a byte vector, or null if absent. */
  bytes(name: keyof S & string): Uint8Array|null {
    const v = this.vector(name, 1);
    return v == null ? null : this.fb.bb.bytes().slice(v.start, v.start + v.length);
  }

  tableArray<C extends Slots>(name: keyof S & string, childSlots: C): Array<TableView<C>>|null {
    const v = this.vector(name, 4);
    if (v == null) {
      return null;
    }
    return Array.from({length: v.length}, (_, i) => {
      const at = v.start + 4 * i;
      return new TableView(this.fb, at + this.fb.bb.readUint32(at), `${this.path}.${name}[${i}]`, childSlots);
    });
  }
}
