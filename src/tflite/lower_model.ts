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
import {batchNormScaleShift} from '../quantization/batch_norm_fold.js';
import {nudge} from '../quantization/fake_quant_ops.js';
import {kernelLayout} from '../quantization/kernel_layout.js';
import {QuantizeAnnotate} from '../quantization/quantize_annotate.js';
import {QuantizeLayer} from '../quantization/quantize_layer.js';
import {QuantizeWrapper} from '../quantization/quantize_wrapper.js';
import {QuantizerVars} from '../quantization/quantizers.js';
import {dropFlattenBeforeDense, foldBatchNorms, fuseActivations, shareConcatRanges} from './ir_passes.js';
import {IrBuilder, IrGraph, IrOp, IrTensor} from './ir.js';
import {CONVERTIBLE_LAYERS, LOWERINGS, LowerContext} from './lower_layers.js';

type Layer = tfl.layers.Layer;

/**
 * The trained range of a quantizer; none for [0, 0], the start of a
 * running-min/max quantizer that has seen no data (fake quant then outputs
 * zeros, which no int8 file should copy): calibration or an error follows.
 */
function rangeOf(vars: QuantizerVars|undefined): [number, number]|undefined {
  if (vars?.min == null || vars.max == null) {
    return undefined;
  }
  const range: [number, number] = [vars.min.read().dataSync()[0], vars.max.read().dataSync()[0]];
  return range[0] === 0 && range[1] === 0 ? undefined : range;
}

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
  const lowering = LOWERINGS[layer.getClassName()];
  if (lowering == null) {
    throw new NotSupportedError(
        `Layer '${layer.name}' of class ${layer.getClassName()} cannot be converted to ` +
        `TFLite (supported: ${CONVERTIBLE_LAYERS.join(', ')}); no file was written.`);
  }
  return lowering(ctx, layer, inputs);
}

/**
 * A QAT wrapper: the inner layer with the kernel and bias it trained with
 * (BatchNorm folded, weights on the quantizer's grid), its weight scales as
 * the quantizer set them, and its activation/output range.
 */
function lowerWrapper(ir: IrBuilder, wrapper: QuantizeWrapper, inputs: IrTensor[]): IrTensor[] {
  const inner = wrapper.layer;
  const layout = kernelLayout(inner.getClassName());
  const vars = wrapper.quantizerVariables();
  const firstOp = ir.ops.length;
  let outputs: IrTensor[];
  if (layout != null) {
    let lowered: IrTensor[] = [];
    // The lowering copies what it needs into the IR; the tidy frees the folded
    // and quantized tensors (the IR is not returned through it: tidy would
    // walk its typed arrays).
    tf.tidy(() => {
      const fold = wrapper.foldedBatchNorm != null ? batchNormScaleShift(wrapper.foldedBatchNorm) : null;
      const kernel = wrapper.effectiveWeights(fold?.scale ?? null)
          .find((w) => w.attr === layout.kernelAttr)?.value ??
          (inner as unknown as Record<string, tfl.LayerVariable>)[layout.kernelAttr].read();
      lowered = lowerPlain({ir, kernel, bias: wrapper.effectiveBias(fold)}, inner, inputs);
    });
    outputs = lowered;
    const main = ir.ops[firstOp];
    const weightVars = vars[layout.kernelAttr];
    if (weightVars?.min != null && main.inputs[1] != null) {
      main.inputs[1].quantization = weightQuantization(weightVars, main.inputs[1].channelAxis ?? 0);
    }
    const activationRange = rangeOf(vars['activation']);
    if (activationRange != null) {
      main.outputs[0].range = activationRange;
    }
  } else {
    outputs = lowerPlain({ir}, inner, inputs);
  }
  const outputRange = rangeOf(vars['output']);
  if (outputRange != null) {
    for (const t of outputs) {
      t.range = outputRange;
      rangeThroughReshapes(ir.ops.slice(firstOp), t, outputRange);
    }
  }
  return outputs;
}

/** Weight scales exactly as the QAT weight quantizer nudged them (zero point 0). */
function weightQuantization(vars: QuantizerVars, channelAxis: number) {
  const mins = vars.min.read().dataSync();
  const maxs = vars.max.read().dataSync();
  const scale = Array.from(mins, (lo, c) => {
    const r = nudge(lo, maxs[c], 8, true);
    return r.degenerate ? 1 : r.scale;
  });
  return {scale, zeroPoint: scale.map(() => 0), quantizedDimension: mins.length > 1 ? channelAxis : 0};
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
    if (shape.some((d) => d == null) || t.dtype !== 'float32') {
      throw new NotSupportedError(
          `Model input '${t.sourceLayer.name}' has shape ${JSON.stringify(t.shape)} and dtype ` +
          `${t.dtype}; the converter needs float32 inputs with fixed sizes except the batch.`);
    }
    const irTensor = ir.tensor(t.sourceLayer.name, [1, ...shape as number[]]);
    tensors.set(t, irTensor);
    return irTensor;
  });
  for (const node of graph.nodes) {
    const layerInputs = node.inputs.map((t) => tensors.get(t)!);
    const layer = node.layer instanceof QuantizeAnnotate ? node.layer.layer : node.layer;
    let outputs: IrTensor[];
    if (layer instanceof QuantizeWrapper) {
      outputs = lowerWrapper(ir, layer, layerInputs);
    } else if (layer instanceof QuantizeLayer) {
      outputs = layerInputs;
      const range = rangeOf(layer.quantizerVariables());
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
  foldBatchNorms(result);
  fuseActivations(result);
  dropFlattenBeforeDense(result);
  shareConcatRanges(result);
  checkFiniteWeights(result);
  return result;
}
