/** The operator kinds by TFLite builtin name (see ops/op_kind.ts). */
import {ValueError} from '../errors.js';
import type {IrOpType} from '../graph/ir.js';
import * as activationOps from './ops/activation_ops.js';
import * as elementwise from './ops/elementwise.js';
import type {OpKind} from './ops/op_kind.js';
import * as pooling from './ops/pooling.js';
import * as quantize from './ops/quantize.js';
import * as resizeAndTransposeConv from './ops/resize_and_transpose_conv.js';
import * as shape from './ops/shape.js';
import * as structureOps from './ops/structure_ops.js';
import * as textAndRecurrent from './ops/text_and_recurrent.js';
import * as weighted from './ops/weighted.js';

/** The records of all modules by name; a name in two modules is a mistake, not an override. */
function collect(...modules: Array<Record<string, OpKind>>): Readonly<Record<string, OpKind>> {
  const kinds: Record<string, OpKind> = {};
  for (const module of modules) {
    for (const [name, kind] of Object.entries(module)) {
      if (name in kinds) {
        throw new ValueError(`Internal: the TFLite operator ${name} is described twice.`);
      }
      kinds[name] = kind;
    }
  }
  return kinds;
}

const OP_KINDS = collect(activationOps, elementwise, pooling, quantize, resizeAndTransposeConv, shape, structureOps,
    textAndRecurrent, weighted);

/** The record of an operator; an operator without one is an internal error. */
export function opKind(type: IrOpType): OpKind {
  const kind = OP_KINDS[type];
  if (kind == null) {
    throw new ValueError(`Internal: no description of the TFLite operator ${type}.`);
  }
  return kind;
}

/** Whether `name` (a builtin operator's name, as in a file) has a record. */
export function isDescribedOperator(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(OP_KINDS, name);
}

/** The operators described, for the test that they match TFLITE_OPERATORS. */
export const DESCRIBED_OPERATORS = Object.keys(OP_KINDS);
