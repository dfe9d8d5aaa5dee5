/**
 * A minimal `QuantizerHost` for quantizer tests: plain LayerVariables, which
 * `disposeAll()` frees (call it after each test).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import type {QuantizerHost} from '../../src/quantization/quantizers.js';

export function testQuantizerHost(): {host: QuantizerHost, disposeAll: () => void} {
  const created: tfl.LayerVariable[] = [];
  const host: QuantizerHost = {
    addQuantizerWeight(name, shape, init) {
      // The variable copies its initial value, which is freed at once.
      const value = tf.fill(shape, init);
      const v = new tfl.LayerVariable(value, 'float32', name, false);
      value.dispose();
      created.push(v);
      return v;
    },
  };
  return {host, disposeAll: () => created.splice(0).forEach((v) => v.dispose())};
}
