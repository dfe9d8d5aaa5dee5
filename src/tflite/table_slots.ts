/**
 * Vtable slot numbers of the schema tables the writer and reader handle,
 * keyed by the .fbs field names. A slot is the field's position in its table
 * declaration, counting deprecated fields, and a union field takes two slots
 * (`<name>_type`, then `<name>`). Each table lists its fields up to the last
 * one we use, so `fieldCount` is the `startObject` size.
 * test/tflite/schema.test.ts checks every entry against the .fbs text.
 */
export const SLOTS = {
  Model: {
    version: 0, operator_codes: 1, subgraphs: 2, description: 3, buffers: 4, metadata_buffer: 5, metadata: 6,
    signature_defs: 7,
  },
  OperatorCode: {deprecated_builtin_code: 0, custom_code: 1, version: 2, builtin_code: 3},
  SubGraph: {tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4},
  Tensor: {
    shape: 0, type: 1, buffer: 2, name: 3, quantization: 4, is_variable: 5, sparsity: 6, shape_signature: 7,
  },
  QuantizationParameters: {
    min: 0, max: 1, scale: 2, zero_point: 3, details_type: 4, details: 5, quantized_dimension: 6,
  },
  SparsityParameters: {traversal_order: 0, block_map: 1, dim_metadata: 2},
  DimensionMetadata: {
    format: 0, dense_size: 1, array_segments_type: 2, array_segments: 3, array_indices_type: 4, array_indices: 5,
  },
  Int32Vector: {values: 0},
  Uint16Vector: {values: 0},
  Uint8Vector: {values: 0},
  Operator: {opcode_index: 0, inputs: 1, outputs: 2, builtin_options_type: 3, builtin_options: 4},
  Buffer: {data: 0, offset: 1, size: 2},
  Metadata: {name: 0, buffer: 1},
  TensorMap: {name: 0, tensor_index: 1},
  SignatureDef: {inputs: 0, outputs: 1, signature_key: 2, deprecated_tag: 3, subgraph_index: 4},
} as const;

/** The `startObject` field count for a table of `SLOTS`. */
export function fieldCount(table: Readonly<Record<string, number>>): number {
  return Math.max(...Object.values(table)) + 1;
}
