/**
 * tfjs-layers activation functions TFLite has no fused form of, lowered to
 * builtin operators: one builtin where TFLite has it (ELU, GELU), else
 * composed from builtins that also have integer kernels where possible.
 * Keyed by the tfjs-layers activation name.
 */
import type {IrBuilder, IrOpType, IrTensor} from './ir.js';

type Emit = (ir: IrBuilder, source: string, x: IrTensor) => IrTensor;

/** tfjs-core's SELU constants (scale * alpha and scale). */
const SELU_SCALE = 1.0507009873554805;
const SELU_ALPHA = 1.7580993408473768 / SELU_SCALE;

function unary(ir: IrBuilder, type: IrOpType, source: string, x: IrTensor, suffix: string,
    options: Record<string, unknown> = {}): IrTensor {
  const out = ir.tensor(`${source}/${suffix}`, x.shape);
  ir.op(type, [x], [out], source, options);
  return out;
}

function binary(ir: IrBuilder, type: IrOpType, source: string, a: IrTensor, b: IrTensor|number,
    suffix: string): IrTensor {
  const operand = typeof b === 'number' ?
    ir.constant(`${source}/${suffix}_constant`, [1], Float32Array.of(b), 'weights') : b;
  const out = ir.tensor(`${source}/${suffix}`, a.shape);
  ir.op(type, [a, operand], [out], source);
  return out;
}

/** relu(x) + log(1 + exp(-|x|)): no overflow in float, and every step fits an int8 grid. */
const softplus: Emit = (ir, s, x) => {
  const negAbs = binary(ir, 'MUL', s, unary(ir, 'ABS', s, x, 'abs'), -1, 'neg_abs');
  const log1p = unary(ir, 'LOG', s, binary(ir, 'ADD', s, unary(ir, 'EXP', s, negAbs, 'exp'), 1, 'one_plus'), 'log');
  return binary(ir, 'ADD', s, unary(ir, 'RELU', s, x, 'relu'), log1p, 'softplus');
};

export const COMPOSED_ACTIVATIONS: Readonly<Record<string, Emit>> = {
  elu: (ir, s, x) => unary(ir, 'ELU', s, x, 'elu'),
  // scale * (x > 0 ? x : alpha * (e^x - 1)): LEAKY_RELU scales ELU's negative side by alpha.
  selu: (ir, s, x) => binary(ir, 'MUL', s,
      unary(ir, 'LEAKY_RELU', s, unary(ir, 'ELU', s, x, 'elu'), 'leaky', {alpha: SELU_ALPHA}), SELU_SCALE, 'selu'),
  gelu: (ir, s, x) => unary(ir, 'GELU', s, x, 'gelu', {approximate: false}),
  gelu_new: (ir, s, x) => unary(ir, 'GELU', s, x, 'gelu', {approximate: true}),
  swish: (ir, s, x) => binary(ir, 'MUL', s, x, unary(ir, 'LOGISTIC', s, x, 'sigmoid'), 'swish'),
  // clip(0.2x + 0.5, 0, 1) = relu6(1.2x + 3) / 6 (no MINIMUM against a constant).
  hardSigmoid: (ir, s, x) => {
    const shifted = binary(ir, 'ADD', s, binary(ir, 'MUL', s, x, 1.2, 'scaled'), 3, 'shifted');
    ir.ops[ir.ops.length - 1].activation = 'RELU6';
    return binary(ir, 'MUL', s, shifted, 1 / 6, 'hard_sigmoid');
  },
  softplus,
  mish: (ir, s, x) => binary(ir, 'MUL', s, x, unary(ir, 'TANH', s, softplus(ir, s, x), 'tanh'), 'mish'),
  // x / (1 + |x|).
  softsign: (ir, s, x) => binary(ir, 'DIV', s, x,
      binary(ir, 'ADD', s, unary(ir, 'ABS', s, x, 'abs'), 1, 'one_plus'), 'softsign'),
};

/** Names of the activations lowered by composition, alphabetical. */
export const COMPOSED_ACTIVATION_NAMES = Object.keys(COMPOSED_ACTIVATIONS).sort();

