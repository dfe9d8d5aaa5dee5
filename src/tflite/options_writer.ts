/**
 * Writes an operator's builtin options table from `OPTIONS_LAYOUT`.
 */
import * as flatbuffers from 'flatbuffers';

import {ValueError} from '../errors.js';
import {FieldLayout, OPTIONS_LAYOUT} from './options_layout.js';
import {BuiltinOptions, BuiltinOptionsName, BuiltinOptionsType, UnknownOptions} from './schema.js';

/** Writes `int32` values as a flatbuffer vector and returns its offset. */
export function createInt32Vector(builder: flatbuffers.Builder, values: readonly number[]): flatbuffers.Offset {
  builder.startVector(4, values.length, 4);
  // Flatbuffers build back to front: push the last element first.
  for (let i = values.length - 1; i >= 0; i--) {
    builder.addInt32(values[i]);
  }
  return builder.endVector();
}

/**
 * Writes `options` as its table and returns the union type code and table
 * offset for the operator. Must be called before the operator's `startObject`.
 * `reuse` may hand back a table written before instead of calling `create`.
 */
export function writeBuiltinOptions(builder: flatbuffers.Builder, options: BuiltinOptions|UnknownOptions,
    where: string, reuse = (create: () => flatbuffers.Offset) => create()): {typeCode: number, offset: flatbuffers.Offset} {
  if (options.type === 'UnknownOptions') {
    throw new ValueError(`writeModel: ${where}: options of union type ${options.typeCode} ` +
        'are not modelled and cannot be written');
  }
  const name: BuiltinOptionsName = options.type;
  return {typeCode: BuiltinOptionsType[name], offset: reuse(() => writeTable(builder, options, name, where))};
}

/** The options table itself. */
function writeTable(builder: flatbuffers.Builder, options: BuiltinOptions, name: BuiltinOptionsName,
    where: string): flatbuffers.Offset {
  const layout = OPTIONS_LAYOUT[name] as ReadonlyArray<FieldLayout<Record<string, unknown>>>;
  const values = options as unknown as Record<string, unknown>;
  // Vectors are children: they must exist before the table starts.
  const vectors = new Map<string, flatbuffers.Offset>();
  for (const field of layout) {
    const value = values[field.name];
    if (field.kind === 'int32[]' && value !== undefined) {
      vectors.set(field.name, createInt32Vector(builder, value as number[]));
    }
  }
  builder.startObject(layout.reduce((n, field) => Math.max(n, field.slot + 1), 0));
  for (const field of layout) {
    const value = values[field.name];
    if (field.kind === 'int32[]') {
      const offset = vectors.get(field.name);
      if (offset !== undefined) {
        builder.addFieldOffset(field.slot, offset, 0);
      }
      continue;
    }
    if (value === undefined) {
      throw new ValueError(`writeModel: ${where}: ${name}.${field.name} is missing`);
    }
    const number = Number(value);
    const fallback = Number(field.default ?? 0);
    switch (field.kind) {
      case 'int8':
      case 'bool':
        builder.addFieldInt8(field.slot, number, fallback);
        break;
      case 'int32':
      case 'uint32':
        builder.addFieldInt32(field.slot, number, fallback);
        break;
      case 'float32':
        builder.addFieldFloat32(field.slot, number, fallback);
        break;
    }
  }
  return builder.endObject();
}
