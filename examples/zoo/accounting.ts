/**
 * Byte accounting of a .tflite file: the least its content needs, by part,
 * against the file's size. Takes what `tfmot.tflite.readModel` returns (typed
 * structurally here, so this module does not import the library and tests,
 * benchmarks and examples can share it).
 *
 * The least content: every constant buffer as stored (int8 weights, int32
 * biases); per quantized tensor one float32 scale and one int64 zero point per
 * channel (LiteRT reads zero points as int64); tensor names (UTF-8); and the
 * graph as the smallest FlatBuffer encoding of its tables (schema
 * tensorflow/lite/schema/schema.fbs): per table a 4-byte vtable offset and
 * its non-default fields (1-byte enums, 4-byte scalars and offsets), per
 * distinct field layout one vtable (2 bytes per slot up to the last one set,
 * plus 4), per vector a 4-byte length and its elements (int32 shapes and
 * tensor indices, offsets to tables), per string a length, a NUL and padding
 * to 4 bytes, per distinct quantization one table, the
 * 4-byte root offset and the 4-byte file identifier. The tables: the Model
 * (version, operator codes, subgraphs, buffers), one OperatorCode per distinct
 * operator, the SubGraph (tensors, inputs, outputs, operators), per tensor a
 * Tensor (shape, type, buffer, name, quantization) and its
 * QuantizationParameters (scale, zero point, quantized dimension), per operator an
 * Operator (opcode index, inputs, outputs, options) and its options table's
 * non-default fields, per buffer a Buffer. Equal vectors count once (a writer
 * may share them, e.g. equal shapes or the all-zero zero points of
 * same-width layers). Not counted: alignment padding (the schema asks buffer
 * data to be 16-byte aligned, and zero points 8-byte), signature defs, the
 * description, metadata, fields at their default, and options tables
 * whose fields all are (LiteRT runs a file without them alike).
 */

/** The parts of `tfmot.tflite.readModel(bytes)` the accounting reads. */
export interface ReadModel {
  operatorCodes: Array<{builtinCode: number, version: number}>;
  subgraphs: Array<{
    inputs: number[],
    outputs: number[],
    operators: Array<{opcodeIndex: number, inputs: number[], outputs: number[], builtinOptions?: object}>,
    tensors: Array<{name: string, shape: number[], type: number, buffer: number,
      quantization?: {scale: number[], zeroPoint: number[], quantizedDimension: number}}>,
  }>;
  buffers: Array<{data: Uint8Array}>;
}

/**
 * An options table's non-default fields, as the reader returns them (every
 * field, defaults filled in): the fields whose value is not the schema's
 * default for that table. Unknown tables count every field.
 */
export type OptionsFields = (options: object) => Array<{slot: number, bytes: number}>;

export interface ByteAccounting {
  fileBytes: number;
  /** Constant buffers (weights, biases). */
  weights: number;
  /** 4 bytes of scale and 8 of zero point per channel of every quantized tensor. */
  quantization: number;
  names: number;
  /** The smallest FlatBuffer encoding of the tables, vectors and strings around the content. */
  graph: number;
  /** weights + quantization + names + graph. */
  least: number;
  /** fileBytes / least - 1. */
  overhead: number;
  /** Tensors, operators and buffers (with the empty buffer 0): the tables there is one of per item. */
  items: number;
  /** Constant buffers: each may need up to 12 bytes of padding for the schema's 16-byte alignment. */
  constantBuffers: number;
  /**
   * Options tables whose every field is at its default: the least leaves
   * them out (LiteRT reads an absent table as the defaults), a file that
   * stores them pays 12 bytes each (an empty table, the union's type and offset).
   */
  defaultOptionsTables: number;
}

/** One table: vtable offset plus fields (rounded to 4), and its vtable's key for sharing. */
interface Table {
  bytes: number;
  vtable: string;
  slots: number;
}

function table(_kind: string, fields: Array<{slot: number, bytes: number}>): Table {
  const inline = 4 + fields.reduce((s, f) => s + f.bytes, 0);
  // Fields sorted by size pack without gaps; the table ends 4-aligned for what follows.
  const slots = fields.length === 0 ? 0 : Math.max(...fields.map((f) => f.slot)) + 1;
  // Tables of any kind with the same field offsets may share one vtable.
  const sorted = [...fields].sort((a, b) => b.bytes - a.bytes || a.slot - b.slot);
  return {bytes: Math.ceil(inline / 4) * 4, slots, vtable: sorted.map((f) => `${f.slot}/${f.bytes}`).join()};
}

/**
 * `least` counts the model's own graph; `optionsFields` (e.g. from the
 * library's options layout) says which options fields differ from their
 * defaults, or, if not given, every field counts (4 bytes each).
 */
export function byteAccounting(model: ReadModel, fileBytes: number, optionsFields?: OptionsFields): ByteAccounting {
  const utf8 = new TextEncoder();
  const [subgraph] = model.subgraphs;
  const tables: Table[] = [];
  const vectors = new Set<string>();
  // An int vector, shared when equal: its 4-byte length; elements are `size` bytes.
  let vectorBytes = 0;
  const vector = (kind: string, values: number[], size: number, countElements = true) => {
    const key = `${kind}:${values.join()}`;
    if (!vectors.has(key)) {
      vectors.add(key);
      vectorBytes += 4 + (countElements ? size * values.length : 0);
    }
  };
  // Model: version, operator_codes, subgraphs, buffers (slots 0, 1, 2, 4); root offset and file identifier.
  tables.push(table('Model', [{slot: 0, bytes: 4}, {slot: 1, bytes: 4}, {slot: 2, bytes: 4}, {slot: 4, bytes: 4}]));
  let fixed = 8 + 3 * 4 + 4 * (model.operatorCodes.length + model.subgraphs.length + model.buffers.length);
  for (const code of model.operatorCodes) {
    // deprecated_builtin_code (int8, slot 0) holds codes below 127, builtin_code (slot 3) the rest; version defaults to 1.
    const fields = [code.builtinCode < 127 ? {slot: 0, bytes: 1} : {slot: 3, bytes: 4}]
        .filter(() => code.builtinCode !== 0);
    tables.push(table('OperatorCode', code.version === 1 ? fields : [...fields, {slot: 2, bytes: 4}]));
  }
  // SubGraph: tensors, inputs, outputs, operators (offsets to four vectors).
  tables.push(table('SubGraph', [0, 1, 2, 3].map((slot) => ({slot, bytes: 4}))));
  // The tensors and operators vectors (inputs and outputs are int vectors, below).
  fixed += 2 * 4 + 4 * (subgraph.tensors.length + subgraph.operators.length);
  vector('io', subgraph.inputs, 4);
  vector('io', subgraph.outputs, 4);
  let weights = 0;
  let constantBuffers = 0;
  for (const buffer of model.buffers) {
    weights += buffer.data.length;
    if (buffer.data.length > 0) {
      constantBuffers++;
      fixed += 4;  // the data vector's length
    }
    tables.push(table('Buffer', buffer.data.length > 0 ? [{slot: 0, bytes: 4}] : []));
  }
  let quantization = 0;
  const quantizationTables = new Set<string>();
  const names = new Set<string>();
  for (const t of subgraph.tensors) {
    const fields = [{slot: 3, bytes: 4}];
    names.add(t.name);
    if (t.shape.length > 0) {
      fields.push({slot: 0, bytes: 4});
      vector('shape', t.shape, 4);
    }
    if (t.type !== 0) {
      fields.push({slot: 1, bytes: 1});
    }
    if (t.buffer !== 0) {
      fields.push({slot: 2, bytes: 4});
    }
    const q = t.quantization;
    if (q != null && q.scale.length > 0) {
      fields.push({slot: 4, bytes: 4});
      const scaleKey = `scale:${q.scale.join()}`;
      const zeroKey = `zero:${q.zeroPoint.join()}`;
      quantization += (vectors.has(scaleKey) ? 0 : 4 * q.scale.length) + (vectors.has(zeroKey) ? 0 : 8 * q.zeroPoint.length);
      vector('scale', q.scale, 4, false);
      vector('zero', q.zeroPoint, 8, false);
      // Tensors with equal parameters (a pooling output and its input) may share one table.
      const key = `${scaleKey}|${zeroKey}|${q.quantizedDimension}`;
      if (!quantizationTables.has(key)) {
        quantizationTables.add(key);
        tables.push(table('QuantizationParameters', [{slot: 2, bytes: 4}, {slot: 3, bytes: 4},
          ...(q.quantizedDimension !== 0 ? [{slot: 6, bytes: 4}] : [])]));
      }
    }
    tables.push(table('Tensor', fields));
  }
  let namesBytes = 0;
  let defaultOptionsTables = 0;
  for (const name of names) {
    const length = utf8.encode(name).length;
    namesBytes += length;
    // A string's length, its NUL, and padding to 4 (the next object's length or offset is 4-aligned).
    fixed += 4 + Math.ceil((length + 1) / 4) * 4 - length;
  }
  for (const op of subgraph.operators) {
    const fields = [{slot: 1, bytes: 4}, {slot: 2, bytes: 4}];
    if (op.opcodeIndex !== 0) {
      fields.push({slot: 0, bytes: 4});
    }
    vector('io', op.inputs, 4);
    vector('io', op.outputs, 4);
    if (op.builtinOptions != null) {
      const set = optionsFields == null ? allFields(op.builtinOptions) : optionsFields(op.builtinOptions);
      defaultOptionsTables += set.length === 0 ? 1 : 0;
      if (set.length > 0) {
        // builtin_options_type (uint8) and builtin_options; the options table itself.
        fields.push({slot: 3, bytes: 1}, {slot: 4, bytes: 4});
        tables.push(table(`Options:${(op.builtinOptions as {type?: string}).type}`, set));
      }
    }
    tables.push(table('Operator', fields));
  }
  const vtables = new Map(tables.map((t) => [`${t.slots}:${t.vtable}`, 4 + 2 * t.slots]));
  const graph = fixed + vectorBytes + tables.reduce((s, t) => s + t.bytes, 0) +
      [...vtables.values()].reduce((s, n) => s + n, 0);
  const least = weights + quantization + namesBytes + graph;
  const items = subgraph.tensors.length + subgraph.operators.length + model.buffers.length;
  return {fileBytes, weights, quantization, names: namesBytes, graph, least, overhead: fileBytes / least - 1, items,
    constantBuffers, defaultOptionsTables};
}

/** How `OPTIONS_LAYOUT` (src/tflite/options_layout.ts) describes an options table's fields. */
export type OptionsLayout = Readonly<Record<string, ReadonlyArray<{name: string, slot: number, kind: string,
  default?: number|boolean}>>>;

const KIND_BYTES: Record<string, number> = {int8: 1, bool: 1, int32: 4, uint32: 4, float32: 4};

/** The non-default fields of an options table by the library's options layout. */
export function nonDefaultFields(layout: OptionsLayout): OptionsFields {
  return (options) => {
    const values = options as Record<string, unknown>;
    const fields = layout[values.type as string];
    if (fields == null) {
      return allFields(options);
    }
    return fields.filter((f) => {
      const v = values[f.name];
      // Vectors have no default: present unless absent.
      return f.kind === 'int32[]' ? v != null : v != null && Number(v) !== Number(f.default ?? 0);
    }).map((f) => ({slot: f.slot, bytes: f.kind === 'int32[]' ?
        // The offset, and the vector it points to (length and elements), counted with the table.
        8 + 4 * (values[f.name] as number[]).length : KIND_BYTES[f.kind] ?? 4}));
  };
}

/** Every field but the union's type tag, 4 bytes each (vectors: a 4-byte offset). */
function allFields(options: object): Array<{slot: number, bytes: number}> {
  return Object.keys(options).filter((k) => k !== 'type').map((_, slot) => ({slot, bytes: 4}));
}

/** e.g. '34400 B = 24908 weights + 3208 quantization + 1740 names + 3300 graph + 2.1% overhead'. */
export function formatAccounting(a: ByteAccounting): string {
  return `${a.fileBytes} B = ${a.weights} weights + ${a.quantization} quantization + ${a.names} names + ` +
      `${a.graph} graph + ${(100 * a.overhead).toFixed(1)}% overhead (${a.fileBytes - a.least} B; ` +
      `${a.constantBuffers} constant buffers, ${a.defaultOptionsTables} all-default options tables)`;
}
