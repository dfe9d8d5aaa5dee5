/**
 * The activation and structure layers through QAT, pruning and clustering:
 * which get an output quantizer, which pass through, which stay float.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {QuantizeWrapper} from '../../src/quantization/quantize_wrapper.js';
import {OptimizationWrapper} from '../../src/graph/wrapper.js';

type ST = tfl.SymbolicTensor;
const apply = (layer: tfl.layers.Layer, x: ST|ST[]) => layer.apply(x) as ST;
const k = (seed: number) => tfl.initializers.glorotUniform({seed});

/** One of each new layer around Dense layers (input [6, 4]). */
function model(withTimeDistributed: boolean): tfl.LayersModel {
  const input = tfl.input({shape: [6, 4]});
  let x = apply(tfl.layers.leakyReLU({alpha: 0.1, name: 'leaky'}), input);
  x = apply(tfl.layers.prelu({sharedAxes: [1], name: 'prelu'}), x);
  x = apply(tfl.layers.elu({name: 'elu'}), x);
  x = apply(tfl.layers.reLU({maxValue: 3, name: 'relu3'}), x);
  x = apply(tfl.layers.permute({dims: [2, 1], name: 'permute'}), x);
  x = apply(tfl.layers.gaussianNoise({stddev: 0.1, name: 'noise'}), x);
  if (withTimeDistributed) {
    x = apply(tfl.layers.timeDistributed({layer: tfl.layers.dense({units: 3, kernelInitializer: k(1)}),
      name: 'td'}), x);
  }
  x = apply(tfl.layers.flatten(), x);
  const a = apply(tfl.layers.dense({units: 5, activation: 'swish', kernelInitializer: k(2), name: 'swish'}), x);
  const b = apply(tfl.layers.dense({units: 5, kernelInitializer: k(3), name: 'b'}), x);
  const mean = apply(tfl.layers.average({name: 'avg'}), [a, b]);
  const top = apply(tfl.layers.maximum({name: 'max'}), [a, b]);
  const low = apply(tfl.layers.minimum({name: 'min'}), [a, b]);
  x = apply(tfl.layers.concatenate(), [mean, top, low]);
  x = apply(tfl.layers.repeatVector({n: 2, name: 'repeat'}), x);
  x = apply(tfl.layers.flatten(), x);
  x = apply(tfl.layers.activation({activation: 'gelu' as 'relu', name: 'gelu'}), x);
  return tfl.model({inputs: input, outputs: apply(tfl.layers.dense({units: 2, kernelInitializer: k(4)}), x)});
}

const byName = (m: tfl.LayersModel) => new Map(m.layers.map((l) => [
  l instanceof OptimizationWrapper ? l.layer.name : l.name, l]));

describe('activation and structure layers', () => {
  beforeAll(async () => {
    await tfmot.backend.init();
  });

  it('QAT quantizes the outputs of the activation and merge layers, and both sides of a composed activation', () => {
    const qat = tfmot.quantization.quantizeModel(model(false));
    const layers = byName(qat);
    for (const name of ['leaky', 'prelu', 'elu', 'relu3', 'gelu']) {
      const w = layers.get(name);
      expect(w, name).toBeInstanceOf(QuantizeWrapper);
      expect(Object.keys((w as QuantizeWrapper).quantizerVariables()), name).toEqual(['output']);
    }
    // Dense(swish): the pre-activation (a tensor of the int8 file) and the output.
    expect(Object.keys((layers.get('swish') as QuantizeWrapper).quantizerVariables()))
        .toEqual(['kernel', 'activation', 'output']);
    // Average/Maximum/Minimum feed a Concatenate here, whose range they take (int8 CONCATENATION's rule).
    for (const name of ['permute', 'noise', 'repeat', 'avg', 'max', 'min']) {
      expect(layers.get(name), name).not.toBeInstanceOf(OptimizationWrapper);
    }
    const x = tf.randomNormal([3, 6, 4], 0, 1, 'float32', 7);
    const y = qat.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([3, 2]);
    tf.dispose([x, y]);
  });

  it('QAT rejects TimeDistributed, naming it (TFMOT has no rule for it)', () => {
    expect(() => tfmot.quantization.quantizeModel(model(true))).toThrow(
        /'td' of class TimeDistributed is not supported by the default 8-bit quantization scheme/);
  });

  it('pruning and clustering wrap the Dense layers and leave PReLU and TimeDistributed float', () => {
    const pruned = byName(tfmot.sparsity.pruneLowMagnitude(model(true)));
    const clustered = byName(tfmot.clustering.clusterWeights(model(true), {numberOfClusters: 3}));
    for (const layers of [pruned, clustered]) {
      expect(layers.get('swish')).toBeInstanceOf(OptimizationWrapper);
      for (const name of ['prelu', 'td', 'leaky', 'permute', 'repeat', 'avg']) {
        expect(layers.get(name), name).not.toBeInstanceOf(OptimizationWrapper);
      }
    }
  });
});
