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
 * How many bytes of tables and of vectors at distinct offsets may be decoded
 * per file byte. A valid file decodes each of its bytes about once; overlapping
 * vectors (offsets a few bytes apart into one huge region) or a table reached
 * through many paths would otherwise cost quadratic time.
 */
const DECODE_BUDGET_PER_FILE_BYTE = 4;
const DECODE_BUDGET_MINIMUM = 1 << 16;

/**
 * How many bytes of copies of already decoded vectors may be made per file
 * byte. The writer stores identical shapes, names and quantization parameters
 * once for many tensors, so valid files repeat data (a deep per-channel int8
 * file decodes several bytes per file byte: BENCHMARKS.md), but
 * 2,000 tables pointing at one 200 KB vector would make 400 MB of arrays.
 */
const REPEAT_BUDGET_PER_FILE_BYTE = 32;
const REPEAT_BUDGET_MINIMUM = 1 << 24;

/** A vector decoded once, by its offset in the file, and what it was decoded as. */
interface DecodedVector {
  kind: string;
  value: unknown;
}

/** A whole flatbuffer file, with the checks every view shares. */
export class CheckedFlatbuffer {
  readonly bb: flatbuffers.ByteBuffer;
  readonly size: number;
  private budget: number;
  private repeatBudget: number;
  private readonly decoded = new Map<number, DecodedVector>();
  private readonly decoder = new TextDecoder();

  /** @param stage Prefix of every error message (the public function reading). */
  constructor(bytes: Uint8Array, readonly stage: string) {
    this.bb = new flatbuffers.ByteBuffer(bytes);
    this.size = bytes.length;
    this.budget = DECODE_BUDGET_PER_FILE_BYTE * bytes.length + DECODE_BUDGET_MINIMUM;
    this.repeatBudget = REPEAT_BUDGET_PER_FILE_BYTE * bytes.length + REPEAT_BUDGET_MINIMUM;
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

  /** Counts `bytes` of first-time decoding against the decode budget. */
  spend(bytes: number, path: string): void {
    this.budget -= bytes;
    if (this.budget < 0) {
      this.fail(path, 'the file refers to the same data too many times (corrupt or malicious offsets)');
    }
  }

  /** Counts `bytes` of repeated data (copies of shared vectors) against its own, larger budget. */
  private spendRepeat(bytes: number, path: string): void {
    this.repeatBudget -= bytes;
    if (this.repeatBudget < 0) {
      this.fail(path, `the file refers to the same data too many times (over ${REPEAT_BUDGET_PER_FILE_BYTE}x ` +
          'its size in repeated vectors; corrupt or malicious offsets)');
    }
  }

  /**
   * The vector at `target` (`bytes` long in the file) decoded as `kind`:
   * decoded the first time, a copy of that afterwards, so a vector shared by
   * many tables is read once and every reference still gets its own array.
   */
  cachedVector<T>(target: number, kind: string, bytes: number, path: string, decode: () => T,
      copy: (value: T) => T): T {
    const hit = this.decoded.get(target);
    if (hit != null && hit.kind === kind) {
      this.spendRepeat(bytes, path);
      return copy(hit.value as T);
    }
    this.spend(bytes, path);
    const value = decode();
    this.decoded.set(target, {kind, value});
    return value;
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

  /**
   * A vector of `elementBytes`-byte elements decoded by `decode(start, length)`,
   * or null if absent. Vectors shared by several tables are decoded once (see
   * `CheckedFlatbuffer.cachedVector`); `kind` tells apart what they are decoded as.
   */
  private vector<T>(name: keyof S & string, elementBytes: number, kind: string,
      decode: (start: number, length: number) => T, copy: (value: T) => T): T|null {
    const target = this.target(name);
    if (target === 0) {
      return null;
    }
    const length = this.fb.bb.readUint32(target);
    const path = `${this.path}.${name}`;
    this.fb.requireRange(target + 4, length * elementBytes, path, `vector of ${length} elements`);
    return this.fb.cachedVector(target, kind, 4 + length * elementBytes, path,
        () => decode(target + 4, length), copy);
  }

  /** A vector of numbers read by `read(position)`. */
  private numbers(name: keyof S & string, elementBytes: number, kind: string,
      read: (at: number, index: number) => number): number[]|null {
    return this.vector(name, elementBytes, kind,
        (start, length) => Array.from({length}, (_, i) => read(start + elementBytes * i, i)), copyArray);
  }

  string(name: keyof S & string): string|null {
    // Strings are immutable: a shared one needs no copy.
    return this.vector(name, 1, 'string', (start, length) => this.fb.decodeUtf8(start, length), (s) => s);
  }

  int32Array(name: keyof S & string): number[]|null {
    return this.numbers(name, 4, 'int32', (at) => this.fb.bb.readInt32(at));
  }

  uint16Array(name: keyof S & string): number[]|null {
    return this.numbers(name, 2, 'uint16', (at) => this.fb.bb.readUint16(at));
  }

  float32Array(name: keyof S & string): number[]|null {
    return this.numbers(name, 4, 'float32', (at) => this.fb.bb.readFloat32(at));
  }

  /** An int64 vector as numbers; values beyond 2^53 are rejected rather than rounded. */
  int64Array(name: keyof S & string): number[]|null {
    return this.numbers(name, 8, 'int64', (at, i) => {
      const value = this.fb.bb.readInt64(at);
      if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
        this.fb.fail(`${this.path}.${name}[${i}]`, `${value} does not fit a JavaScript number`);
      }
      return Number(value);
    });
  }

  /** A copy of a byte vector, or null if absent. */
  bytes(name: keyof S & string): Uint8Array|null {
    return this.vector(name, 1, 'bytes', (start, length) => this.fb.bb.bytes().slice(start, start + length),
        (b) => b.slice());
  }

  tableArray<C extends Slots>(name: keyof S & string, childSlots: C): Array<TableView<C>>|null {
    // Each element is an offset relative to its own position: cached as absolute positions.
    const targets = this.numbers(name, 4, 'tables', (at) => at + this.fb.bb.readUint32(at));
    return targets?.map((target, i) => new TableView(this.fb, target, `${this.path}.${name}[${i}]`, childSlots)) ??
        null;
  }
}

const copyArray = (values: number[]) => values.slice();
