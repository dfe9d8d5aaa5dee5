/**
 * Shared helpers for the pruning tests: a filter-pruned model, training
 * with the step callback, and reading masks and kernels back. Seeded values
 * and data are in ../helpers/models.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import * as tfmot from '../../src/index.js';
import {seeded} from '../helpers/models.js';

const {sparsity} = tfmot;
type PruneLowMagnitude = tfmot.sparsity.PruneLowMagnitude;

/** The wrappers of a pruned model. */
export function wrappersOf(model: tfl.LayersModel): PruneLowMagnitude[] {
  return model.layers.filter((l): l is PruneLowMagnitude => l instanceof sparsity.PruneLowMagnitude);
}

/** The values of a wrapper's first prunable weight and its mask. */
export function kernelAndMask(w: PruneLowMagnitude): {kernel: Float32Array, mask: Float32Array, shape: number[]} {
  const variable = w.weightVariable(w.weightSpecs[0]);
  return {
    kernel: Float32Array.from(variable.read().dataSync()),
    mask: Float32Array.from(w.masks[0].read().dataSync()),
    shape: variable.shape as number[],
  };
}

/** Compiles with Adam for categorical targets. */
export function compileAdam(model: tfl.LayersModel, learningRate = 0.01): void {
  model.compile({optimizer: tf.train.adam(learningRate), loss: 'categoricalCrossentropy'});
}

/** fit() with the UpdatePruningStep callback (plus `extra` callbacks after it). */
export async function fitPruned(model: tfl.LayersModel, xs: tf.Tensor, ys: tf.Tensor,
    options: {epochs: number, batchSize: number, extra?: tfl.CustomCallbackArgs}): Promise<void> {
  const callbacks: Array<tfl.Callback|tfl.CustomCallback> = [new sparsity.UpdatePruningStep()];
  if (options.extra != null) {
    callbacks.push(new tfl.CustomCallback(options.extra));
  }
  await model.fit(xs, ys, {epochs: options.epochs, batchSize: options.batchSize, shuffle: false,
    verbose: 0, callbacks: callbacks as tfl.Callback[]});
}

/**
 * Input [8, 8, 3] -> Conv2D 8 (3x3, valid) -> BatchNormalization -> ReLU ->
 * MaxPool 2 -> Conv2D 16 (3x3, valid, relu) -> `head` (Flatten or
 * GlobalAveragePooling2D) -> Dense 10. Only the convs are wrapped for
 * filter pruning (pruning the classifier's units would zero logits).
 */
export function filterPrunedConvNet(head: 'flatten'|'gap', params: tfmot.sparsity.PruneParams): tfl.LayersModel {
  const prune = (layer: tfl.layers.Layer) => sparsity.pruneLowMagnitude(layer, params);
  const input = tfl.input({shape: [8, 8, 3]});
  let x = prune(tfl.layers.conv2d({filters: 8, kernelSize: 3, kernelInitializer: seeded(1),
    biasInitializer: tfl.initializers.randomUniform({minval: -0.2, maxval: 0.2, seed: 2}), name: 'conv_a'}))
      .apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({name: 'bn',
    betaInitializer: tfl.initializers.randomUniform({minval: -0.5, maxval: 0.5, seed: 3}),
    gammaInitializer: tfl.initializers.randomUniform({minval: 0.5, maxval: 1.5, seed: 4}),
    movingMeanInitializer: tfl.initializers.randomUniform({minval: -0.3, maxval: 0.3, seed: 5}),
    movingVarianceInitializer: tfl.initializers.randomUniform({minval: 0.5, maxval: 2, seed: 6}),
  }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({}).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.maxPooling2d({poolSize: 2}).apply(x) as tfl.SymbolicTensor;
  x = prune(tfl.layers.conv2d({filters: 16, kernelSize: 2, activation: 'relu', kernelInitializer: seeded(7),
    biasInitializer: tfl.initializers.randomUniform({minval: -0.2, maxval: 0.2, seed: 8}), name: 'conv_b'}))
      .apply(x) as tfl.SymbolicTensor;
  x = (head === 'flatten' ? tfl.layers.flatten({}) : tfl.layers.globalAveragePooling2d({})).apply(x) as
      tfl.SymbolicTensor;
  const out = tfl.layers.dense({units: 10, kernelInitializer: seeded(9), name: 'logits'}).apply(x) as
      tfl.SymbolicTensor;
  return tfl.model({inputs: input, outputs: out});
}
