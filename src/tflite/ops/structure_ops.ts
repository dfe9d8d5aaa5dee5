/** Operators that rearrange values: transpose. */
import * as tf from '@tensorflow/tfjs-core';

import type {OpKind} from './op_kind.js';

const ints = (t: tf.Tensor) => Array.from(t.dataSync());

/** Input 1: the permutation (int32), batch axis included. */
export const TRANSPOSE: OpKind = {
  outputShape: ([x], _options, [, perm]) => x == null || perm?.length !== x.length ? null : perm.map((p) => x[p]),
  version: (op, a) => a === 'int16' ? 5 : op.inputs[0]!.shape.length > 4 ? 4 : a === 'int8' ? 2 : 1,
  outputParams: 'input',
  defaultOptionsMayBeOmitted: true,
  options: () => ({type: 'TransposeOptions'}),
  evaluate: (_op, [x, perm]) => tf.transpose(x, ints(perm)),
};
