/** Reading the IR's op options as tfjs ops take them. */
import type {IrOp} from '../../graph/ir.js';

export const pad = (op: IrOp) => (op.options['padding'] as string).toLowerCase() as 'same'|'valid';

export const strides = (op: IrOp): [number, number] =>
  [op.options['strideH'] as number, op.options['strideW'] as number];
