/**
 * Serializes a schema-level `Model` to .tflite bytes with the flatbuffers
 * runtime. Flatbuffers are built back to front and a table's children
 * (strings, vectors, sub-tables) must be finished before the table starts, so
 * each `write*` function first creates what its table points at, then the
 * table. Slot numbers are field positions in tflite_schema.fbs, counting
 * deprecated fields and counting a union as two fields (type byte, then value).
 */
import * as flatbuffers from 'flatbuffers';

import {ValueError} from '../errors.js';
import {PLACEHOLDER_FOR_GREATER_OP_CODES} from './builtin_operators.js';
import {DimensionType, SparseIndexVector} from './generated/schema_codes.js';
import {createInt32Vector, writeBuiltinOptions} from './options_writer.js';
import {
  Buffer, DimensionMetadata, Metadata, Model, Operator, OperatorCode, QuantizationParameters, SignatureDef,
  SparsityParameters, SubGraph, Tensor, TensorMap, TFLITE_FILE_IDENTIFIER,
} from './schema.js';
import {fieldCount, SLOTS} from './table_slots.js';
import {checkModel} from './validate.js';

type Builder = flatbuffers.Builder;
type Offset = flatbuffers.Offset;

/**
 * The schema asks for 16-byte aligned buffer data (`force_align: 16`) so a
 * runtime can mmap the file and use weights in place. (LiteRT.js also runs
 * data that is only 4-aligned, other runtimes may not.)
 */
const BUFFER_ALIGNMENT = 16;
/** A flatbuffer addresses at most 2 GiB with its 32-bit offsets. */
const MAX_FLATBUFFER_BYTES = 0x7fffffff;

/**
 * Objects already written per builder, by content. Tensors repeat shapes,
 * names (in signatures), per-channel zero points and whole quantization
 * parameters (a pooling output shares its input's); a flatbuffer may point to
 * one copy from many tables, which saves bytes on every int8 model.
 */
const written = new WeakMap<Builder, Map<string, Offset>>();

function shared(builder: Builder, key: string, create: () => Offset): Offset {
  let pool = written.get(builder);
  if (pool == null) {
    pool = new Map();
    written.set(builder, pool);
  }
  let offset = pool.get(key);
  if (offset == null) {
    offset = create();
    pool.set(key, offset);
  }
  return offset;
}

const sharedInt32Vector = (builder: Builder, values: readonly number[]) =>
  shared(builder, `i32:${values.join()}`, () => createInt32Vector(builder, values));

/**
 * Serializes `model` to the bytes of a .tflite file (identifier "TFL3"): the
 * inverse of {@link readModel}, for editing a file as plain objects.
 * `Model` holds the tables of TFLite's tflite_schema.fbs that this library
 * models, field names in camelCase and enum fields as their numeric codes
 * (src/tflite/schema.ts).
 *
 * The model is checked first (indices in range, buffer 0 the empty sentinel,
 * constant data sized by shape and type, options matching their operator);
 * the caller supplies buffer 0, so indices in the model and the file agree.
 * Buffer data is 16-byte aligned from the start of the returned array.
 *
 * Scalars equal to their schema default are left out, as flatbuffers does
 * without `forceDefaults`: every default in the TFLite schema means what the
 * value itself means (ADD is code 0, FLOAT32 type 0, version 1, buffer 0,
 * quantized_dimension 0, dilation 1, pot_scale_int16 true), so a reader gets
 * the same value back either way.
 *
 * @param model The model; `model.version` should be `TFLITE_SCHEMA_VERSION`.
 * @returns A fresh array holding exactly the file.
 * @throws ValueError naming the element at fault when the model is inconsistent.
 *
 * @example
 * ```ts
 * const model = tfmot.tflite.readModel(fs.readFileSync('model.tflite'));
 * model.description = 'fine-tuned';
 * fs.writeFileSync('model.tflite', tfmot.tflite.writeModel(model));
 * ```
 */
export function writeModel(model: Model): Uint8Array {
  checkModel(model, 'writeModel');
  const dataBytes = model.buffers.reduce((sum, b) => sum + b.data.length + BUFFER_ALIGNMENT, 0);
  if (dataBytes > MAX_FLATBUFFER_BYTES) {
    throw new ValueError(`writeModel: buffers hold ${dataBytes} bytes; a flatbuffer holds at most 2 GiB`);
  }
  // Sized for the weights plus the graph so the builder rarely has to grow (each growth copies).
  const builder = new flatbuffers.Builder(Math.min(dataBytes + 65536, 1 << 30));

  // All data first, so it lies in one block at the end of the file: between two data
  // vectors there is then only a length prefix and alignment padding, and no Buffer
  // table whose bytes would push the next vector to the following 16-byte boundary.
  const data = model.buffers.map((b) => writeBufferData(builder, b));
  const buffers = createTableVector(builder, data.map((d) => writeBufferTable(builder, d)));
  const subgraphs = createTableVector(builder, model.subgraphs.map((s, i) => writeSubGraph(builder, s, i)));
  const operatorCodes = createTableVector(builder, model.operatorCodes.map((c) => writeOperatorCode(builder, c)));
  const signatureDefs = createTableVector(builder, model.signatureDefs.map((s) => writeSignatureDef(builder, s)));
  const metadata = model.metadata == null ? 0 :
      createTableVector(builder, model.metadata.map((m) => writeMetadata(builder, m)));
  const description = builder.createString(model.description);

  const slots = SLOTS.Model;
  builder.startObject(fieldCount(slots));
  builder.addFieldInt32(slots.version, model.version, 0);
  builder.addFieldOffset(slots.operator_codes, operatorCodes, 0);
  builder.addFieldOffset(slots.subgraphs, subgraphs, 0);
  builder.addFieldOffset(slots.description, description, 0);
  builder.addFieldOffset(slots.buffers, buffers, 0);
  // metadata_buffer is the deprecated predecessor of metadata: not written.
  builder.addFieldOffset(slots.metadata, metadata, 0);
  builder.addFieldOffset(slots.signature_defs, signatureDefs, 0);
  builder.finish(builder.endObject(), TFLITE_FILE_IDENTIFIER);
  // A copy, so callers get an array whose buffer is exactly the file.
  return builder.asUint8Array().slice();
}

/** Writes a vector of already written tables. */
function createTableVector(builder: Builder, tables: readonly Offset[]): Offset {
  builder.startVector(4, tables.length, 4);
  for (let i = tables.length - 1; i >= 0; i--) {
    builder.addOffset(tables[i]);
  }
  return builder.endVector();
}

function createFloat32Vector(builder: Builder, values: readonly number[]): Offset {
  builder.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) {
    builder.addFloat32(values[i]);
  }
  return builder.endVector();
}

function createInt64Vector(builder: Builder, values: readonly number[]): Offset {
  builder.startVector(8, values.length, 8);
  for (let i = values.length - 1; i >= 0; i--) {
    builder.addInt64(BigInt(values[i]));
  }
  return builder.endVector();
}

/** Writes a buffer's data vector; 0 (no vector) for an empty buffer. */
function writeBufferData(builder: Builder, buffer: Buffer): Offset {
  let data = 0;
  // The sentinel (and any empty buffer) has no data vector at all, as TFLite's own converter writes it.
  if (buffer.data.length > 0) {
    // Pad so the first data byte lies a multiple of 16 bytes before the end (the builder
    // grows backwards); the finished file's size is a multiple of its largest alignment,
    // so that byte is 16-aligned from the file start too. createByteVector then adds no
    // padding of its own (its length prefix is 4-aligned already) and copies in bulk.
    builder.prep(BUFFER_ALIGNMENT, buffer.data.length);
    data = builder.createByteVector(buffer.data);
  }
  return data;
}

function writeBufferTable(builder: Builder, data: Offset): Offset {
  builder.startObject(fieldCount(SLOTS.Buffer));
  builder.addFieldOffset(SLOTS.Buffer.data, data, 0);
  // offset and size are for data stored outside files over 2 GiB: not written.
  return builder.endObject();
}

function writeOperatorCode(builder: Builder, code: OperatorCode): Offset {
  const customCode = code.customCode == null ? 0 : builder.createString(code.customCode);
  const slots = SLOTS.OperatorCode;
  builder.startObject(fieldCount(slots));
  // Old runtimes read only the byte field; new ones take max(byte, int32).
  builder.addFieldInt8(slots.deprecated_builtin_code, Math.min(code.builtinCode, PLACEHOLDER_FOR_GREATER_OP_CODES), 0);
  builder.addFieldOffset(slots.custom_code, customCode, 0);
  builder.addFieldInt32(slots.version, code.version, 1);
  builder.addFieldInt32(slots.builtin_code, code.builtinCode, 0);
  return builder.endObject();
}

function writeSubGraph(builder: Builder, subgraph: SubGraph, index: number): Offset {
  const tensors = createTableVector(builder, subgraph.tensors.map((t) => writeTensor(builder, t)));
  const inputs = sharedInt32Vector(builder, subgraph.inputs);
  const outputs = sharedInt32Vector(builder, subgraph.outputs);
  const operators = createTableVector(builder,
      subgraph.operators.map((op, i) => writeOperator(builder, op, `subgraphs[${index}].operators[${i}]`)));
  const name = builder.createString(subgraph.name);
  const slots = SLOTS.SubGraph;
  builder.startObject(fieldCount(slots));
  builder.addFieldOffset(slots.tensors, tensors, 0);
  builder.addFieldOffset(slots.inputs, inputs, 0);
  builder.addFieldOffset(slots.outputs, outputs, 0);
  builder.addFieldOffset(slots.operators, operators, 0);
  builder.addFieldOffset(slots.name, name, 0);
  return builder.endObject();
}

function writeTensor(builder: Builder, tensor: Tensor): Offset {
  const shape = sharedInt32Vector(builder, tensor.shape);
  const name = builder.createSharedString(tensor.name);
  const q = tensor.quantization;
  const quantization = q == null ? 0 : shared(builder,
      `q:${JSON.stringify([q.min, q.max, q.scale, q.zeroPoint, q.quantizedDimension])}`,
      () => writeQuantization(builder, q));
  const sparsity = tensor.sparsity == null ? 0 : writeSparsity(builder, tensor.sparsity);
  const shapeSignature = tensor.shapeSignature == null ? 0 : sharedInt32Vector(builder, tensor.shapeSignature);
  const slots = SLOTS.Tensor;
  builder.startObject(fieldCount(slots));
  builder.addFieldOffset(slots.shape, shape, 0);
  builder.addFieldInt8(slots.type, tensor.type, 0);
  builder.addFieldInt32(slots.buffer, tensor.buffer, 0);
  builder.addFieldOffset(slots.name, name, 0);
  builder.addFieldOffset(slots.quantization, quantization, 0);
  builder.addFieldInt8(slots.is_variable, tensor.isVariable ? 1 : 0, 0);
  builder.addFieldOffset(slots.sparsity, sparsity, 0);
  builder.addFieldOffset(slots.shape_signature, shapeSignature, 0);
  return builder.endObject();
}

function writeQuantization(builder: Builder, q: QuantizationParameters): Offset {
  const min = q.min == null ? 0 : createFloat32Vector(builder, q.min);
  const max = q.max == null ? 0 : createFloat32Vector(builder, q.max);
  const scale = shared(builder, `f32:${q.scale.join()}`, () => createFloat32Vector(builder, q.scale));
  const zeroPoint = shared(builder, `i64:${q.zeroPoint.join()}`, () => createInt64Vector(builder, q.zeroPoint));
  const slots = SLOTS.QuantizationParameters;
  builder.startObject(fieldCount(slots));
  builder.addFieldOffset(slots.min, min, 0);
  builder.addFieldOffset(slots.max, max, 0);
  builder.addFieldOffset(slots.scale, scale, 0);
  builder.addFieldOffset(slots.zero_point, zeroPoint, 0);
  // The `details` union (custom quantization) is not written.
  builder.addFieldInt32(slots.quantized_dimension, q.quantizedDimension, 0);
  return builder.endObject();
}

function writeSparsity(builder: Builder, sparsity: SparsityParameters): Offset {
  const traversalOrder = createInt32Vector(builder, sparsity.traversalOrder);
  const blockMap = createInt32Vector(builder, sparsity.blockMap);
  const dimMetadata = createTableVector(builder, sparsity.dimMetadata.map((d) => writeDimensionMetadata(builder, d)));
  const slots = SLOTS.SparsityParameters;
  builder.startObject(fieldCount(slots));
  builder.addFieldOffset(slots.traversal_order, traversalOrder, 0);
  builder.addFieldOffset(slots.block_map, blockMap, 0);
  builder.addFieldOffset(slots.dim_metadata, dimMetadata, 0);
  return builder.endObject();
}

function writeDimensionMetadata(builder: Builder, dim: DimensionMetadata): Offset {
  // Index arrays are written as Int32Vector tables (the widest of the three union members).
  const int32VectorTable = (values: readonly number[]): Offset => {
    const vector = createInt32Vector(builder, values);
    builder.startObject(fieldCount(SLOTS.Int32Vector));
    builder.addFieldOffset(SLOTS.Int32Vector.values, vector, 0);
    return builder.endObject();
  };
  const segments = dim.arraySegments == null ? 0 : int32VectorTable(dim.arraySegments);
  const indices = dim.arrayIndices == null ? 0 : int32VectorTable(dim.arrayIndices);
  const slots = SLOTS.DimensionMetadata;
  builder.startObject(fieldCount(slots));
  builder.addFieldInt8(slots.format, DimensionType[dim.format], 0);
  builder.addFieldInt32(slots.dense_size, dim.denseSize, 0);
  if (segments !== 0) {
    builder.addFieldInt8(slots.array_segments_type, SparseIndexVector.Int32Vector, 0);
    builder.addFieldOffset(slots.array_segments, segments, 0);
  }
  if (indices !== 0) {
    builder.addFieldInt8(slots.array_indices_type, SparseIndexVector.Int32Vector, 0);
    builder.addFieldOffset(slots.array_indices, indices, 0);
  }
  return builder.endObject();
}

function writeOperator(builder: Builder, op: Operator, where: string): Offset {
  const inputs = sharedInt32Vector(builder, op.inputs);
  const outputs = sharedInt32Vector(builder, op.outputs);
  // Identical options tables (the many FULLY_CONNECTEDs of an unrolled LSTM) are written once.
  const spec = op.builtinOptions;
  const options = spec == null ? null : writeBuiltinOptions(builder, spec, where,
      (create) => shared(builder, `options:${JSON.stringify(spec)}`, create));
  const slots = SLOTS.Operator;
  builder.startObject(fieldCount(slots));
  builder.addFieldInt32(slots.opcode_index, op.opcodeIndex, 0);
  builder.addFieldOffset(slots.inputs, inputs, 0);
  builder.addFieldOffset(slots.outputs, outputs, 0);
  if (options != null) {
    builder.addFieldInt8(slots.builtin_options_type, options.typeCode, 0);
    builder.addFieldOffset(slots.builtin_options, options.offset, 0);
  }
  return builder.endObject();
}

function writeTensorMap(builder: Builder, map: TensorMap): Offset {
  const name = builder.createSharedString(map.name);
  builder.startObject(fieldCount(SLOTS.TensorMap));
  builder.addFieldOffset(SLOTS.TensorMap.name, name, 0);
  builder.addFieldInt32(SLOTS.TensorMap.tensor_index, map.tensorIndex, 0);
  return builder.endObject();
}

function writeSignatureDef(builder: Builder, signature: SignatureDef): Offset {
  const inputs = createTableVector(builder, signature.inputs.map((m) => writeTensorMap(builder, m)));
  const outputs = createTableVector(builder, signature.outputs.map((m) => writeTensorMap(builder, m)));
  const key = builder.createString(signature.signatureKey);
  const slots = SLOTS.SignatureDef;
  builder.startObject(fieldCount(slots));
  builder.addFieldOffset(slots.inputs, inputs, 0);
  builder.addFieldOffset(slots.outputs, outputs, 0);
  builder.addFieldOffset(slots.signature_key, key, 0);
  // deprecated_tag is (deprecated) in the schema but keeps its slot, so subgraph_index is slot 4.
  builder.addFieldInt32(slots.subgraph_index, signature.subgraphIndex, 0);
  return builder.endObject();
}

function writeMetadata(builder: Builder, metadata: Metadata): Offset {
  const name = builder.createString(metadata.name);
  builder.startObject(fieldCount(SLOTS.Metadata));
  builder.addFieldOffset(SLOTS.Metadata.name, name, 0);
  builder.addFieldInt32(SLOTS.Metadata.buffer, metadata.buffer, 0);
  return builder.endObject();
}
