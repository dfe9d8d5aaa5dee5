/**
 * The complete `BuiltinOperator` enum of the TFLite schema (tflite_schema.fbs,
 * `enum BuiltinOperator : int32`), as a literal table generated from the .fbs
 * (generated/schema_codes.ts). Kept whole (not just the ops we emit) so
 * `inspect` can name the operators of files written by other converters.
 */
import {BuiltinOperator} from './generated/schema_codes.js';

export {BuiltinOperator};

/** The name of a builtin operator, e.g. `'CONV_2D'`. */
export type BuiltinOperatorName = keyof typeof BuiltinOperator;

/** The numeric code of a builtin operator as stored in the file. */
export type BuiltinOperatorCode = (typeof BuiltinOperator)[BuiltinOperatorName];

/** Code -> name; built once from the table so the two never drift apart. */
const OPERATOR_NAMES: ReadonlyMap<number, BuiltinOperatorName> = new Map(
    (Object.entries(BuiltinOperator) as Array<[BuiltinOperatorName, number]>).map(([name, code]) => [code, name]));

/** The name of a builtin operator code, or `undefined` for a code this schema does not know. */
export function builtinOperatorName(code: number): BuiltinOperatorName|undefined {
  return OPERATOR_NAMES.get(code);
}

/**
 * Codes above this are only stored in `OperatorCode.builtin_code`; the old byte
 * field `deprecated_builtin_code` holds this placeholder for them.
 */
export const PLACEHOLDER_FOR_GREATER_OP_CODES = BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES;
