/**
 * The literal code tables and slot numbers of src/tflite against the text of
 * tflite_schema.fbs. The schema lives in shared/reference beside the repo
 * (CI clones the repo with shared/ next to it); without it these tests skip
 * and say why.
 */
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

import {describe, expect, it} from 'vitest';

import {OPTIONS_LAYOUT} from '../../src/tflite/options_layout.js';
import {
  ActivationFunctionType, BuiltinOperator, BuiltinOptionsType, FullyConnectedOptionsWeightsFormat, Padding, TensorType,
} from '../../src/tflite/schema.js';
import {SLOTS} from '../../src/tflite/table_slots.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const schemaPath = path.join(repoRoot, '..', 'shared', 'reference', 'tflite_schema.fbs');
const schemaText = fs.existsSync(schemaPath) ? fs.readFileSync(schemaPath, 'utf8') : null;
if (schemaText == null) {
  console.warn(`schema.test.ts: ${schemaPath} not found (shared/ is not beside the repo); ` +
      'skipping the checks of code tables and slots against tflite_schema.fbs');
}

/** The body of `<kind> <name> ... { ... }` with comments removed. */
function block(text: string, kind: 'enum'|'union'|'table', name: string): string {
  const match = new RegExp(`^${kind}\\s+${name}\\b[^{]*\\{([^}]*)\\}`, 'm').exec(text);
  if (match == null) {
    throw new Error(`${kind} ${name} not found in the schema`);
  }
  return match[1].replace(/\/\/.*$/gm, '');
}

/** Enum members with values, counting implicit ones (previous + 1) as flatc does. */
function parseEnum(text: string, name: string): Map<string, number> {
  const members = new Map<string, number>();
  let next = 0;
  for (const entry of block(text, 'enum', name).split(',').map((s) => s.trim()).filter(Boolean)) {
    const match = /^(\w+)\s*(?:=\s*(-?\d+))?/.exec(entry)!;
    const value = match[2] != null ? Number(match[2]) : next;
    members.set(match[1], value);
    next = value + 1;
  }
  return members;
}

/** Union members with their type codes (1-based; 0 is NONE). */
function parseUnion(text: string, name: string): Map<string, number> {
  const members = block(text, 'union', name).split(',').map((s) => s.trim()).filter(Boolean);
  return new Map(members.map((member, i) => [member, i + 1]));
}

/** Field slots of a table: declaration order, deprecated fields included, unions taking two. */
function parseTableSlots(text: string, name: string): Map<string, {slot: number, type: string, default?: string}> {
  const unions = new Set([...text.matchAll(/^union\s+(\w+)/gm)].map((m) => m[1]));
  const fields = new Map<string, {slot: number, type: string, default?: string}>();
  let slot = 0;
  for (const declaration of block(text, 'table', name).split(';').map((s) => s.trim()).filter(Boolean)) {
    const match = /^(\w+)\s*:\s*([\w\[\]]+)\s*(?:=\s*([\w.-]+))?/.exec(declaration)!;
    const [, field, type, defaultValue] = match;
    if (unions.has(type)) {
      fields.set(`${field}_type`, {slot: slot++, type: 'utype'});
    }
    fields.set(field, {slot: slot++, type, default: defaultValue});
  }
  return fields;
}

const camelToSnake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

describe.skipIf(schemaText == null)('schema tables against tflite_schema.fbs', () => {
  const fbs = schemaText ?? '';

  it('BuiltinOperator: every entry, and nothing missing', () => {
    expect(new Map(Object.entries(BuiltinOperator))).toEqual(parseEnum(fbs, 'BuiltinOperator'));
  });

  it('spot checks of operator codes counted by hand', () => {
    const ops = parseEnum(fbs, 'BuiltinOperator');
    expect([ops.get('CONV_2D'), ops.get('FULLY_CONNECTED'), ops.get('QUANTIZE'), ops.get('HARD_SWISH'),
      ops.get('CUMSUM')]).toEqual([3, 9, 114, 117, 128]);
  });

  it('TensorType, ActivationFunctionType, Padding, FullyConnectedOptionsWeightsFormat', () => {
    expect(new Map(Object.entries(TensorType))).toEqual(parseEnum(fbs, 'TensorType'));
    expect(new Map(Object.entries(ActivationFunctionType))).toEqual(parseEnum(fbs, 'ActivationFunctionType'));
    expect(new Map(Object.entries(Padding))).toEqual(parseEnum(fbs, 'Padding'));
    expect(new Map(Object.entries(FullyConnectedOptionsWeightsFormat)))
        .toEqual(parseEnum(fbs, 'FullyConnectedOptionsWeightsFormat'));
  });

  it('BuiltinOptions type codes are the positions in union BuiltinOptions', () => {
    const union = parseUnion(fbs, 'BuiltinOptions');
    for (const [name, code] of Object.entries(BuiltinOptionsType)) {
      expect(name === 'NONE' ? 0 : union.get(name), name).toBe(code);
    }
  });

  it('option field slots, kinds and defaults match the option tables', () => {
    const kinds: Record<string, string> = {
      int: 'int32', uint: 'uint32', float: 'float32', bool: 'bool', '[int]': 'int32[]',
      Padding: 'int8', ActivationFunctionType: 'int8', TensorType: 'int8', FullyConnectedOptionsWeightsFormat: 'int8',
    };
    for (const [table, layout] of Object.entries(OPTIONS_LAYOUT)) {
      const fields = parseTableSlots(fbs, table);
      expect(layout.length, `${table} field count`).toBe(fields.size);
      for (const field of layout) {
        const declared = fields.get(camelToSnake(field.name));
        expect(declared, `${table}.${field.name}`).toBeDefined();
        expect(field.slot, `${table}.${field.name} slot`).toBe(declared!.slot);
        expect(field.kind, `${table}.${field.name} kind`).toBe(kinds[declared!.type]);
        if (field.kind !== 'int32[]') {
          const fbsDefault = declared!.default == null ? 0 : declared!.default === 'true' ? 1 :
              declared!.default === 'false' || declared!.default === 'DEFAULT' ? 0 : Number(declared!.default);
          expect(Number(field.default), `${table}.${field.name} default`).toBe(fbsDefault);
        }
      }
    }
  });

  it('slots of every table the writer and reader use', () => {
    for (const [table, slots] of Object.entries(SLOTS)) {
      const fields = parseTableSlots(fbs, table);
      for (const [field, slot] of Object.entries(slots)) {
        expect(fields.get(field)?.slot, `${table}.${field}`).toBe(slot);
      }
    }
  });
});
