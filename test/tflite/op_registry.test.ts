/** Every operator a lowering may emit has exactly one description. */
import {describe, expect, it} from 'vitest';

import {TFLITE_OPERATORS} from '../../src/graph/ir.js';
import {DESCRIBED_OPERATORS, opKind} from '../../src/tflite/op_registry.js';

describe('operator registry', () => {
  it('describes exactly TFLITE_OPERATORS', () => {
    expect([...DESCRIBED_OPERATORS].sort()).toEqual([...TFLITE_OPERATORS].sort());
  });

  it('names an undescribed operator', () => {
    expect(() => opKind('NOT_AN_OP' as never)).toThrow(/no description of the TFLite operator NOT_AN_OP/);
  });

  it('gives every operator but the conversions a float evaluator', () => {
    const missing = TFLITE_OPERATORS.filter((t) => opKind(t).evaluate == null);
    expect(missing.sort()).toEqual(['DEQUANTIZE', 'QUANTIZE']);
  });
});
