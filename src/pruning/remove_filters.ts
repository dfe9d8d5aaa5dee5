/**
 * Structured strip: a layer whose whole output channels were pruned (kernel
 * and bias zero) is rebuilt with fewer filters/units, and so are the layers
 * its output flows through (BatchNormalization, activations, pooling,
 * Dropout, Flatten) up to the next Conv1D/Conv2D/Dense, whose matching input
 * rows are dropped. A removed channel still carries a constant (activation(0),
 * then BatchNorm's shift...): that constant's contribution is folded into
 * the consumer's bias, so outputs stay the same.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {readWeight, weightVariable} from '../graph/layer_attributes.js';
import {layerKind} from '../graph/layer_registry.js';
import {LayerNode, ModelGraph, readGraph, soleConsumer} from '../graph/model_graph.js';
import {deserializeLayer} from '../graph/serialization.js';
import {transformModel} from '../graph/transform_model.js';

type Layer = tfl.layers.Layer;

/** The config key holding a layer's number of output channels, if filter pruning can shrink it. */
const channelsKey = (layer: Layer) => layerKind(layer)?.outputChannelsKey;

interface Plan {
  producer: Layer;
  keep: number[];
  chain: LayerNode[];
  consumer: LayerNode;
  /** Value each channel carries into the consumer if its filter were removed. */
  constants: Float32Array;
  /** Consumer input rows per channel (Flatten spreads a channel over positions). */
  flattenSpatial: number;
}

/** Applies an elementwise layer to per-channel constants. */
function throughLayer(layer: Layer, values: Float32Array): Float32Array {
  return tf.tidy(() => {
    const x = tf.reshape(tf.tensor(values), [1, 1, 1, values.length]);
    const y = layer.call(x, {training: false}) as tf.Tensor;
    return Float32Array.from(y.dataSync());
  });
}

function planFor(graph: ModelGraph, node: LayerNode): Plan|null {
  const producer = node.layer;
  const kernel = readWeight(producer, 'kernel')!;
  const bias = readWeight(producer, 'bias');
  const channels = kernel.shape[kernel.rank - 1];
  const kernelNorms = tf.tidy(() => tf.sum(tf.abs(kernel), [...Array(kernel.rank - 1).keys()]).dataSync());
  const biasValues = bias?.dataSync() ?? new Float32Array(channels);
  const keep = [...Array(channels).keys()].filter((c) => kernelNorms[c] !== 0 || biasValues[c] !== 0);
  if (keep.length === channels || keep.length === 0) {
    return null;
  }
  // A removed channel outputs activation(0); follow it to the consumer.
  const activation = (producer as unknown as {activation: {apply(x: tf.Tensor): tf.Tensor}}).activation;
  let constants: Float32Array = tf.tidy(() => Float32Array.from(activation.apply(tf.zeros([channels])).dataSync()));
  const chain: LayerNode[] = [];
  let flattenSpatial = 0;
  let current = node;
  for (;;) {
    const next = soleConsumer(graph, current);
    if (next == null) {
      return null;
    }
    const passage = layerKind(next.layer)?.channelPassage;
    const config = next.layer.getConfig();
    if (passage === 'perChannel') {
      constants = throughLayer(next.layer, constants);
    } else if (passage === 'pooling' || passage === 'averagePooling') {
      // Pooling a constant channel gives the same constant, unless an average takes in 'same' padding.
      if (config['padding'] === 'same' && passage === 'averagePooling') {
        return null;
      }
    } else if (passage === 'flatten') {
      const shape = current.outputs[0].shape;
      flattenSpatial = (next.inputs[0].shape.slice(1, -1) as number[]).reduce((a, b) => a * b, 1);
      // [batch, ..., channels] flattens channels fastest (a 1-D [batch, steps, channels] too).
      if (shape.length < 3) {
        return null;
      }
    } else if (channelsKey(next.layer) != null && (config['padding'] == null || config['padding'] === 'valid' ||
        constants.every((v, c) => keep.includes(c) || v === 0))) {
      // A consumer whose 'same' padding would read the removed constant at the borders needs it to be 0.
      return {producer, keep, chain, consumer: next, constants, flattenSpatial};
    } else {
      return null;
    }
    chain.push(next);
    current = next;
  }
}

/** Rows of the consumer's kernel (first axis of its input dim) for kept channels. */
function keptRows(plan: Plan, channels: number): number[] {
  const keepSet = new Set(plan.keep);
  if (plan.flattenSpatial === 0) {
    return plan.keep;
  }
  const rows: number[] = [];
  for (let p = 0; p < plan.flattenSpatial; p++) {
    for (let c = 0; c < channels; c++) {
      if (keepSet.has(c)) {
        rows.push(p * channels + c);
      }
    }
  }
  return rows;
}

/**
 * New weights of the consumer from its current `[kernel, bias?]`: dropped
 * input rows, their constants folded into the bias.
 */
function consumerWeights(plan: Plan, channels: number, [kernel, bias]: tf.Tensor[]): tf.Tensor[] {
  return tf.tidy(() => {
    const inAxis = kernel.rank - 2;
    const dropped = [...Array(channels).keys()].filter((c) => !plan.keep.includes(c));
    // Each dropped channel adds constant * (sum of its kernel rows) to every output.
    const perRow = plan.flattenSpatial === 0 ? 1 : plan.flattenSpatial;
    const droppedRows: number[] = [];
    const droppedValues: number[] = [];
    for (let p = 0; p < perRow; p++) {
      for (const c of dropped) {
        droppedRows.push(plan.flattenSpatial === 0 ? c : p * channels + c);
        droppedValues.push(plan.constants[c]);
      }
    }
    const rows = tf.gather(kernel, droppedRows, inAxis);
    const shape = new Array(kernel.rank).fill(1);
    shape[inAxis] = droppedRows.length;
    const contribution = tf.sum(tf.mul(rows, tf.reshape(tf.tensor(droppedValues), shape)),
        [...Array(kernel.rank - 1).keys()]);
    const newKernel = tf.gather(kernel, keptRows(plan, channels), inAxis);
    const newBias = bias != null ? tf.add(bias, contribution) : null;
    return newBias != null ? [newKernel, newBias] : [newKernel];
  });
}

/**
 * A copy of `t` in new memory of exactly its shape; disposes `t`. The wasm
 * backend's gather returns a reshaped view of a 4-D buffer, and its fused
 * conv/matmul kernels check the buffer's shape ("only supports rank-1
 * bias but got rank 4"), so a gathered bias must not be used as is.
 */
function freshCopy(t: tf.Tensor): tf.Tensor {
  const copy = tf.tensor(t.dataSync(), t.shape, t.dtype);
  t.dispose();
  return copy;
}

/**
 * Rebuilds `model` with the zeroed filters of the named layers removed
 * (see the module comment). Layers whose channels cannot be removed exactly
 * keep them.
 */
export function removePrunedFilters(model: tfl.LayersModel, layerNames: string[]): tfl.LayersModel {
  const graph = readGraph(model);
  const plans: Plan[] = [];
  for (const node of graph.nodes) {
    if (layerNames.includes(node.layer.name) && channelsKey(node.layer) != null) {
      const plan = planFor(graph, node);
      if (plan != null) {
        plans.push(plan);
      }
    }
  }
  // A layer can be both a consumer (of an earlier plan) and a producer (of
  // its own): each edit starts from the layer's weights as edited so far.
  const newWeights = new Map<Layer, tf.Tensor[]>();
  const created: tf.Tensor[] = [];
  const edit = (layer: Layer, f: (weights: tf.Tensor[]) => tf.Tensor[]) => {
    const weights = f(newWeights.get(layer) ?? layer.getWeights()).map(freshCopy);
    created.push(...weights);
    newWeights.set(layer, weights);
  };
  const newConfigs = new Map<Layer, tf.serialization.ConfigDict>();
  for (const plan of plans) {
    const channels = weightVariable(plan.producer, 'kernel')!.shape.slice(-1)[0] as number;
    const config = plan.producer.getConfig();
    config[channelsKey(plan.producer)!] = plan.keep.length;
    newConfigs.set(plan.producer, config);
    edit(plan.producer, (weights) => tf.tidy(() => weights.map((w) => tf.gather(w, plan.keep, w.rank - 1))));
    // Per-channel weights on the way (a BatchNormalization's) lose the removed channels too.
    for (const link of plan.chain.filter((l) => l.layer.weights.length > 0)) {
      edit(link.layer, (weights) => tf.tidy(() => weights.map((w) => tf.gather(w, plan.keep))));
    }
    edit(plan.consumer.layer, (weights) => consumerWeights(plan, channels, weights));
  }
  const result = transformModel(model, 'stripPruning', (original) => {
    const copy = deserializeLayer({className: original.getClassName(),
      config: newConfigs.get(original) ?? original.getConfig()});
    return {layer: copy, weightsInto: copy, weightsFrom: () => newWeights.get(original) ?? original.getWeights()};
  });
  tf.dispose(created);
  return result;
}
