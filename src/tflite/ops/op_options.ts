/** Reading the IR's op options as tfjs ops take them. */
import type {IrOp} from '../../graph/ir.js';
import {ActivationFunctionType, Padding} from '../schema.js';

export const pad = (op: IrOp) => (op.options['padding'] as string).toLowerCase() as 'same'|'valid';

export const strides = (op: IrOp): [number, number] =>
  [op.options['strideH'] as number, op.options['strideW'] as number];

/** The options every windowed op (convolution, pooling) writes: padding, strides, fused activation. */
export const windowOptions = (op: IrOp) => ({
  padding: Padding[op.options['padding'] as 'SAME'|'VALID'],
  strideW: op.options['strideW'] as number,
  strideH: op.options['strideH'] as number,
  fusedActivationFunction: ActivationFunctionType[op.activation],
});
