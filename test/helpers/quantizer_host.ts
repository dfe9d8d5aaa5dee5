/**
 * A minimal `QuantizerHost` for quantizer tests: plain LayerVariables, which
 * `disposeAll()` frees (call it after each test).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterEach, beforeAll, beforeEach, expect} from 'vitest';

import {init} from '../../src/backend/init.js';

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

/**
 * `testQuantizerHost` for a whole test file: the backend initialized, the
 * variables freed after each test, and no tensor left behind by any test.
 */
export function quantizerHostCheckingLeaks(): QuantizerHost {
  const {host, disposeAll} = testQuantizerHost();
  let tensorsBefore = 0;
  beforeAll(async () => {
    await init();
  });
  beforeEach(() => {
    tensorsBefore = tf.memory().numTensors;
  });
  afterEach(() => {
    disposeAll();
    expect(tf.memory().numTensors, 'tensors leaked').toBe(tensorsBefore);
  });
  return host;
}
