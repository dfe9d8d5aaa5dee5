/**
 * Generates the numeric parts of src/tflite from schema/tflite_schema.fbs:
 * enum and union codes, vtable slots, and the field layouts of the modelled
 * options tables. Hand-kept copies drifted from the schema before; now
 * test/tflite/schema.test.ts regenerates the files in memory and fails on
 * any difference.
 *
 * usage: npm run gen:schema   (tsx scripts/gen_schema.ts)
 *
 * The parser reads only what this schema uses: `enum`, `union` and `table`
 * declarations with `//` comments and `(attribute)` lists. Anything else it
 * does not understand is an error, not a silent skip.
 */
import {readFileSync, writeFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The vendored schema, relative to the repository root. */
export const SCHEMA_PATH = 'schema/tflite_schema.fbs';

// ---------------------------------------------------------------------------
// What to emit: the parts of the schema the library uses.

/** Enums emitted complete, in this order. */
const ENUMS = [
  'TensorType', 'DimensionType', 'ActivationFunctionType', 'Padding', 'FullyConnectedOptionsWeightsFormat',
  'BuiltinOperator',
];

/** Unions emitted complete (NONE is 0, members count from 1). */
const UNIONS = ['SparseIndexVector'];

/**
 * The options tables of `union BuiltinOptions` that src/tflite/schema.ts
 * models; their codes form `BuiltinOptionsType` and their fields `OPTIONS_FIELDS`.
 */
const OPTIONS_TABLES = [
  'Conv2DOptions', 'DepthwiseConv2DOptions', 'Pool2DOptions', 'FullyConnectedOptions', 'SoftmaxOptions',
  'ConcatenationOptions', 'AddOptions', 'ReshapeOptions', 'MulOptions', 'PadOptions', 'TransposeOptions',
  'ReducerOptions', 'SubOptions', 'SqueezeOptions', 'DequantizeOptions', 'QuantizeOptions', 'HardSwishOptions',
  'TransposeConvOptions', 'ResizeBilinearOptions', 'ResizeNearestNeighborOptions', 'SliceOptions',
  'LeakyReluOptions', 'GeluOptions',
  'DivOptions',
];  // in union order

/**
 * Tables of `SLOTS`, each with the last field the writer or reader uses: the
 * slots run up to it, so `fieldCount` stays the `startObject` size the writer
 * has always used.
 */
const SLOT_TABLES: Record<string, string> = {
  Model: 'signature_defs',
  OperatorCode: 'builtin_code',
  SubGraph: 'name',
  Tensor: 'shape_signature',
  QuantizationParameters: 'quantized_dimension',
  SparsityParameters: 'dim_metadata',
  DimensionMetadata: 'array_indices',
  Int32Vector: 'values',
  Uint16Vector: 'values',
  Uint8Vector: 'values',
  Operator: 'builtin_options',
  Buffer: 'size',
  Metadata: 'buffer',
  TensorMap: 'tensor_index',
  SignatureDef: 'subgraph_index',
};

// ---------------------------------------------------------------------------
// Parsing.

export interface EnumMember {
  name: string;
  value: number;
  deprecated: boolean;
}

export interface FbsEnum {
  name: string;
  /** The underlying type, e.g. `byte` or `int32`. */
  type: string;
  members: EnumMember[];
}

export interface FbsUnion {
  name: string;
  /** Member tables in declaration order: type code = index + 1. */
  members: string[];
}

export interface TableField {
  /** The .fbs name; a union field's hidden type field is `<name>_type`. */
  name: string;
  /** `int`, `[int]`, an enum, union or table name, or `utype` for a union's type field. */
  type: string;
  /** The default as written in the .fbs, if any. */
  default?: string;
  deprecated: boolean;
  /**
   * Vtable slot: declaration position, deprecated fields included, unions
   * taking two; or `(id: n)` when the table gives ids (a union's type field
   * then takes n - 1, as flatc assigns).
   */
  slot: number;
}

export interface FbsTable {
  name: string;
  fields: TableField[];
}

export interface FbsSchema {
  fileIdentifier: string;
  /** The `root_type`, or '' if the schema declares none. */
  rootType: string;
  enums: Map<string, FbsEnum>;
  unions: Map<string, FbsUnion>;
  tables: Map<string, FbsTable>;
}

/** `(deprecated)`, `(force_align: 16)`, ... as attribute name -> value ('' when it has none). */
function attributes(list: string|undefined): Map<string, string> {
  return new Map((list ?? '').split(',').filter((a) => a.trim() !== '').map((a) => {
    const [name, value = ''] = a.split(':');
    return [name.trim(), value.trim()];
  }));
}

function entries(body: string, separator: string): string[] {
  return body.split(separator).map((s) => s.replace(/\s+/g, ' ').trim()).filter(Boolean);
}

/** Parses the declarations of a .fbs file (see the file comment for what it accepts). */
export function parseFbs(text: string): FbsSchema {
  const source = text.replace(/\/\/.*$/gm, '').trimEnd();
  const schema: FbsSchema = {fileIdentifier: '', rootType: '', enums: new Map(), unions: new Map(), tables: new Map()};
  const declarations: Array<{kind: string, name: string, type?: string, body: string}> = [];
  // Top-level statements: blocks `kind Name [: type] [(attrs)] { ... }` or `keyword ...;`.
  const statement = /\s*(?:(enum|union|table|struct)\s+(\w+)\s*(?::\s*(\w+))?\s*(?:\([^)]*\))?\s*\{([^}]*)\}|(\w+)([^;{}]*);)/y;
  let position = 0;
  while (position < source.length) {
    statement.lastIndex = position;
    const match = statement.exec(source);
    if (match == null) {
      throw new Error(`gen_schema: cannot parse the schema near ${JSON.stringify(source.slice(position, position + 60))}`);
    }
    position = statement.lastIndex;
    const [, kind, name, type, body, keyword, argument] = match;
    if (kind === 'struct') {
      throw new Error(`gen_schema: struct ${name}: structs are not supported`);
    }
    if (kind != null) {
      declarations.push({kind, name, type, body});
    } else if (keyword === 'file_identifier') {
      schema.fileIdentifier = JSON.parse(argument.trim()) as string;
    } else if (keyword === 'root_type') {
      schema.rootType = argument.trim();
    } else if (!['namespace', 'file_extension', 'attribute', 'include'].includes(keyword)) {
      throw new Error(`gen_schema: unknown statement ${keyword}`);
    }
  }

  for (const {kind, name, type, body} of declarations) {
    if (kind === 'enum') {
      const members: EnumMember[] = [];
      let next = 0;
      for (const entry of entries(body, ',')) {
        const member = /^(\w+)(?: ?= ?(-?(?:0x[0-9a-fA-F]+|\d+)))?(?: ?\(([^)]*)\))?$/.exec(entry);
        if (member == null) {
          throw new Error(`gen_schema: enum ${name}: cannot parse ${JSON.stringify(entry)}`);
        }
        // A value without `=` is the previous one plus 1, as flatc counts.
        const value = member[2] != null ? Number(member[2]) : next;
        members.push({name: member[1], value, deprecated: attributes(member[3]).has('deprecated')});
        next = value + 1;
      }
      schema.enums.set(name, {name, type: type ?? 'int', members});
    } else if (kind === 'union') {
      const members = entries(body, ',').map((entry) => {
        const member = /^(\w+)(?: ?\(([^)]*)\))?$/.exec(entry);
        if (member == null) {
          throw new Error(`gen_schema: union ${name}: cannot parse ${JSON.stringify(entry)}`);
        }
        return member[1];
      });
      schema.unions.set(name, {name, members});
    }
  }

  // Tables last: a field's slot count depends on whether its type is a union.
  for (const {kind, name, body} of declarations) {
    if (kind !== 'table') {
      continue;
    }
    const fields: TableField[] = [];
    let slot = 0;
    let withIds = 0;
    const parsed = entries(body, ';');
    for (const entry of parsed) {
      const field = /^(\w+) ?: ?(\[?\w+\]?)(?: ?= ?([\w.+-]+))?(?: ?\(([^)]*)\))?$/.exec(entry);
      if (field == null) {
        throw new Error(`gen_schema: table ${name}: cannot parse ${JSON.stringify(entry)}`);
      }
      const [, fieldName, fieldType, defaultValue, attrs] = field;
      const attributeMap = attributes(attrs);
      const deprecated = attributeMap.has('deprecated');
      const id = attributeMap.get('id');
      if (id != null) {
        withIds++;
        if (!/^\d+$/.test(id)) {
          throw new Error(`gen_schema: table ${name}.${fieldName}: id ${JSON.stringify(id)} is not a number`);
        }
      }
      const isUnion = schema.unions.has(fieldType.replace(/^\[(\w+)\]$/, '$1'));
      // With ids, a union's value takes its id and its type field the id before (flatc's rule).
      if (id != null) {
        slot = Number(id) - (isUnion ? 1 : 0);
      }
      // A union (or vector of unions) stores its type first, in a slot of its own.
      if (isUnion) {
        fields.push({name: `${fieldName}_type`, type: 'utype', deprecated, slot: slot++});
      }
      fields.push({name: fieldName, type: fieldType, default: defaultValue, deprecated, slot: slot++});
    }
    if (withIds !== 0 && withIds !== parsed.length) {
      throw new Error(`gen_schema: table ${name}: either every field has an id or none does`);
    }
    fields.sort((a, b) => a.slot - b.slot);
    fields.forEach((field, i) => {
      if (i > 0 && fields[i - 1].slot === field.slot) {
        throw new Error(`gen_schema: table ${name}: fields ${fields[i - 1].name} and ${field.name} ` +
            `share slot ${field.slot}`);
      }
    });
    schema.tables.set(name, {name, fields});
  }
  return schema;
}

// ---------------------------------------------------------------------------
// Emitting.

export const GENERATED_HEADER =
    '// GENERATED by scripts/gen_schema.ts from schema/tflite_schema.fbs: do not edit; run npm run gen:schema.\n';

function get<T>(map: Map<string, T>, kind: string, name: string): T {
  const value = map.get(name);
  if (value == null) {
    throw new Error(`gen_schema: ${kind} ${name} not found in the schema`);
  }
  return value;
}

const camelCase = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** `{a: 1, b: 2}` entries wrapped to lines of at most 120 characters. */
function objectLiteral(indent: string, key: string, items: string[]): string {
  const oneLine = `${indent}${key}: {${items.join(', ')}},`;
  if (oneLine.length <= 120) {
    return oneLine;
  }
  const lines = [`${indent}${key}: {`];
  let line = '';
  for (const item of items) {
    if (line !== '' && `${indent}  ${line} ${item},`.length > 120) {
      lines.push(`${indent}  ${line}`);
      line = '';
    }
    line += `${line === '' ? '' : ' '}${item},`;
  }
  lines.push(`${indent}  ${line}`, `${indent}},`);
  return lines.join('\n');
}

function emitCodes(schema: FbsSchema): string {
  const out = [GENERATED_HEADER,
    '/** The flatbuffer file identifier (`file_identifier`), stored at bytes 4..7 of every .tflite file. */',
    `export const TFLITE_FILE_IDENTIFIER = ${JSON.stringify(schema.fileIdentifier).replace(/"/g, '\'')};`];
  for (const name of ENUMS) {
    const fbsEnum = get(schema.enums, 'enum', name);
    out.push('', `/** \`enum ${name} : ${fbsEnum.type}\` (complete). */`, `export const ${name} = {`);
    for (const member of fbsEnum.members) {
      out.push(`  ${member.name}: ${member.value},${member.deprecated ? '  // deprecated' : ''}`);
    }
    out.push('} as const;');
  }
  for (const name of UNIONS) {
    const union = get(schema.unions, 'union', name);
    out.push('', `/** Type codes of \`union ${name}\` (complete). */`, `export const ${name} = {`, '  NONE: 0,');
    union.members.forEach((member, i) => out.push(`  ${member}: ${i + 1},`));
    out.push('} as const;');
  }
  const options = get(schema.unions, 'union', 'BuiltinOptions');
  const codes = OPTIONS_TABLES.map((table) => {
    const index = options.members.indexOf(table);
    if (index < 0) {
      throw new Error(`gen_schema: ${table} is not a member of union BuiltinOptions`);
    }
    return [table, index + 1] as const;
  });
  out.push('',
      '/**',
      ' * Type codes of `union BuiltinOptions` for the option tables we model: the',
      ' * 1-based position of each table in the union (0 is NONE).',
      ' */',
      'export const BuiltinOptionsType = {',
      '  NONE: 0,',
      ...codes.map(([table, code]) => `  ${table}: ${code},`),
      '} as const;');
  return out.join('\n') + '\n';
}

function emitSlots(schema: FbsSchema): string {
  const out = [GENERATED_HEADER,
    '/**',
    ' * Vtable slots of the tables the writer and reader handle, keyed by the .fbs',
    ' * field names, up to the last field used.',
    ' */',
    'export const SLOTS = {'];
  for (const [name, last] of Object.entries(SLOT_TABLES)) {
    const fields = get(schema.tables, 'table', name).fields;
    const end = fields.findIndex((field) => field.name === last);
    if (end < 0) {
      throw new Error(`gen_schema: table ${name} has no field ${last}`);
    }
    out.push(objectLiteral('  ', name, fields.slice(0, end + 1).map((field) => `${field.name}: ${field.slot}`)));
  }
  out.push('} as const;');
  return out.join('\n') + '\n';
}

/** The layout kind and default of an options field, as src/tflite/options_layout.ts's `FieldKind`. */
function fieldKind(schema: FbsSchema, table: string, field: TableField): {kind: string, default?: string} {
  const where = `${table}.${field.name}`;
  const fbsEnum = schema.enums.get(field.type);
  if (fbsEnum != null) {
    if (fbsEnum.type !== 'byte' && fbsEnum.type !== 'ubyte') {
      throw new Error(`gen_schema: ${where}: enum ${fbsEnum.name} is not a byte enum`);
    }
    const member = field.default == null ? undefined : fbsEnum.members.find((m) => m.name === field.default);
    if (field.default != null && member == null && !/^-?\d+$/.test(field.default)) {
      throw new Error(`gen_schema: ${where}: default ${field.default} is not a member of ${fbsEnum.name}`);
    }
    return {kind: 'int8', default: String(member?.value ?? Number(field.default ?? 0))};
  }
  const scalars: Record<string, string> = {
    bool: 'bool', int: 'int32', int32: 'int32', uint: 'uint32', uint32: 'uint32', float: 'float32', float32: 'float32',
  };
  const kind = scalars[field.type];
  if (kind === 'bool') {
    return {kind, default: field.default === 'true' ? 'true' : 'false'};
  }
  if (kind != null) {
    return {kind, default: String(Number(field.default ?? 0))};
  }
  if (field.type === '[int]' || field.type === '[int32]') {
    return {kind: 'int32[]'};
  }
  throw new Error(`gen_schema: ${where}: type ${field.type} has no FieldKind (options_layout.ts)`);
}

/**
 * The lines of a `{Table: [entry, ...]}` record literal, one entry a line
 * (`entry` returns null to leave a field out); a table without fields is `[]`.
 */
function tableRecordEntries(schema: FbsSchema, tables: readonly string[],
    entry: (table: string, field: TableField) => string|null): string[] {
  const out: string[] = [];
  for (const table of tables) {
    const fields = get(schema.tables, 'table', table).fields;
    if (fields.length === 0) {
      out.push(`  ${table}: [],`);
      continue;
    }
    out.push(`  ${table}: [`);
    for (const field of fields) {
      const line = entry(table, field);
      if (line != null) {
        out.push(`    ${line},`);
      }
    }
    out.push('  ],');
  }
  return out;
}

function emitOptionsFields(schema: FbsSchema): string {
  const out = [GENERATED_HEADER,
    '/**',
    ' * The fields of every modelled options table in slot order: camelCase name,',
    ' * slot, storage kind and schema default (vectors have none).',
    ' */',
    'export const OPTIONS_FIELDS = {'];
  out.push(...tableRecordEntries(schema, OPTIONS_TABLES, (table, field) => {
    if (field.type === 'utype') {
      throw new Error(`gen_schema: ${table}.${field.name}: union fields are not supported in options`);
    }
    // A deprecated field keeps its slot but is neither written nor read (ResizeBilinearOptions.new_height).
    if (field.deprecated) {
      return null;
    }
    const {kind, default: fallback} = fieldKind(schema, table, field);
    return `{name: '${camelCase(field.name)}', slot: ${field.slot}, kind: '${kind}'` +
        `${fallback == null ? '' : `, default: ${fallback}`}}`;
  }));
  out.push('} as const;');
  return out.join('\n') + '\n';
}

/** Bytes of each scalar type of the .fbs language (and its sized aliases). */
const SCALAR_BYTES: Readonly<Record<string, number>> = {
  bool: 1, byte: 1, ubyte: 1, int8: 1, uint8: 1, short: 2, ushort: 2, int16: 2, uint16: 2,
  int: 4, uint: 4, int32: 4, uint32: 4, float: 4, float32: 4,
  long: 8, ulong: 8, int64: 8, uint64: 8, double: 8, float64: 8,
};

/** Bytes of a scalar or enum type, or undefined for anything else. */
function scalarBytes(schema: FbsSchema, type: string): number|undefined {
  const fbsEnum = schema.enums.get(type);
  return SCALAR_BYTES[fbsEnum?.type ?? type];
}

/** One field's entry of VERIFY_TABLES (see the type emitted in emitVerifyLayout). */
function verifyEntry(schema: FbsSchema, table: string, field: TableField): string {
  const where = `${table}.${field.name}`;
  const head = `name: '${field.name}', slot: ${field.slot}`;
  if (field.type === 'utype') {
    return `{${head}, kind: 'scalar', bytes: 1}`;
  }
  const element = /^\[(\w+)\]$/.exec(field.type)?.[1];
  const type = element ?? field.type;
  const bytes = scalarBytes(schema, type);
  if (bytes != null) {
    return `{${head}, kind: '${element == null ? 'scalar' : 'scalars'}', bytes: ${bytes}}`;
  }
  if (type === 'string') {
    return `{${head}, kind: '${element == null ? 'string' : 'strings'}'}`;
  }
  if (schema.tables.has(type)) {
    return `{${head}, kind: '${element == null ? 'table' : 'tables'}', table: '${type}'}`;
  }
  if (schema.unions.has(type)) {
    if (element != null) {
      throw new Error(`gen_schema: ${where}: vectors of unions are not supported by the verifier`);
    }
    return `{${head}, kind: 'union', union: '${type}'}`;
  }
  throw new Error(`gen_schema: ${where}: unknown type ${field.type}`);
}

/** The tables reachable from the root type through table, vector-of-table and union fields, in visit order. */
function reachableTables(schema: FbsSchema): string[] {
  if (schema.rootType === '') {
    throw new Error('gen_schema: the schema declares no root_type');
  }
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) {
      return;
    }
    seen.add(name);
    for (const field of get(schema.tables, 'table', name).fields) {
      const type = field.type.replace(/^\[(\w+)\]$/, '$1');
      if (schema.tables.has(type)) {
        visit(type);
      }
      schema.unions.get(type)?.members.forEach(visit);
    }
  };
  visit(schema.rootType);
  return [...seen];
}

/** The text of generated/verify_layout.ts for a parsed schema. */
export function emitVerifyLayout(schema: FbsSchema): string {
  const tables = reachableTables(schema);
  const unions = [...schema.unions.values()].filter((union) => union.members.some((m) => tables.includes(m)));
  const out = [GENERATED_HEADER,
    '/**',
    ' * How src/tflite/verify_flatbuffer.ts checks one field of a table, as the',
    ' * FlatBuffers C++ verifier that flatc generates for the schema does:',
    ' * `scalar` (an enum as its underlying type) and `scalars` (a vector of them)',
    ' * of `bytes` bytes each, `string`/`strings`, `table`/`tables` of a table type,',
    ' * and `union` (an offset whose member table is chosen by the 1-byte type',
    ' * field in the slot before it).',
    ' */',
    'export type VerifyField = {readonly name: string, readonly slot: number} & (',
    '  {readonly kind: \'scalar\'|\'scalars\', readonly bytes: number} |',
    '  {readonly kind: \'string\'|\'strings\'} |',
    '  {readonly kind: \'table\'|\'tables\', readonly table: string} |',
    '  {readonly kind: \'union\', readonly union: string});',
    '',
    `/** The root table of a file (\`root_type\`). */`,
    `export const ROOT_TABLE = '${schema.rootType}';`,
    '',
    '/**',
    ' * Every field of every table reachable from the root, deprecated ones',
    ' * included (they keep their slot), in slot order.',
    ' */',
    'export const VERIFY_TABLES: Readonly<Record<string, readonly VerifyField[]>> = {'];
  out.push(...tableRecordEntries(schema, tables, (table, field) => verifyEntry(schema, table, field)));
  out.push('};', '',
      '/** Member tables of each union by type code - 1 (code 0 is NONE; larger codes are unknown and not checked). */',
      'export const VERIFY_UNIONS: Readonly<Record<string, readonly string[]>> = {');
  for (const union of unions) {
    out.push(`  ${union.name}: [`);
    let line = '';
    for (const member of union.members) {
      const item = `'${member}',`;
      if (line !== '' && `    ${line} ${item}`.length > 120) {
        out.push(`    ${line}`);
        line = '';
      }
      line += `${line === '' ? '' : ' '}${item}`;
    }
    out.push(`    ${line}`, '  ],');
  }
  out.push('};');
  return out.join('\n') + '\n';
}

/** The generated files (path relative to the repository root -> text) for the schema text. */
export function generateSchemaFiles(fbsText: string): Record<string, string> {
  const schema = parseFbs(fbsText);
  return {
    'src/tflite/generated/schema_codes.ts': emitCodes(schema),
    'src/tflite/generated/table_slots.ts': emitSlots(schema),
    'src/tflite/generated/options_fields.ts': emitOptionsFields(schema),
    'src/tflite/generated/verify_layout.ts': emitVerifyLayout(schema),
  };
}

/** Reads the vendored schema. */
export function readSchema(): string {
  return readFileSync(join(root, SCHEMA_PATH), 'utf8');
}

if (process.argv[1] != null && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [file, text] of Object.entries(generateSchemaFiles(readSchema()))) {
    writeFileSync(join(root, file), text);
    console.log(`wrote ${file}`);
  }
}
