/**
 * LayersModel -> float IR. Walks the model's layer calls in order, unwraps
 * QAT wrappers (taking their folded, fake-quantized kernels and their ranges)
 * and lowers each layer; then folds BatchNorm into the op before it and fuses
 * ReLU/ReLU6 into their producers, as TFLite's converter does.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {NotSupportedError, ValueError} from '../errors.js';
import {checkModel, readGraph} from '../graph/model_graph.js';
import type {LowerContext} from '../graph/layer_kind.js';
import {layerClasses, layerKind} from '../graph/layer_registry.js';
import {OptimizationWrapper} from '../graph/wrapper.js';
import {QuantizeLayer} from '../quantization/quantize_layer.js';
import {QuantizeWrapper} from '../quantization/quantize_wrapper.js';
import {gridRanges} from './grid_ranges.js';
import {dropFlattenBeforeDense, foldBatchNorms, fuseActivations, shareConcatRanges} from './ir_passes.js';
import {opKind} from './op_registry.js';
import {activationsBeforeReshapes, collapseReshapes} from './reshape_passes.js';
import {IrBuilder, IrGraph, IrOp, IrTensor} from '../graph/ir.js';

/** Layer classes the converter lowers. */
export const CONVERTIBLE_LAYERS = layerClasses((kind) => kind.lower != null);

type Layer = tfl.layers.Layer;

/**
 * Gives the range of a lowering's output also to the tensors that trailing
 * RESHAPEs (which keep their input's parameters) were made from, e.g. a
 * BatchNorm on a 2-D tensor computed in 4-D: the int8 op before them needs it.
 */
function rangeThroughReshapes(ops: IrOp[], t: IrTensor, range: [number, number]): void {
  const op = ops.find((o) => o.outputs[0] === t);
  const source = op?.inputs[0];
  if (op?.type === 'RESHAPE' && source != null && source.range == null &&
      ops.some((o) => o.outputs[0] === source)) {
    source.range = range;
    rangeThroughReshapes(ops, source, range);
  }
}

function lowerPlain(ctx: LowerContext, layer: Layer, inputs: IrTensor[]): IrTensor[] {
  const lowering = layerKind(layer)?.lower;
  if (lowering == null) {
    throw new NotSupportedError(
        `Layer '${layer.name}' of class ${layer.getClassName()} cannot be converted to ` +
        `TFLite (supported: ${CONVERTIBLE_LAYERS.join(', ')}); no file was written.`);
  }
  return lowering(ctx, layer, inputs);
}

/**
 * A wrapper: its inner layer with the weights it computes with at inference
 * (pruned, clustered, or BatchNorm folded and on the QAT grid); a QAT
 * wrapper adds its weight scales as the quantizer set them, and its
 * activation/output range.
 */
function lowerWrapper(ir: IrBuilder, wrapper: OptimizationWrapper, inputs: IrTensor[]): IrTensor[] {
  const firstOp = ir.ops.length;
  let outputs: IrTensor[] = [];
  // The lowering copies what it needs into the IR; the tidy frees the folded
  // and quantized tensors (the IR is not returned through it: tidy would
  // walk its typed arrays).
  tf.tidy(() => {
    outputs = lowerPlain({ir, weights: wrapper.inferenceWeights()}, wrapper.layer, inputs);
  });
  if (!(wrapper instanceof QuantizeWrapper)) {
    return outputs;
  }
  const ranges = wrapper.exportRanges();
  // The weighted op (a Conv1D's CONV_2D comes after its RESHAPE to 4-D), else the first.
  const made = ir.ops.slice(firstOp);
  const main = made.find((op) => opKind(op.type).weightChannelAxis !== undefined) ?? made[0];
  const kernel = main.inputs[1];
  if (ranges.weightScales != null && kernel != null) {
    const scale = ranges.weightScales;
    kernel.quantization = {scale, zeroPoint: scale.map(() => 0),
      quantizedDimension: scale.length > 1 ? kernel.channelAxis ?? 0 : 0};
  }
  if (ranges.activation != null) {
    main.outputs[0].range = ranges.activation;
  }
  if (ranges.output != null) {
    for (const t of outputs) {
      t.range = ranges.output;
      rangeThroughReshapes(ir.ops.slice(firstOp), t, ranges.output);
    }
  }
  gridRanges(ir.ops.slice(firstOp), inputs, outputs);
  return outputs;
}

/**
 * An output that is a model input unchanged (only Dropout or linear layers
 * between them) gets a copy, an identity RESHAPE: LiteRT returns garbage when
 * one tensor is both a subgraph input and output.
 */
function distinctFromInputs(ir: IrBuilder, output: IrTensor, inputs: IrTensor[], layerName: string): IrTensor {
  if (!inputs.includes(output)) {
    return output;
  }
  const copy = ir.tensor(`${layerName}/out`, output.shape);
  ir.op('RESHAPE', [output], [copy], layerName, {newShape: output.shape});
  return copy;
}

/**
 * Rejects NaN/Infinity in any float constant, in every mode. Quantizing one
 * gives a NaN/Infinity scale (LiteRT then outputs zeros) and even a float32
 * file would carry a broken model faithfully: a non-finite weight means
 * training diverged, which the user should hear about here, not at inference.
 * Checked after the passes, so BatchNorm folded into a kernel is covered.
 */
function checkFiniteWeights(graph: IrGraph): void {
  for (const op of graph.ops) {
    for (const t of op.inputs) {
      if (!(t?.data instanceof Float32Array)) {
        continue;
      }
      // An indexed scan first: this runs on every weight of every export.
      const data = t.data;
      let finite = true;
      for (let i = 0; i < data.length && finite; i++) {
        finite = Number.isFinite(data[i]);
      }
      if (!finite) {
        const nan = data.filter(Number.isNaN).length;
        const infinite = data.filter((v) => v === Infinity || v === -Infinity).length;
        const counts = [nan > 0 ? `${nan} NaN` : '', infinite > 0 ? `${infinite} infinite` : '']
            .filter((c) => c !== '').join(' and ');
        throw new ValueError(
            `Layer '${op.source}': weight '${t.name}' has ${counts} value(s) (of ` +
            `${t.data.length}); TFLite export needs finite weights (NaN/Infinity usually means ` +
            'training diverged); no file was written.');
      }
    }
  }
}

/** True if every layer reading `t` is an Embedding (or a wrapper of one): int32 indices, kept int32 in the file. */
function feedsOnlyEmbeddings(graph: ReturnType<typeof readGraph>, t: tfl.SymbolicTensor): boolean {
  const readers = graph.nodes.filter((n) => n.inputs.includes(t)).map((n) => n.layer);
  const inner = (l: Layer) => l instanceof OptimizationWrapper ? l.layer : l;
  return readers.length > 0 && readers.every((l) => inner(l).getClassName() === 'Embedding');
}

/**
 * Lowers a built Sequential or functional model to the float IR (batch 1).
 * Throws for layers or activations TFLite cannot express.
 */
export function lowerModel(model: tfl.LayersModel): IrGraph {
  const graph = readGraph(checkModel(model, 'TFLiteConverter'));
  const ir = new IrBuilder();
  const tensors = new Map<tfl.SymbolicTensor, IrTensor>();
  const inputs = graph.inputs.map((t) => {
    const shape = t.shape.slice(1);
    const indices = t.dtype === 'int32' && feedsOnlyEmbeddings(graph, t);
    if (shape.some((d) => d == null) || (t.dtype !== 'float32' && !indices)) {
      throw new NotSupportedError(
          `Model input '${t.sourceLayer.name}' has shape ${JSON.stringify(t.shape)} and dtype ` +
          `${t.dtype}; the converter needs float32 inputs (int32 ones feeding only Embedding layers) ` +
          'with fixed sizes except the batch.');
    }
    const irTensor = ir.tensor(t.sourceLayer.name, [1, ...shape as number[]], indices ? {dtype: 'int32'} : {});
    tensors.set(t, irTensor);
    return irTensor;
  });
  for (const node of graph.nodes) {
    const layerInputs = node.inputs.map((t) => tensors.get(t)!);
    const layer = node.layer;
    let outputs: IrTensor[];
    if (layer instanceof OptimizationWrapper) {
      outputs = lowerWrapper(ir, layer, layerInputs);
    } else if (layer instanceof QuantizeLayer) {
      outputs = layerInputs;
      const range = layer.exportRange();
      if (range != null) {
        outputs[0].range = range;
      }
    } else {
      outputs = lowerPlain({ir}, layer, layerInputs);
    }
    if (outputs.length !== node.outputs.length) {
      throw new ValueError(`Internal: layer '${layer.name}' lowered to ${outputs.length} outputs.`);
    }
    node.outputs.forEach((t, i) => tensors.set(t, outputs[i]));
  }
  const result: IrGraph = {
    inputs,
    outputs: graph.outputs.map((t) => distinctFromInputs(ir, tensors.get(t)!, inputs, t.sourceLayer.name)),
    ops: ir.ops,
    tensors: ir.tensors,
    inputNames: graph.inputs.map((t) => t.sourceLayer.name),
    outputNames: graph.outputs.map((t) => t.sourceLayer.name),
  };
  collapseReshapes(result);
  foldBatchNorms(result);
  activationsBeforeReshapes(result);
  collapseReshapes(result);  // the RESHAPEs a moved ReLU stood between
  fuseActivations(result);
  dropFlattenBeforeDense(result);
  shareConcatRanges(result);
  checkFiniteWeights(result);
  return result;
}
