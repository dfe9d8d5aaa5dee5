/** The conversions between float and quantized tensors that quantization inserts. */
import type {OpKind} from './op_kind.js';
import {sameShape} from './op_kind.js';

export const QUANTIZE: OpKind = {...sameShape, version: (op) => op.outputs[0].dtype === 'int16' ? 2 : 1};

export const DEQUANTIZE: OpKind = {...sameShape, 
  version: (op) => op.inputs[0]!.dtype === 'float16' || op.inputs[0]!.dtype === 'int16' ? 3 : 2,
};
