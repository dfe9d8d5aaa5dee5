/**
 * The float IR computes what the tfjs model computes: checked by running the
 * lowered graph with tfjs ops on real digits.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {evaluateIr} from '../../src/tflite/ir_eval.js';
import {lowerModel} from '../../src/tflite/lower_model.js';
import {maxAbsDiff} from '../helpers/compare.js';
import {functionalTestModel} from './models.js';

/** max |a - b| of two tensors of the same shape. */
function maxTensorDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return maxAbsDiff(a.dataSync(), b.dataSync());
}

function irPredict(model: tfl.LayersModel, xs: tf.Tensor[]): tf.Tensor[] {
  const graph = lowerModel(model);
  const values = evaluateIr(graph, xs);
  const outs = graph.outputs.map((t) => tf.clone(values.get(t.id)!));
  tf.dispose([...values.values()]);
  return outs;
}

describe('lowering to the float IR', () => {
  let digits: tf.Tensor;

  beforeAll(async () => {
    await tfmot.backend.init();
    const data = tfmot.data.loadMnist({numTrain: 64, numTest: 0, seed: 3});
    digits = data.train.xs;
  });

  it('matches the tutorial model', () => {
    const model = tfmot.data.mnistTutorialModel({seed: 3});
    const graph = lowerModel(model);
    // Flatten disappears: FULLY_CONNECTED flattens its input itself.
    expect(graph.ops.map((o) => o.type)).toEqual(['CONV_2D', 'MAX_POOL_2D', 'FULLY_CONNECTED']);
    expect(graph.ops[0].activation).toBe('RELU');
    const [ir] = irPredict(model, [digits]);
    const ref = model.predict(digits) as tf.Tensor;
    expect(maxTensorDiff(ir, ref)).toBeLessThan(1e-4);
    tf.dispose([ir, ref]);
  });

  it('folds BatchNorm, fuses ReLU and lowers a functional model', () => {
    const model = functionalTestModel(5);
    const graph = lowerModel(model);
    const types = graph.ops.map((o) => o.type);
    expect(types).not.toContain('RELU');
    expect(types.filter((t) => t === 'MUL')).toEqual([]);
    expect(types).toEqual(expect.arrayContaining(
        ['CONV_2D', 'DEPTHWISE_CONV_2D', 'ADD', 'CONCATENATION', 'MEAN', 'FULLY_CONNECTED', 'SOFTMAX']));
    const [ir] = irPredict(model, [digits]);
    const ref = model.predict(digits) as tf.Tensor;
    expect(maxTensorDiff(ir, ref)).toBeLessThan(1e-5);
    tf.dispose([ir, ref]);
  });
});
