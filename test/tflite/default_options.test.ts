/**
 * All-default options tables are left out only for ops whose runtime parser
 * reads no table as the schema defaults; the files still run in LiteRT.
 */
import * as tf from '@tensorflow/tfjs-core';
import {beforeAll, describe, expect, it} from 'vitest';

import {inspect} from '../../src/tflite/inspect.js';
import {opKind} from '../../src/tflite/op_registry.js';
import {runLiteRt} from '../helpers/tflite_eval.js';
import {digitsAndProbe, filesInEveryMode, TOLERANCE, worstError} from './export_modes.js';
import {LAYER_MODELS} from './layer_models.js';

describe('all-default options tables', () => {
  let digits: tf.Tensor;
  let probe: tf.Tensor;

  beforeAll(async () => {
    ({digits, probe} = await digitsAndProbe(32, 8, 5));
  });

  it('are left out only where the parser agrees (ADD only in files without int16)', async () => {
    const omitted = new Set<string>();
    for (const name of ['BatchNormalization (folded and standalone), Multiply, Activation(tanh)',
      'Conv+BN+ReLU, DepthwiseConv2D, Add, Concatenate, GlobalAveragePooling2D']) {
      for await (const {mode, source, bytes} of filesInEveryMode(LAYER_MODELS[name](), digits)) {
        for (const op of inspect(bytes).operators) {
          // Ops the writer gives a table (fieldless ones such as DEQUANTIZE's never get one).
          const kind = opKind(op.opName as never);
          if (kind.options != null && op.optionsType == null) {
            // FULLY_CONNECTED's int16 kernel fails with no table (quantized_bias_type reads as no type).
            const allowed = kind.defaultOptionsMayBeOmitted === true ||
                (kind.defaultOptionsMayBeOmitted === 'withoutInt16' && mode !== 'int16x8');
            expect(allowed, `${name} ${mode}: ${op.opName}`).toBe(true);
            omitted.add(`${op.opName}${mode === 'int16x8' ? ' (16x8)' : ''}`);
          }
        }
        const lite = await runLiteRt(bytes, probe);
        const ref = tf.tidy(() => (source.predict(probe) as tf.Tensor).dataSync() as Float32Array);
        expect(worstError(bytes, lite, ref), `${name}: ${mode}`).toBeLessThanOrEqual(TOLERANCE[mode]);
      }
    }
    // MUL without activation, MEAN without keep_dims, ADD without activation
    // outside 16x8 (CONCATENATION's axis 3 is no default).
    expect([...omitted].sort()).toEqual(['ADD', 'MEAN', 'MEAN (16x8)', 'MUL', 'MUL (16x8)']);
  });
});
