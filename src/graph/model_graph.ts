/**
 * A functional view of a LayersModel (Sequential or functional): every layer
 * call as a node in topological order, and a way to rebuild the model node by
 * node with replaced layers. Quantization, pruning and clustering all
 * transform models through it.
 */
import * as tfl from '@tensorflow/tfjs-layers';

import {describeValue, NotSupportedError, ValueError} from '../errors.js';

type Layer = tfl.layers.Layer;
type SymbolicTensor = tfl.SymbolicTensor;

/** One call of a layer inside the model. */
export interface LayerNode {
  layer: Layer;
  inputs: SymbolicTensor[];
  outputs: SymbolicTensor[];
  callArgs: Record<string, unknown>;
}

/** The model's input and output tensors and its layer calls. */
export interface ModelGraph {
  model: tfl.LayersModel;
  inputs: SymbolicTensor[];
  outputs: SymbolicTensor[];
  /** Layer calls in topological order; InputLayers are not nodes. */
  nodes: LayerNode[];
  /** The nodes that read tensor `t`. */
  consumers(t: SymbolicTensor): LayerNode[];
  /** The node that produced `t`, or null for a model input. */
  producer(t: SymbolicTensor): LayerNode|null;
}

interface RawNode {
  inputTensors: SymbolicTensor[];
  outputTensors: SymbolicTensor[];
  callArgs?: Record<string, unknown>;
}

/** Throws unless `model` is a built Sequential or functional LayersModel. */
export function checkModel(model: unknown, fnName: string): tfl.LayersModel {
  if (!(model instanceof tfl.LayersModel)) {
    throw new ValueError(
        `${fnName} expects a tf.LayersModel (Sequential or functional); received ` +
        `${describeValue(model)}. ` +
        `Subclassed models and bare layers are not supported: build the model with ` +
        `tf.sequential or tf.model.`);
  }
  let inputs: SymbolicTensor[]|undefined;
  try {
    inputs = model.inputs;
  } catch {
    inputs = undefined;
  }
  if (inputs == null || inputs.length === 0 || model.outputs == null) {
    throw new ValueError(
        `${fnName}: model '${model.name}' is not built. Give its first layer an ` +
        `inputShape (or build it from tf.input) before optimizing it.`);
  }
  if (model.layers.length === 0) {
    throw new ValueError(`${fnName}: model '${model.name}' has no layers.`);
  }
  return model;
}

function isInputLayer(layer: Layer): boolean {
  return layer.getClassName() === 'InputLayer';
}

/** Reads the layer calls of a built model, children before parents. */
export function readGraph(model: tfl.LayersModel): ModelGraph {
  const nodes: LayerNode[] = [];
  const nodeOf = new Map<SymbolicTensor, LayerNode|null>();
  const consumers = new Map<SymbolicTensor, LayerNode[]>();
  const visiting = new Set<RawNode>();
  const done = new Map<RawNode, LayerNode|null>();

  const visit = (t: SymbolicTensor): void => {
    if (nodeOf.has(t)) {
      return;
    }
    const layer = t.sourceLayer;
    const raw = layer.inboundNodes[t.nodeIndex] as unknown as RawNode;
    if (done.has(raw)) {
      nodeOf.set(t, done.get(raw)!);
      return;
    }
    if (isInputLayer(layer)) {
      done.set(raw, null);
      nodeOf.set(t, null);
      return;
    }
    if (visiting.has(raw)) {
      throw new NotSupportedError(`Model '${model.name}' has a cycle at layer '${layer.name}'.`);
    }
    if (layer instanceof tfl.LayersModel) {
      throw new NotSupportedError(
          `Model '${model.name}' nests model '${layer.name}' as a layer; flatten it into ` +
          `one functional model first.`);
    }
    visiting.add(raw);
    raw.inputTensors.forEach(visit);
    const node: LayerNode = {
      layer,
      inputs: [...raw.inputTensors],
      outputs: [...raw.outputTensors],
      callArgs: {...(raw.callArgs ?? {})},
    };
    for (const input of node.inputs) {
      consumers.set(input, [...(consumers.get(input) ?? []), node]);
    }
    visiting.delete(raw);
    done.set(raw, node);
    nodes.push(node);
    for (const out of node.outputs) {
      nodeOf.set(out, node);
    }
  };
  model.outputs.forEach(visit);
  return {
    model,
    inputs: [...model.inputs],
    outputs: [...model.outputs],
    nodes,
    consumers: (t) => consumers.get(t) ?? [],
    producer: (t) => nodeOf.get(t) ?? null,
  };
}

/**
 * Rebuilds the graph: `visit` gets each node and its new input tensors and
 * returns its new output tensors (by applying a replacement layer, or by
 * passing an input through to drop the layer).
 */
export function rebuildModel(
    graph: ModelGraph,
    visit: (node: LayerNode, inputs: SymbolicTensor[]) => SymbolicTensor[],
    name?: string): tfl.LayersModel {
  const mapped = new Map<SymbolicTensor, SymbolicTensor>();
  const newInputs = graph.inputs.map((t) => {
    const layer = t.sourceLayer;
    const input = tfl.input({
      batchShape: layer.batchInputShape ?? [null, ...t.shape.slice(1)],
      dtype: t.dtype,
      name: layer.name,
    });
    mapped.set(t, input);
    return input;
  });
  for (const node of graph.nodes) {
    const inputs = node.inputs.map((t) => {
      const m = mapped.get(t);
      if (m == null) {
        throw new ValueError(`Layer '${node.layer.name}' reads a tensor outside the model.`);
      }
      return m;
    });
    const outputs = visit(node, inputs);
    node.outputs.forEach((t, i) => mapped.set(t, outputs[i]));
  }
  return tfl.model({
    inputs: newInputs,
    outputs: graph.outputs.map((t) => mapped.get(t)!),
    name: name ?? graph.model.name,
  });
}

/** The only consumer of a node's single output, if there is exactly one and it is no model output. */
export function soleConsumer(graph: ModelGraph, node: LayerNode): LayerNode|null {
  const out = node.outputs[0];
  if (node.outputs.length !== 1 || graph.outputs.includes(out)) {
    return null;
  }
  const consumers = graph.consumers(out);
  return consumers.length === 1 ? consumers[0] : null;
}

/** Applies `layer` to symbolic inputs, returning its outputs as an array. */
export function applySymbolic(
    layer: Layer, inputs: SymbolicTensor[], callArgs: Record<string, unknown> = {}):
    SymbolicTensor[] {
  const out = layer.apply(inputs.length === 1 ? inputs[0] : inputs, callArgs);
  return (Array.isArray(out) ? out : [out]) as SymbolicTensor[];
}
