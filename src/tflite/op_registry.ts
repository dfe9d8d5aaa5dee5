/** The operator kinds by TFLite builtin name (see ops/op_kind.ts). */
import {ValueError} from '../errors.js';
import type {IrOpType} from '../graph/ir.js';
import * as activationOps from './ops/activation_ops.js';
import * as elementwise from './ops/elementwise.js';
import type {OpKind} from './ops/op_kind.js';
import * as pooling from './ops/pooling.js';
import * as quantize from './ops/quantize.js';
import * as shape from './ops/shape.js';
import * as structureOps from './ops/structure_ops.js';
import * as weighted from './ops/weighted.js';

const OP_KINDS: Readonly<Record<string, OpKind>> = {...elementwise, ...pooling, ...quantize, ...shape, ...weighted,
  ...activationOps, ...structureOps};

/** The record of an operator; an operator without one is an internal error. */
export function opKind(type: IrOpType): OpKind {
  const kind = OP_KINDS[type];
  if (kind == null) {
    throw new ValueError(`Internal: no description of the TFLite operator ${type}.`);
  }
  return kind;
}

/** The operators described, for the test that they match TFLITE_OPERATORS. */
export const DESCRIBED_OPERATORS = Object.keys(OP_KINDS);
