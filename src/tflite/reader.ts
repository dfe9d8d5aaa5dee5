/**
 * Parses .tflite bytes back into a schema-level `Model`: the inverse of
 * `writeModel` for the fields this library models. Fields outside that subset
 * (custom options, external buffers, debug metadata, ...) are skipped; option
 * tables it does not model come back as `UnknownOptions`.
 *
 * Untrusted input is expected: every offset and length is checked against the
 * file (see checked_flatbuffer.ts) and any problem is a `ValueError` naming
 * the field, never an out-of-bounds read or a hang. Data several tables
 * point at (the writer stores identical shapes and quantization once) is
 * decoded once and copied for each reference, within a limit on the total.
 */
import {ValueError} from '../errors.js';
import {CheckedFlatbuffer, TableView} from './checked_flatbuffer.js';
import {DimensionType, SparseIndexVector} from './generated/schema_codes.js';
import {readBuiltinOptions} from './options_reader.js';
import {
  Buffer, BuiltinOperatorCode, DimensionMetadata, Metadata, Model, Operator, OperatorCode, QuantizationParameters,
  SignatureDef, SparsityParameters, SubGraph, Tensor, TensorMap, TensorTypeCode, TFLITE_FILE_IDENTIFIER,
} from './schema.js';
import {SLOTS} from './table_slots.js';
import {checkModel} from './validate.js';
import {verifyFlatbuffer} from './verify_flatbuffer.js';

/** Root offset (4 bytes) + identifier (4) + the smallest table (4) and vtable (4). */
const MIN_FILE_BYTES = 16;

/**
 * Parses a .tflite file into plain objects: `Model` holds the tables of
 * TFLite's tflite_schema.fbs that this library models, field names in
 * camelCase and enum fields as their numeric codes (src/tflite/schema.ts).
 * `inspect` gives a readable summary instead.
 *
 * Returns the canonical form `writeModel` accepts: optional fields are
 * present only when the file has them (`isVariable` only when true), scalar
 * option fields always (schema defaults filled in). So
 * `readModel(writeModel(m))` deep-equals `m` for a model in that form.
 *
 * The whole file is checked as LiteRT checks it before loading (the
 * FlatBuffers verifier over every field of every table of tflite_schema.fbs,
 * including fields this library does not read: alignment, offsets, lengths,
 * string terminators, nesting and table-count limits), so a file LiteRT would
 * refuse with only "Failed to load model from buffer" is refused here with
 * the field and the rule.
 *
 * @param bytes The file's bytes.
 * @returns The model, checked like `writeModel` checks its input.
 * @throws ValueError for anything that is not a well-formed TFLite flatbuffer,
 *     naming the offending field (e.g. `model.subgraphs[0].tensors[2].shape`).
 *
 * @example
 * ```ts
 * const model = readModel(fs.readFileSync('model.tflite'));
 * console.log(model.subgraphs[0].operators.length);
 * ```
 */
export function readModel(bytes: Uint8Array): Model {
  if (!(bytes instanceof Uint8Array)) {
    throw new ValueError(`readModel: bytes must be a Uint8Array; received ${Object.prototype.toString.call(bytes)}`);
  }
  if (bytes.length < MIN_FILE_BYTES) {
    throw new ValueError(`readModel: ${bytes.length} bytes is too short for a TFLite file (at least ${MIN_FILE_BYTES})`);
  }
  const identifier = String.fromCharCode(...bytes.subarray(4, 8));
  if (identifier !== TFLITE_FILE_IDENTIFIER) {
    throw new ValueError(`readModel: bytes 4..7 are ${JSON.stringify(identifier)}, not the TFLite file ` +
        `identifier "${TFLITE_FILE_IDENTIFIER}": not a .tflite file`);
  }
  const fb = new CheckedFlatbuffer(bytes, 'readModel');
  const model = readModelTable(fb.root('model', SLOTS.Model));
  // The whole file, as LiteRT's FlatBuffers verifier checks it: what LiteRT would refuse is refused here.
  verifyFlatbuffer(bytes, 'readModel');
  checkModel(model, 'readModel');
  return model;
}

function readModelTable(table: TableView<typeof SLOTS.Model>): Model {
  const model: Model = {
    version: table.uint32('version', 0),
    description: table.string('description') ?? '',
    operatorCodes: (table.tableArray('operator_codes', SLOTS.OperatorCode) ?? []).map(readOperatorCode),
    subgraphs: (table.tableArray('subgraphs', SLOTS.SubGraph) ?? []).map(readSubGraph),
    buffers: (table.tableArray('buffers', SLOTS.Buffer) ?? []).map(readBuffer),
    signatureDefs: (table.tableArray('signature_defs', SLOTS.SignatureDef) ?? []).map(readSignatureDef),
  };
  // Slot 5 (metadata_buffer) is the deprecated form of slot 6.
  const metadata = table.tableArray('metadata', SLOTS.Metadata);
  if (metadata != null) {
    model.metadata = metadata.map(readMetadata);
  }
  return model;
}

function readOperatorCode(table: TableView<typeof SLOTS.OperatorCode>): OperatorCode {
  // As the runtime does: the larger of the old byte field and the int32 field.
  const code: OperatorCode = {
    builtinCode: Math.max(table.int8('deprecated_builtin_code', 0),
        table.int32('builtin_code', 0)) as BuiltinOperatorCode,
    version: table.int32('version', 1),
  };
  const customCode = table.string('custom_code');
  if (customCode != null) {
    code.customCode = customCode;
  }
  return code;
}

function readBuffer(table: TableView<typeof SLOTS.Buffer>): Buffer {
  if (table.uint64('offset') > 1n) {
    throw new ValueError(`readModel: ${table.path}: data stored outside the flatbuffer ` +
        '(offset/size, for models over 2 GiB) is not supported');
  }
  return {data: table.bytes('data') ?? new Uint8Array(0)};
}

function readSubGraph(table: TableView<typeof SLOTS.SubGraph>): SubGraph {
  return {
    tensors: (table.tableArray('tensors', SLOTS.Tensor) ?? []).map(readTensor),
    inputs: table.int32Array('inputs') ?? [],
    outputs: table.int32Array('outputs') ?? [],
    operators: (table.tableArray('operators', SLOTS.Operator) ?? []).map(readOperator),
    name: table.string('name') ?? '',
  };
}

function readTensor(table: TableView<typeof SLOTS.Tensor>): Tensor {
  const tensor: Tensor = {
    shape: table.int32Array('shape') ?? [],
    type: table.int8('type', 0) as TensorTypeCode,
    buffer: table.uint32('buffer', 0),
    name: table.string('name') ?? '',
  };
  const quantization = table.table('quantization', SLOTS.QuantizationParameters);
  if (quantization != null) {
    tensor.quantization = readQuantization(quantization);
  }
  if (table.bool('is_variable', false)) {
    tensor.isVariable = true;
  }
  const sparsity = table.table('sparsity', SLOTS.SparsityParameters);
  if (sparsity != null) {
    tensor.sparsity = readSparsity(sparsity);
  }
  const shapeSignature = table.int32Array('shape_signature');
  if (shapeSignature != null) {
    tensor.shapeSignature = shapeSignature;
  }
  return tensor;
}

function readQuantization(table: TableView<typeof SLOTS.QuantizationParameters>): QuantizationParameters {
  const q: QuantizationParameters = {
    scale: table.float32Array('scale') ?? [],
    zeroPoint: table.int64Array('zero_point') ?? [],
    quantizedDimension: table.int32('quantized_dimension', 0),
  };
  const min = table.float32Array('min');
  const max = table.float32Array('max');
  if (min != null) {
    q.min = min;
  }
  if (max != null) {
    q.max = max;
  }
  return q;
}

function readSparsity(table: TableView<typeof SLOTS.SparsityParameters>): SparsityParameters {
  return {
    traversalOrder: table.int32Array('traversal_order') ?? [],
    blockMap: table.int32Array('block_map') ?? [],
    dimMetadata: (table.tableArray('dim_metadata', SLOTS.DimensionMetadata) ?? []).map(readDimensionMetadata),
  };
}

type SparseIndexVectorName = Exclude<keyof typeof SparseIndexVector, 'NONE'>;

/** `union SparseIndexVector` members, by type code. */
const SPARSE_INDEX_VECTORS: ReadonlyMap<number, SparseIndexVectorName> = new Map(
    (Object.entries(SparseIndexVector) as Array<[SparseIndexVectorName|'NONE', number]>)
        .filter((entry): entry is [SparseIndexVectorName, number] => entry[0] !== 'NONE')
        .map(([name, code]) => [code, name]));

/** `enum DimensionType` names, by code. */
const DIMENSION_TYPES: ReadonlyMap<number, DimensionMetadata['format']> = new Map(
    (Object.entries(DimensionType) as Array<[DimensionMetadata['format'], number]>).map(([name, code]) => [code, name]));

/**
 * Reads a `SparseIndexVector` union field of a DimensionMetadata (an
 * Int32Vector, Uint16Vector or Uint8Vector table) as numbers.
 */
function readSparseIndexVector(table: TableView<typeof SLOTS.DimensionMetadata>,
    name: 'array_segments'|'array_indices'): number[]|undefined {
  const type = table.uint8(`${name}_type`, 0);
  if (type === 0) {
    return undefined;
  }
  const member = SPARSE_INDEX_VECTORS.get(type);
  if (member == null) {
    throw new ValueError(`readModel: ${table.path}.${name}_type: unknown SparseIndexVector type ${type}`);
  }
  const vector = table.table(name, SLOTS[member]);
  if (vector == null) {
    throw new ValueError(`readModel: ${table.path}.${name}: the ${member} table is missing`);
  }
  switch (member) {
    case 'Int32Vector':
      return vector.int32Array('values') ?? [];
    case 'Uint16Vector':
      return vector.uint16Array('values') ?? [];
    case 'Uint8Vector':
      return Array.from(vector.bytes('values') ?? []);
  }
}

function readDimensionMetadata(table: TableView<typeof SLOTS.DimensionMetadata>): DimensionMetadata {
  const code = table.int8('format', 0);
  const format = DIMENSION_TYPES.get(code);
  if (format == null) {
    throw new ValueError(`readModel: ${table.path}.format: unknown DimensionType ${code}`);
  }
  const dim: DimensionMetadata = {format, denseSize: table.int32('dense_size', 0)};
  const segments = readSparseIndexVector(table, 'array_segments');
  const indices = readSparseIndexVector(table, 'array_indices');
  if (segments != null) {
    dim.arraySegments = segments;
  }
  if (indices != null) {
    dim.arrayIndices = indices;
  }
  return dim;
}

function readOperator(table: TableView<typeof SLOTS.Operator>): Operator {
  const op: Operator = {
    opcodeIndex: table.uint32('opcode_index', 0),
    inputs: table.int32Array('inputs') ?? [],
    outputs: table.int32Array('outputs') ?? [],
  };
  const optionsType = table.uint8('builtin_options_type', 0);
  if (optionsType !== 0) {
    // The options table's slots depend on its type: readBuiltinOptions gives them.
    const options = table.table('builtin_options', {});
    if (options == null) {
      throw new ValueError(`readModel: ${table.path}: builtin_options_type is ${optionsType} but the table is missing`);
    }
    op.builtinOptions = readBuiltinOptions(optionsType, options);
  }
  return op;
}

function readTensorMap(table: TableView<typeof SLOTS.TensorMap>): TensorMap {
  return {name: table.string('name') ?? '', tensorIndex: table.uint32('tensor_index', 0)};
}

function readSignatureDef(table: TableView<typeof SLOTS.SignatureDef>): SignatureDef {
  return {
    inputs: (table.tableArray('inputs', SLOTS.TensorMap) ?? []).map(readTensorMap),
    outputs: (table.tableArray('outputs', SLOTS.TensorMap) ?? []).map(readTensorMap),
    signatureKey: table.string('signature_key') ?? '',
    subgraphIndex: table.uint32('subgraph_index', 0),
  };
}

function readMetadata(table: TableView<typeof SLOTS.Metadata>): Metadata {
  return {name: table.string('name') ?? '', buffer: table.uint32('buffer', 0)};
}
