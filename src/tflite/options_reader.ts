/**
 * Reads an operator's builtin options table from `OPTIONS_LAYOUT`.
 */
import {Slots, TableView} from './checked_flatbuffer.js';
import {FieldLayout, OPTIONS_LAYOUT} from './options_layout.js';
import {BuiltinOptions, BuiltinOptionsName, BuiltinOptionsType, UnknownOptions} from './schema.js';

const OPTIONS_NAMES: ReadonlyMap<number, BuiltinOptionsName> = new Map(
    (Object.entries(BuiltinOptionsType) as Array<[BuiltinOptionsName|'NONE', number]>)
        .filter((entry): entry is [BuiltinOptionsName, number] => entry[0] !== 'NONE')
        .map(([name, code]) => [code, name]));

/**
 * The options of union type `typeCode` stored in `table`, with schema defaults
 * for absent fields; `UnknownOptions` for a table this library does not model.
 */
export function readBuiltinOptions(typeCode: number, untyped: TableView<Slots>): BuiltinOptions|UnknownOptions {
  const name = OPTIONS_NAMES.get(typeCode);
  if (name == null) {
    return {type: 'UnknownOptions', typeCode};
  }
  const layout = OPTIONS_LAYOUT[name] as ReadonlyArray<FieldLayout<Record<string, unknown>>>;
  const table = untyped.withSlots(Object.fromEntries(layout.map((field) => [field.name, field.slot])));
  const options: Record<string, unknown> = {type: name};
  for (const field of layout) {
    switch (field.kind) {
      case 'int8':
        options[field.name] = table.int8(field.name, Number(field.default ?? 0));
        break;
      case 'bool':
        options[field.name] = table.bool(field.name, field.default === true);
        break;
      case 'int32':
        options[field.name] = table.int32(field.name, Number(field.default ?? 0));
        break;
      case 'uint32':
        options[field.name] = table.uint32(field.name, Number(field.default ?? 0));
        break;
      case 'float32':
        options[field.name] = table.float32(field.name, Number(field.default ?? 0));
        break;
      case 'int32[]': {
        const values = table.int32Array(field.name);
        if (values != null || !field.optional) {
          options[field.name] = values ?? [];
        }
        break;
      }
    }
  }
  return options as unknown as BuiltinOptions;
}
