/**
 * Vtable slot numbers of the schema tables the writer and reader handle,
 * keyed by the .fbs field names. A slot is the field's position in its table
 * declaration, counting deprecated fields, and a union field takes two slots
 * (`<name>_type`, then `<name>`). Each table lists its fields up to the last
 * one we use, so `fieldCount` is the `startObject` size. The table is
 * generated from schema/tflite_schema.fbs (generated/table_slots.ts).
 */
export {SLOTS} from './generated/table_slots.js';

/** The `startObject` field count for a table of `SLOTS`. */
export function fieldCount(table: Readonly<Record<string, number>>): number {
  return Math.max(...Object.values(table)) + 1;
}
