/**
 * Checks a whole .tflite flatbuffer as LiteRT does before it reads anything:
 * LiteRT runs the FlatBuffers C++ `Verifier` (flatbuffers/verifier.h) with the
 * `Verify()` functions flatc generates for tflite_schema.fbs, over every field
 * of every table, and refuses the file with only "Failed to load model from
 * buffer" when one rule fails. readModel (reader.ts) reads only the fields
 * this library models; this walk covers the rest, from the field layouts
 * generated from the schema (generated/verify_layout.ts), and names the field
 * path and the rule broken.
 *
 * Rules, as the C++ verifier applies them with its default options
 * (check_alignment on, max_depth 64, max_tables 1,000,000, max_size 2^31 - 1):
 * a range [pos, pos + n) is inside the file when n < size and
 * pos <= size - n; tables start 4-byte aligned, their vtable (at
 * pos - int32 at pos) is 2-byte aligned with an even size that fits; a present
 * scalar field is aligned to its own size and fits; an offset field is 4-byte
 * aligned, non-zero, positive as int32 and points inside the file; vectors and
 * strings start 4-byte aligned with a length below 2^31 / element size and fit;
 * a string is followed by a 0 byte; union members are checked by their type
 * field (unknown codes are accepted, as the generated code does). We are
 * stricter in a few ways, never looser: we require what the reader requires of
 * the fields it reads for every field (vtables of at least 4 bytes, tables of
 * at least 4 bytes inside the file, fields inside their table), deprecated
 * fields are checked when present, and an element of an offset vector must
 * point inside the file (the C++ code adds it to a pointer unchecked). Files
 * written by flatc or by this library meet all of these.
 *
 * Linear time: a table (or vector of tables) already checked at the same
 * position as the same type is not walked again; its table count and nesting
 * height are remembered, so the limits apply exactly as the C++ verifier,
 * which walks every reference, applies them.
 */
import {ValueError} from '../errors.js';
import {ROOT_TABLE, VERIFY_TABLES, VERIFY_UNIONS, VerifyField} from './generated/verify_layout.js';

/** FlatBuffers' `FLATBUFFERS_MAX_BUFFER_SIZE` (the largest signed 32-bit offset). */
const MAX_BUFFER_SIZE = 0x7fffffff;
/** `Verifier::Options::max_depth`: tables nested deeper are refused. */
const MAX_DEPTH = 64;
/** `Verifier::Options::max_tables`: counted per reference, as the C++ verifier walks. */
const MAX_TABLES = 1_000_000;
/**
 * Field checks and vector elements walked per file byte (plus a fixed
 * allowance). A valid file costs about one unit per field and element; only
 * overlapping vectors (distinct offsets into one region) cost more.
 */
const WORK_PER_FILE_BYTE = 16;
const WORK_MINIMUM = 1 << 20;

/** A table layout with its references resolved, for the walk. */
interface Layout {
  name: string;
  /** Position among its schema's layouts, part of the key of a checked table. */
  index: number;
  fields: Array<VerifyField & {
    /** The table or vector element type of a `table`/`tables` field. */
    child?: Layout,
    /** A `union` field's members by type code - 1, and the slot of its type field. */
    members?: readonly Layout[],
    typeSlot?: number,
  }>;
}

/** The tables and unions a file is checked against: the generated tflite ones, or others in tests. */
export interface VerifySchema {
  root: string;
  tables: Readonly<Record<string, readonly VerifyField[]>>;
  unions: Readonly<Record<string, readonly string[]>>;
}

/**
 * Keys of `checked`: position * KEY_STRIDE + layout index for a table, plus the
 * layout count for a vector of tables; KEY_STRIDE - 1 for a vector of strings.
 */
const KEY_STRIDE = 1024;

function compileLayouts(schema: VerifySchema): ReadonlyMap<string, Layout> {
  const layouts = new Map<string, Layout>(Object.entries(schema.tables).map(([name, fields], index) =>
    [name, {name, index, fields: fields.map((field) => ({...field}))}]));
  if (2 * layouts.size >= KEY_STRIDE) {
    throw new Error(`verify_flatbuffer: ${layouts.size} table layouts do not fit KEY_STRIDE`);
  }
  const layout = (name: string) => {
    const found = layouts.get(name);
    if (found == null) {
      throw new Error(`verify_flatbuffer: table ${name} has no layout`);
    }
    return found;
  };
  layout(schema.root);
  for (const {fields} of layouts.values()) {
    for (const field of fields) {
      if (field.kind === 'table' || field.kind === 'tables') {
        field.child = layout(field.table);
      } else if (field.kind === 'union') {
        field.members = schema.unions[field.union].map(layout);
        field.typeSlot = fields.find((f) => f.name === `${field.name}_type`)?.slot;
        if (field.typeSlot == null) {
          throw new Error(`verify_flatbuffer: union field ${field.name} has no type field`);
        }
      }
    }
  }
  return layouts;
}

const TFLITE_LAYOUTS = compileLayouts({root: ROOT_TABLE, tables: VERIFY_TABLES, unions: VERIFY_UNIONS});

/** A field path, spelled out only for an error message (building strings for every field costs more than the walk). */
class FieldPath {
  constructor(readonly up: FieldPath|null, readonly part: string|number) {}

  toString(): string {
    const parts: Array<string|number> = [];
    for (let p: FieldPath|null = this; p != null; p = p.up) {
      parts.push(p.part);
    }
    return parts.reverse().map((part, i) => typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)
        .join('');
  }
}

/** What checking one table or vector of tables found below it. */
interface Subtree {
  /** Tables the C++ verifier would count, itself included. */
  tables: number;
  /** Tables nested below and including it (0 for an empty vector of tables). */
  height: number;
}


class FlatbufferVerifier {
  private readonly view: DataView;
  private readonly size: number;
  private readonly checked = new Map<number, Subtree>();
  private tables = 0;
  private work: number;

  constructor(private readonly bytes: Uint8Array, private readonly stage: string,
      private readonly layouts: ReadonlyMap<string, Layout>, private readonly root: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.size = bytes.length;
    this.work = WORK_PER_FILE_BYTE * bytes.length + WORK_MINIMUM;
  }

  fail(path: FieldPath, problem: string): never {
    throw new ValueError(`${this.stage}: ${path.toString()}: ${problem}`);
  }

  /** The C++ `Verify(elem, elem_len)`: the range lies inside the file (and is shorter than it). */
  private inside(pos: number, length: number): boolean {
    return length < this.size && pos >= 0 && pos <= this.size - length;
  }

  private requireInside(pos: number, length: number, path: FieldPath, what: string): void {
    if (!this.inside(pos, length)) {
      this.fail(path, `${what} at byte ${pos} (${length} bytes) lies outside the ${this.size}-byte file`);
    }
  }

  private requireAligned(pos: number, alignment: number, path: FieldPath, what: string): void {
    if (pos % alignment !== 0) {
      this.fail(path, `${what} at byte ${pos} is not ${alignment}-byte aligned`);
    }
  }

  private spend(units: number, path: FieldPath): void {
    this.work -= units;
    if (this.work < 0) {
      this.fail(path, 'the file refers to the same data too many times (overlapping vectors; corrupt or ' +
          'malicious offsets)');
    }
  }

  verify(): void {
    const root = new FieldPath(null, 'model');
    if (this.size >= MAX_BUFFER_SIZE) {
      this.fail(root, `the file is ${this.size} bytes; flatbuffers must be under 2 GiB (${MAX_BUFFER_SIZE} bytes)`);
    }
    this.table(this.layouts.get(this.root)!, this.offset(0, root, 'root table offset'), root, 1);
  }

  /** The C++ `VerifyOffset`: the target of the uoffset stored at `at`, checked. */
  private offset(at: number, path: FieldPath, what = 'offset'): number {
    this.requireInside(at, 4, path, what);
    this.requireAligned(at, 4, path, what);
    const value = this.view.getUint32(at, true);
    if (value === 0) {
      this.fail(path, `${what} at byte ${at} is 0 (points at itself)`);
    }
    if (value > 0x7fffffff) {
      this.fail(path, `${what} at byte ${at} is ${value}, negative as a signed 32-bit offset`);
    }
    if (!this.inside(at + value, 1)) {
      this.fail(path, `${what} at byte ${at} points to byte ${at + value}, outside the ${this.size}-byte file`);
    }
    return at + value;
  }

  /** Counts `tables` more tables, the deepest `height - 1` below nesting `depth` (the C++ `VerifyComplexity`). */
  private count(tables: number, height: number, depth: number, path: FieldPath): void {
    this.tables += tables;
    if (this.tables > MAX_TABLES) {
      this.fail(path, `the file has more than ${MAX_TABLES.toLocaleString('en-US')} tables, counted per ` +
          'reference as the FlatBuffers verifier does (the limit of its default options)');
    }
    if (depth + height - 1 > MAX_DEPTH) {
      this.fail(path, `tables nest more than ${MAX_DEPTH} deep (the FlatBuffers verifier's limit)`);
    }
  }

  /**
   * A table or vector of tables already checked at this position, counted again
   * as the C++ verifier would count it; undefined if not checked yet. (Every
   * offset this walk follows points forward, so nothing contains itself: a
   * table is never met again while it is being checked.)
   */
  private again(key: number, depth: number, path: FieldPath): Subtree|undefined {
    const known = this.checked.get(key);
    if (known != null) {
      this.count(known.tables, known.height, depth, path);
    }
    return known;
  }

  /** Checks the table of type `layout` at `pos`, reached at nesting `depth` (the root is 1). */
  private table(layout: Layout, pos: number, path: FieldPath, depth: number): Subtree {
    const key = pos * KEY_STRIDE + layout.index;
    const known = this.again(key, depth, path);
    if (known != null) {
      return known;
    }
    const tablesBefore = this.tables;
    this.count(1, 1, depth, path);
    const fields = layout.fields;
    this.spend(1 + fields.length, path);

    this.requireInside(pos, 4, path, 'table');
    this.requireAligned(pos, 4, path, 'table');
    const vtable = pos - this.view.getInt32(pos, true);
    this.requireInside(vtable, 2, path, 'vtable');
    this.requireAligned(vtable, 2, path, 'vtable');
    const vtableSize = this.view.getUint16(vtable, true);
    if (vtableSize % 2 !== 0 || vtableSize < 4) {
      this.fail(path, `vtable at byte ${vtable} has an invalid size ${vtableSize} (must be even and at least 4)`);
    }
    this.requireInside(vtable, vtableSize, path, 'vtable');
    const tableSize = this.view.getUint16(vtable + 2, true);
    if (tableSize < 4) {
      this.fail(path, `vtable at byte ${vtable} gives an invalid table size ${tableSize}`);
    }
    this.requireInside(pos, tableSize, path, 'table');

    /** The position of the field in `slot` of `bytes` bytes, checked, or 0 if absent. */
    const fieldAt = (slot: number, bytes: number, name: string): number => {
      const entry = 4 + 2 * slot;
      const offset = entry < vtableSize ? this.view.getUint16(vtable + entry, true) : 0;
      if (offset === 0) {
        return 0;
      }
      if (offset < 4 || offset + bytes > tableSize) {
        this.fail(new FieldPath(path, name), `field offset ${offset} lies outside its ${tableSize}-byte table`);
      }
      this.requireAligned(pos + offset, bytes, new FieldPath(path, name), `${bytes}-byte field`);
      return pos + offset;
    };
    let height = 1;
    for (const field of fields) {
      if (field.kind === 'scalar') {
        fieldAt(field.slot, field.bytes, field.name);
        continue;
      }
      const at = fieldAt(field.slot, 4, field.name);
      if (at === 0) {
        continue;
      }
      const fieldPath = new FieldPath(path, field.name);
      const target = this.offset(at, fieldPath);
      let below: Subtree|undefined;
      switch (field.kind) {
        case 'scalars':
          this.vector(target, field.bytes, fieldPath);
          break;
        case 'string':
          this.string(target, fieldPath);
          break;
        case 'strings':
          this.strings(target, fieldPath);
          break;
        case 'table':
          below = this.table(field.child!, target, fieldPath, depth + 1);
          break;
        case 'tables':
          below = this.tableVector(field.child!, target, fieldPath, depth + 1);
          break;
        case 'union': {
          // The member table is the one the type field names; NONE (0, or the field absent) and codes the
          // schema does not know are not checked (the generated code's `default: return true`).
          const typeAt = fieldAt(field.typeSlot!, 1, `${field.name}_type`);
          const member = typeAt === 0 ? undefined : field.members![this.bytes[typeAt] - 1];
          if (member != null) {
            below = this.table(member, target, fieldPath, depth + 1);
          }
          break;
        }
      }
      height = Math.max(height, 1 + (below?.height ?? 0));
    }
    const subtree = {tables: this.tables - tablesBefore, height};
    this.checked.set(key, subtree);
    return subtree;
  }

  /** The C++ `VerifyVectorOrString`: returns the element count. */
  private vector(target: number, elementBytes: number, path: FieldPath, what = 'vector'): number {
    this.requireInside(target, 4, path, `${what} length`);
    this.requireAligned(target, 4, path, what);
    const length = this.view.getUint32(target, true);
    if (length >= Math.floor(MAX_BUFFER_SIZE / elementBytes)) {
      this.fail(path, `${what} at byte ${target} has ${length} elements of ${elementBytes} bytes: 2 GiB or more`);
    }
    this.requireInside(target, 4 + elementBytes * length, path, `${what} of ${length} elements`);
    return length;
  }

  private string(target: number, path: FieldPath): void {
    const length = this.vector(target, 1, path, 'string');
    const end = target + 4 + length;
    if (!this.inside(end, 1) || this.bytes[end] !== 0) {
      this.fail(path, `string of ${length} bytes at byte ${target} is not followed by its 0 terminator ` +
          (this.inside(end, 1) ? `(byte ${end} is ${this.bytes[end]})` : '(the file ends)'));
    }
  }

  /** Element `i` of the offset vector at `target`: its position plus the uoffset stored there. */
  private element(target: number, i: number): number {
    const at = target + 4 + 4 * i;
    return at + this.view.getUint32(at, true);
  }

  private strings(target: number, path: FieldPath): void {
    const key = target * KEY_STRIDE + KEY_STRIDE - 1;
    if (this.checked.has(key)) {
      return;
    }
    this.checked.set(key, {tables: 0, height: 0});
    const length = this.vector(target, 4, path);
    this.spend(length, path);
    for (let i = 0; i < length; i++) {
      this.string(this.element(target, i), new FieldPath(path, i));
    }
  }

  /** A vector of tables: each element checked as a table at `depth`, the vector itself remembered. */
  private tableVector(layout: Layout, target: number, path: FieldPath, depth: number): Subtree {
    const key = target * KEY_STRIDE + this.layouts.size + layout.index;
    const known = this.again(key, depth, path);
    if (known != null) {
      return known;
    }
    const length = this.vector(target, 4, path);
    const tablesBefore = this.tables;
    this.spend(length, path);
    let height = 0;
    for (let i = 0; i < length; i++) {
      height = Math.max(height, this.table(layout, this.element(target, i), new FieldPath(path, i), depth).height);
    }
    const subtree = {tables: this.tables - tablesBefore, height};
    this.checked.set(key, subtree);
    return subtree;
  }
}

/**
 * Checks every table, vector and string of a .tflite file against the
 * structural rules of the FlatBuffers verifier LiteRT runs before loading
 * (see the file comment), so a file LiteRT would refuse is refused here with
 * the field's path. The caller has checked the file identifier.
 *
 * @param stage Prefix of the error message (the public function reading).
 * @throws ValueError `<stage>: <field path>: <problem>` for the first rule broken.
 */
export function verifyFlatbuffer(bytes: Uint8Array, stage: string): void {
  new FlatbufferVerifier(bytes, stage, TFLITE_LAYOUTS, ROOT_TABLE).verify();
}

/**
 * `verifyFlatbuffer` against another schema's layouts: for tests of rules the
 * tflite schema cannot reach (it has no recursive tables and no string vectors).
 */
export function verifyFlatbufferAgainst(bytes: Uint8Array, stage: string, schema: VerifySchema): void {
  new FlatbufferVerifier(bytes, stage, compileLayouts(schema), schema.root).verify();
}
