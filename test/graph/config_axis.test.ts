/** Axis configs in every form Keras and tfjs write: numbers from either end, one-element lists. */
import * as tfl from '@tensorflow/tfjs-layers';
import {describe, expect, it} from 'vitest';

import {configAxis, isLastAxis, singleAxis} from '../../src/graph/config_axis.js';

/** A layer whose getConfig() holds `axis` as given (tfjs' own BatchNormalization keeps a list as is). */
const withAxis = (axis: unknown) => tfl.layers.batchNormalization({axis: axis as number, name: 'bn'});

describe('configAxis', () => {
  it('reads 3, -1 and [3] as the last axis of a rank-4 input, and [1], 1, -3 as axis 1', () => {
    for (const axis of [3, -1, [3], [-1]]) {
      expect(configAxis(withAxis(axis), 'axis', 4), JSON.stringify(axis)).toBe(3);
      expect(isLastAxis(withAxis(axis), 'axis', 4)).toBe(true);
    }
    for (const axis of [1, -3, [1]]) {
      expect(configAxis(withAxis(axis), 'axis', 4)).toBe(1);
      expect(isLastAxis(withAxis(axis), 'axis', 4)).toBe(false);
    }
  });

  it('rejects several axes or one outside the rank, naming the layer', () => {
    expect(singleAxis([1, 2])).toBeNull();
    expect(() => configAxis(withAxis([1, 2]), 'axis', 4)).toThrow(
        /Layer 'bn' \(BatchNormalization\): axis \[1, 2\] for a rank-4 input; one axis is supported/);
    expect(() => configAxis(withAxis(4), 'axis', 4)).toThrow(/from -4 to 3/);
  });
});
