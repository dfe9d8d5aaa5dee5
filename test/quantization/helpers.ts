/**
 * Shared helpers for the quantization tests: seeded data, small models that
 * exercise the QAT patterns, and access to quantizer range variables.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import * as tfmot from '../../src/index.js';
import {randomTensor} from '../backend/helpers.js';
import {seeded} from '../helpers/models.js';

export {randomTensor, seeded};

type SymbolicTensor = tfl.SymbolicTensor;

/** Applies `layer` to one symbolic input. */
export function call(layer: tfl.layers.Layer, x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
  return layer.apply(x) as SymbolicTensor;
}

/**
 * Input [8, 8, 3] -> Conv2D(4, linear) -> BatchNormalization -> ReLU ->
 * DepthwiseConv2D(relu) -> Flatten -> Dense(6, relu) -> Dense(5, `outActivation`).
 * The conv has a non-zero bias and the BN non-trivial gamma, beta and moving
 * statistics, so folding mistakes change the output.
 */
export function convBnReluModel(outActivation: 'softmax' | 'linear' = 'softmax'): tfl.LayersModel {
  const input = tfl.input({shape: [8, 8, 3], name: 'image'});
  let x = call(tfl.layers.conv2d(
      {filters: 4, kernelSize: 3, name: 'conv', kernelInitializer: seeded(11)}), input);
  const bn = tfl.layers.batchNormalization({name: 'bn'});
  x = call(bn, x);
  x = call(tfl.layers.reLU({name: 'relu'}), x);
  x = call(tfl.layers.depthwiseConv2d({
    kernelSize: 3, depthMultiplier: 2, activation: 'relu', name: 'dw',
    depthwiseInitializer: seeded(12),
  }), x);
  x = call(tfl.layers.flatten({name: 'flat'}), x);
  x = call(tfl.layers.dense(
      {units: 6, activation: 'relu', name: 'fc', kernelInitializer: seeded(13)}), x);
  x = call(tfl.layers.dense(
      {units: 5, activation: outActivation, name: 'out', kernelInitializer: seeded(14)}), x);
  const model = tfl.model({inputs: input, outputs: x, name: 'conv_bn_relu'});
  const conv = model.getLayer('conv');
  conv.setWeights([conv.getWeights()[0], tf.tensor1d([0.3, -0.2, 0.1, 0.5])]);
  bn.setWeights([
    tf.tensor1d([1.5, 0.5, -0.8, 2.0]),    // gamma
    tf.tensor1d([0.1, -0.3, 0.2, 0.05]),   // beta
    tf.tensor1d([0.2, -0.1, 0.4, -0.3]),   // moving mean
    tf.tensor1d([0.5, 2.0, 0.25, 1.5]),    // moving variance
  ]);
  return model;
}

/**
 * Two inputs, two outputs: Dense branches joined by Add, a Concatenate of two
 * Dense layers, a softmax head and a linear head.
 */
export function twoInputTwoOutputModel(): tfl.LayersModel {
  const in1 = tfl.input({shape: [4], name: 'in1'});
  const in2 = tfl.input({shape: [4], name: 'in2'});
  const a = call(tfl.layers.dense(
      {units: 8, activation: 'relu', name: 'a', kernelInitializer: seeded(21)}), in1);
  const b = call(tfl.layers.dense(
      {units: 8, activation: 'relu', name: 'b', kernelInitializer: seeded(22)}), in2);
  const sum = call(tfl.layers.add({name: 'add'}), [a, b]);
  const c1 = call(tfl.layers.dense({units: 6, name: 'c1', kernelInitializer: seeded(23)}), sum);
  const c2 = call(tfl.layers.dense({units: 6, name: 'c2', kernelInitializer: seeded(24)}), in2);
  const cat = call(tfl.layers.concatenate({name: 'cat'}), [c1, c2]);
  const out1 = call(tfl.layers.dense(
      {units: 3, activation: 'softmax', name: 'out1', kernelInitializer: seeded(25)}), cat);
  const out2 = call(tfl.layers.dense({units: 2, name: 'out2', kernelInitializer: seeded(26)}), sum);
  return tfl.model({inputs: [in1, in2], outputs: [out1, out2], name: 'two_by_two'});
}

/** Runs the model forward in training mode `steps` times (ranges move, weights don't). */
export function calibrate(model: tfl.LayersModel, xs: tf.Tensor | tf.Tensor[], steps: number): void {
  for (let i = 0; i < steps; i++) {
    tf.tidy(() => {
      model.apply(xs, {training: true});
    });
  }
}

/** `{layerName/slot/min|max: values}` of every quantizer in a QAT model. */
export function quantizerRanges(model: tfl.LayersModel): Record<string, number[]> {
  const ranges: Record<string, number[]> = {};
  for (const layer of model.layers) {
    if (layer instanceof tfmot.quantization.QuantizeWrapper) {
      for (const [slot, vars] of Object.entries(layer.quantizerVariables())) {
        for (const [role, v] of Object.entries(vars)) {
          ranges[`${layer.name}/${slot}/${role}`] = Array.from(v.read().dataSync());
        }
      }
    } else if (layer instanceof tfmot.quantization.QuantizeLayer) {
      for (const [role, v] of Object.entries(layer.quantizerVariables())) {
        ranges[`${layer.name}/input/${role}`] = Array.from(v.read().dataSync());
      }
    }
  }
  return ranges;
}

/** Every weight of a model as `{name: values}`. */
export function weightValues(model: tfl.LayersModel): Record<string, number[]> {
  const values: Record<string, number[]> = {};
  for (const w of model.weights) {
    values[w.originalName] = Array.from(w.read().dataSync());
  }
  return values;
}

/** Classes of the model's layers, in order. */
export const layerClasses = (model: tfl.LayersModel) => model.layers.map((l) => l.getClassName());

/** The model's outputs for `xs` (inference mode) as plain arrays. */
export function predictValues(model: tfl.LayersModel, xs: tf.Tensor | tf.Tensor[]): Float32Array[] {
  const out = model.predict(xs) as tf.Tensor | tf.Tensor[];
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((t) => (t.dataSync() as Float32Array).slice());
  tf.dispose(list);
  return values;
}

/** The layer of `model` named `name`, as a QuantizeWrapper (throws otherwise). */
export function wrapper(model: tfl.LayersModel, name: string): tfmot.quantization.QuantizeWrapper {
  const layer = model.getLayer(name);
  if (!(layer instanceof tfmot.quantization.QuantizeWrapper)) {
    throw new Error(`${name} is a ${layer.getClassName()}, not a QuantizeWrapper`);
  }
  return layer;
}
