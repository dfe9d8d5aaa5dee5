/**
 * The code tables and slot numbers of src/tflite against the vendored
 * schema/tflite_schema.fbs: the committed generated files must be what
 * scripts/gen_schema.ts makes of it, and the generator's parser must count
 * codes and slots as flatc does.
 */
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

import {describe, expect, it} from 'vitest';

import {
  emitVerifyLayout, generateSchemaFiles, GENERATED_HEADER, parseFbs, readSchema,
} from '../../scripts/gen_schema.js';
import {VERIFY_TABLES, VERIFY_UNIONS} from '../../src/tflite/generated/verify_layout.js';
import {OPTIONS_LAYOUT, OPTIONS_OF_OPERATOR} from '../../src/tflite/options_layout.js';
import {
  BuiltinOperator, BuiltinOptionsType, TENSOR_TYPE_BYTES, TensorType, TFLITE_FILE_IDENTIFIER, TFLITE_SCHEMA_VERSION,
} from '../../src/tflite/schema.js';
import {fieldCount, SLOTS} from '../../src/tflite/table_slots.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('generated schema tables', () => {
  const files = generateSchemaFiles(readSchema());

  it('the committed files are what the generator makes of the vendored .fbs', () => {
    expect(Object.keys(files).length).toBeGreaterThan(0);
    for (const [file, text] of Object.entries(files)) {
      const committed = fs.readFileSync(path.join(repoRoot, file), 'utf8');
      // Compared as lines so a failure shows the differing lines.
      expect(committed.split('\n'), `${file} is out of date: run npm run gen:schema`).toEqual(text.split('\n'));
    }
  });

  it('every file in src/tflite/generated comes from the generator and says so', () => {
    const dir = path.join(repoRoot, 'src', 'tflite', 'generated');
    expect(fs.readdirSync(dir).map((f) => `src/tflite/generated/${f}`).sort()).toEqual(Object.keys(files).sort());
    for (const text of Object.values(files)) {
      expect(text.startsWith(GENERATED_HEADER)).toBe(true);
    }
  });
});

describe('the generator parser counts as flatc does', () => {
  const toy = `
    namespace toy;
    file_identifier "TOY1";
    enum Color : byte { RED, GREEN = 5, BLUE, OLD = 9 (deprecated), }  // BLUE is 6
    union Shape { Circle, Square (deprecated), Triangle }
    table Circle { radius: float = 1.5; }
    table Square { side:int; }
    table Triangle { base:[int]; }
    table Thing {
      color: Color = GREEN;
      old_field: int (deprecated);
      shape: Shape;  // takes two slots
      tag: string;
    }
    root_type Thing;
  `;
  const schema = parseFbs(toy);

  it('enum values: implicit ones are the previous plus 1, deprecated members keep theirs', () => {
    expect(schema.fileIdentifier).toBe('TOY1');
    expect(schema.enums.get('Color')!.members.map((m) => [m.name, m.value, m.deprecated])).toEqual([
      ['RED', 0, false], ['GREEN', 5, false], ['BLUE', 6, false], ['OLD', 9, true],
    ]);
  });

  it('union members keep their position when deprecated', () => {
    expect(schema.unions.get('Shape')!.members).toEqual(['Circle', 'Square', 'Triangle']);
  });

  it('table slots count deprecated fields, and a union field takes two', () => {
    expect(schema.tables.get('Thing')!.fields.map((f) => [f.name, f.slot])).toEqual([
      ['color', 0], ['old_field', 1], ['shape_type', 2], ['shape', 3], ['tag', 4],
    ]);
    expect(schema.tables.get('Thing')!.fields[0].default).toBe('GREEN');
  });

  it('reads the root type, and slots from (id: n) with a union\'s type field at n - 1', () => {
    expect(schema.rootType).toBe('Thing');
    const withIds = parseFbs('union U { A } table A { x: int; } table T { tag: string (id: 3); u: U (id: 1); ' +
        'n: long (id: 2, deprecated); }');
    expect(withIds.tables.get('T')!.fields.map((f) => [f.name, f.slot])).toEqual([
      ['u_type', 0], ['u', 1], ['n', 2], ['tag', 3],
    ]);
    expect(() => parseFbs('table T { a: int (id: 0); b: int; }')).toThrow(/either every field has an id or none/);
    expect(() => parseFbs('table T { a: int (id: 0); b: int (id: 0); }')).toThrow(/share slot 0/);
  });

  it('lays out every field of the tables reachable from the root for the verifier', () => {
    const layout = emitVerifyLayout(parseFbs(`${toy} table Unused { x: int; }`));
    expect(layout).toContain("export const ROOT_TABLE = 'Thing';");
    for (const entry of [
      "{name: 'color', slot: 0, kind: 'scalar', bytes: 1}",  // a byte enum
      "{name: 'old_field', slot: 1, kind: 'scalar', bytes: 4}",  // deprecated, still checked
      "{name: 'shape_type', slot: 2, kind: 'scalar', bytes: 1}",
      "{name: 'shape', slot: 3, kind: 'union', union: 'Shape'}",
      "{name: 'tag', slot: 4, kind: 'string'}",
      "{name: 'base', slot: 0, kind: 'scalars', bytes: 4}",
    ]) {
      expect(layout).toContain(entry);
    }
    expect(layout).toContain("Shape: [\n    'Circle', 'Square', 'Triangle',\n  ],");
    expect(layout).not.toContain('Unused');
    expect(() => emitVerifyLayout(parseFbs('union U { A } table A { x: int; } table R { u: [U]; } root_type R;')))
        .toThrow(/vectors of unions are not supported/);
  });

  it('rejects what it does not understand instead of skipping it', () => {
    expect(() => parseFbs('table T { a: int = ; }')).toThrow(/cannot parse/);
    expect(() => parseFbs('struct S { a: int; }')).toThrow(/struct/);
    expect(() => parseFbs('rpc_service S { }')).toThrow(/cannot parse/);
  });
});

describe('spot checks counted by hand in tflite_schema.fbs', () => {
  it('operator, options and tensor type codes', () => {
    expect([BuiltinOperator.CONV_2D, BuiltinOperator.FULLY_CONNECTED, BuiltinOperator.QUANTIZE,
      BuiltinOperator.HARD_SWISH, BuiltinOperator.CUMSUM]).toEqual([3, 9, 114, 117, 128]);
    expect([BuiltinOptionsType.Conv2DOptions, BuiltinOptionsType.FullyConnectedOptions,
      BuiltinOptionsType.QuantizeOptions]).toEqual([1, 8, 89]);
    expect([TensorType.FLOAT32, TensorType.INT8, TensorType.INT16]).toEqual([0, 9, 7]);
  });

  it('slots after a union field and after a deprecated field', () => {
    expect(SLOTS.QuantizationParameters.quantized_dimension).toBe(6);
    expect(SLOTS.Operator.builtin_options).toBe(4);
    expect(SLOTS.SignatureDef.subgraph_index).toBe(4);
    expect(fieldCount(SLOTS.Model)).toBe(8);
  });
});

describe('the verifier layout, counted by hand in tflite_schema.fbs', () => {
  const field = (table: string, name: string) => VERIFY_TABLES[table].find((f) => f.name === name);

  it('covers tables the library does not model, with every field kind', () => {
    expect(field('Buffer', 'offset')).toEqual({name: 'offset', slot: 1, kind: 'scalar', bytes: 8});
    expect(field('Tensor', 'variant_tensors')).toEqual({name: 'variant_tensors', slot: 9, kind: 'tables',
      table: 'VariantSubType'});
    expect(field('QuantizationParameters', 'details')).toEqual({name: 'details', slot: 5, kind: 'union',
      union: 'QuantizationDetails'});
    expect(field('QuantizationParameters', 'zero_point')).toEqual({name: 'zero_point', slot: 3, kind: 'scalars',
      bytes: 8});
    expect(field('SignatureDef', 'deprecated_tag')).toEqual({name: 'deprecated_tag', slot: 3, kind: 'string'});
    expect(field('StablehloConvolutionOptions', 'window_reversal')).toMatchObject({kind: 'scalars', bytes: 1});
    expect(VERIFY_UNIONS.BuiltinOptions[BuiltinOptionsType.Conv2DOptions - 1]).toBe('Conv2DOptions');
    expect(VERIFY_UNIONS.BuiltinOptions[BuiltinOptionsType.QuantizeOptions - 1]).toBe('QuantizeOptions');
  });
});

describe('hand-written parts agree with the generated ones', () => {
  it('the schema version is the digit of the file identifier', () => {
    expect(TFLITE_FILE_IDENTIFIER).toBe(`TFL${TFLITE_SCHEMA_VERSION}`);
  });

  it('every modelled options table is the table of some operator, and only those', () => {
    expect(new Set(Object.values(OPTIONS_OF_OPERATOR))).toEqual(new Set(Object.keys(OPTIONS_LAYOUT)));
  });

  it('sizes are given only for tensor types of the schema', () => {
    for (const name of Object.keys(TENSOR_TYPE_BYTES)) {
      expect(TensorType, name).toHaveProperty(name);
    }
  });
});
