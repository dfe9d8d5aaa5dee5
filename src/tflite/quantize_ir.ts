/**
 * Quantization of the float IR for each converter mode. Full integer: every
 * activation gets int8 (or int16) parameters from its range, weights int8
 * per channel, biases int32 (int64) with scale = input scale x weight scale,
 * fixed parameters after softmax/logistic/tanh, equal parameters across ops
 * that need them, and QUANTIZE/DEQUANTIZE at float inputs and outputs.
 */
import {NotSupportedError, ValueError} from '../errors.js';
import {IrGraph, IrOp, IrQuantization, IrTensor} from '../graph/ir.js';
import {opKind} from './op_registry.js';
import type {ActivationType} from './ops/op_kind.js';
import {atLeastMinScale, fromFloat16Bits, int16Params, int8Params, quantizeWeights, roundHalfAway, symmetricScales,
  toFloat16Bits} from './quant_params.js';

/** Types the model's inputs and outputs may have in full-integer mode. */
export type IoType = 'float32'|'int8'|'uint8'|'int16';

/** The quantized output keeps its input's parameters (the TFLite int8 spec, for ops that move or select values). */
export const keepsInputParams = (op: IrOp) => opKind(op.type).outputParams === 'input';

/** The kernel's per-channel axis of a weighted op (null: per tensor), undefined for other ops. */
const weightChannelAxis = (op: IrOp) => opKind(op.type).weightChannelAxis;

const sameParams = (a: IrQuantization, b: IrQuantization) =>
  a.scale[0] === b.scale[0] && a.zeroPoint[0] === b.zeroPoint[0];

/** Makes `params` the parameters of tensor `t`, inserting a requantize if it has others. */
function requantizeInto(graph: IrGraph, op: IrOp, index: number, params: IrQuantization,
    activation: ActivationType): void {
  const t = op.inputs[index]!;
  if (sameParams(t.quantization!, params)) {
    return;
  }
  const copy: IrTensor = {id: graph.tensors.length, name: `${t.name}/requantized`,
    shape: [...t.shape], dtype: activation, quantization: params};
  graph.tensors.push(copy);
  graph.ops.splice(graph.ops.indexOf(op), 0,
      {type: 'QUANTIZE', inputs: [t], outputs: [copy], options: {}, activation: 'NONE', source: op.source});
  op.inputs[index] = copy;
}

/** The real interval a quantized tensor can hold. */
function representable(q: IrQuantization, activation: ActivationType): [number, number] {
  const [lo, hi] = activation === 'int8' ? [-128, 127] : [-32767, 32767];
  return [(lo - q.zeroPoint[0]) * q.scale[0], (hi - q.zeroPoint[0]) * q.scale[0]];
}

/**
 * A range for an ADD or MUL output that has none in a QAT model (the
 * intermediate sums of a 3-input Add, or an op by per-channel constants), by
 * interval arithmetic over what its inputs can hold: wide enough never to clip.
 */
function derivedRange(op: IrOp, activation: ActivationType): [number, number]|undefined {
  const combine = opKind(op.type).combineEnds;
  if (combine == null) {
    return undefined;
  }
  const intervals: Array<Array<[number, number]>> = [];
  for (const t of op.inputs) {
    if (t?.data instanceof Float32Array) {
      intervals.push(Array.from(t.data, (v): [number, number] => [v, v]));
    } else if (t?.quantization != null && t.data == null) {
      intervals.push([representable(t.quantization, activation)]);
    } else {
      return undefined;
    }
  }
  let min = Infinity;
  let max = -Infinity;
  for (const [lo1, hi1] of intervals[0]) {
    for (const [lo2, hi2] of intervals[1]) {
      const ends = combine([lo1, hi1], [lo2, hi2]);
      min = Math.min(min, ...ends);
      max = Math.max(max, ...ends);
    }
  }
  return [min, max];
}

function quantizeActivations(graph: IrGraph, activation: ActivationType): void {
  const paramsOf = (range: [number, number]|undefined, t: IrTensor, source: string): IrQuantization => {
    if (range == null) {
      throw new ValueError(
          `No range for tensor '${t.name}' (from layer '${source}'): full-integer export ` +
          `needs a representativeDataset, or a QAT model whose quantizers cover this tensor ` +
          `and have seen training data.`);
    }
    if (!range.every(Number.isFinite)) {
      throw new ValueError(`Tensor '${t.name}' (from layer '${source}') has the range [${range.join(', ')}]: its values ` +
          `overflow float32, so no scale can represent them. Scale the layer's weights or inputs down.`);
    }
    return activation === 'int8' ? int8Params(range[0], range[1]) : int16Params(range[0], range[1]);
  };
  for (const t of graph.inputs.filter((i) => i.dtype !== 'int32')) {  // Embedding indices stay int32.
    t.quantization = paramsOf(t.range, t, t.name);
    t.dtype = activation;
  }
  for (const op of [...graph.ops]) {
    const out = op.outputs[0];
    const {outputParams, inputsTakeOutputParams} = opKind(op.type);
    out.dtype = activation;
    if (typeof outputParams === 'function') {
      out.quantization = outputParams(activation);
    } else if (outputParams === 'input') {
      if (op.inputs[0]!.data instanceof Float32Array) {
        quantizeTable(op.inputs[0]!, activation);
      }
      out.quantization = {...op.inputs[0]!.quantization!};
      if (out.range != null) {
        // A QAT range of its own (e.g. average pooling): the op keeps its
        // input's parameters, as TFLite requires, and a requantize follows.
        requantizeOutput(graph, op, paramsOf(out.range, out, op.source), activation);
      }
    } else {
      out.quantization = paramsOf(out.range ?? derivedRange(op, activation), out, op.source);
    }
    if (inputsTakeOutputParams) {
      op.inputs.forEach((_, i) => requantizeInto(graph, op, i, out.quantization!, activation));
    }
  }
}

/**
 * A constant an op selects from (GATHER's table): stored in the activation
 * type, symmetric per tensor, since the op's output keeps its parameters.
 * For a QAT table (already on a symmetric narrow-range grid of scale
 * max|w| / 127) this is the grid it was trained on.
 */
function quantizeTable(t: IrTensor, activation: ActivationType): void {
  const data = t.data as Float32Array;
  const qmax = activation === 'int8' ? 127 : 32767;
  const maxAbs = data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const scale = maxAbs > 0 ? atLeastMinScale(maxAbs / qmax) : 1;
  const values = Array.from(data, (v) => Math.max(-qmax, Math.min(qmax, roundHalfAway(v / scale))));
  t.data = activation === 'int8' ? Int8Array.from(values) : Int16Array.from(values);
  t.dtype = activation;
  t.quantization = {scale: [scale], zeroPoint: [0], quantizedDimension: 0};
}

/** Gives op's output tensor `params` through a QUANTIZE after the op. */
function requantizeOutput(graph: IrGraph, op: IrOp, params: IrQuantization,
    activation: ActivationType): void {
  const out = op.outputs[0];
  if (sameParams(out.quantization!, params)) {
    return;
  }
  const raw: IrTensor = {id: graph.tensors.length, name: `${out.name}/unscaled`, shape: [...out.shape],
    dtype: activation, quantization: out.quantization};
  graph.tensors.push(raw);
  op.outputs = [raw];
  out.quantization = params;
  graph.ops.splice(graph.ops.indexOf(op) + 1, 0,
      {type: 'QUANTIZE', inputs: [raw], outputs: [out], options: {}, activation: 'NONE', source: op.source});
}

const INT32_MAX = 2 ** 31 - 1;
/**
 * The int64 bias limit of 16x8: LiteRT's 16x8 kernels multiply the int64
 * accumulator by a 16-bit multiplier, so it must stay well below 2^47.
 */
const INT64_LIMIT = 2 ** 40;

/**
 * Weight scales raised where the bias would not fit int32 (int64 in 16x8) at input x weight
 * scale (tiny weights beside a large bias, or a BatchNorm with gamma near 0):
 * as TFLite's quantizer does, the weights get a coarser grid rather than the
 * bias wrapping around.
 */
function scalesFittingBias(scales: number[], bias: Float32Array, inScale: number, limit: number): number[] {
  const adjusted = [...scales];
  for (let c = 0; c < bias.length; c++) {
    const i = scales.length === 1 ? 0 : c;
    // Float32 rounding of the stored scale must not push the bias back over the limit.
    const needed = Math.abs(bias[c]) / (inScale * limit) * (1 + 1e-6);
    if (adjusted[i] < needed) {
      adjusted[i] = Math.fround(needed * (1 + 1e-6));
    }
  }
  return adjusted;
}

/** Weights int8 (per channel for conv), bias int32/int64 at input x weight scale. */
function quantizeConstants(graph: IrGraph, activation: ActivationType): void {
  for (const op of graph.ops) {
    const axis = weightChannelAxis(op);
    if (axis !== undefined) {
      const [x, w, b] = op.inputs;
      if (!(w?.data instanceof Float32Array)) {
        continue;  // Shared with an op handled before: quantized already.
      }
      const data = w.data;
      const q = w.quantization ??
          {scale: symmetricScales(data, w.shape, axis), zeroPoint: [], quantizedDimension: axis ?? 0};
      // QAT scales too: a weight trained near 0 can leave a subnormal one.
      q.scale = q.scale.map(atLeastMinScale);
      if (b != null) {
        q.scale = scalesFittingBias(q.scale, b.data as Float32Array, x!.quantization!.scale[0],
            activation === 'int8' ? INT32_MAX : INT64_LIMIT);
      }
      q.zeroPoint = q.scale.map(() => 0);
      w.data = quantizeWeights(data, w.shape, q);
      w.quantization = q;
      w.dtype = 'int8';
      if (b != null) {
        const inScale = x!.quantization!.scale[0];
        const scales = q.scale;
        const bias = b.data as Float32Array;
        const values = Array.from(bias, (v, c) => roundHalfAway(v / (inScale * scales[scales.length === 1 ? 0 : c])));
        if (!values.every(Number.isFinite)) {
          throw new ValueError(`Layer '${op.source}': bias '${b.name}' cannot be quantized at input scale ` +
              `${inScale} x weight scale (${scales.length === 1 ? scales[0] : 'per channel'}); its input or ` +
              `weights are too large for float32.`);
        }
        b.data = activation === 'int8' ? Int32Array.from(values) :
            BigInt64Array.from(values, (v) => BigInt(v));
        b.dtype = activation === 'int8' ? 'int32' : 'int64';
        b.quantization = {scale: scales.map((s) => inScale * s), zeroPoint: scales.map(() => 0),
          quantizedDimension: 0};
      }
      continue;
    }
    // Other float constants (a standalone BatchNorm's MUL/ADD operands).
    for (const t of op.inputs) {
      if (t?.data instanceof Float32Array) {
        const lo = t.data.reduce((a, v) => Math.min(a, v), 0);
        const hi = t.data.reduce((a, v) => Math.max(a, v), 0);
        if (activation === 'int16') {
          const q = int16Params(lo, hi);
          t.data = Int16Array.from(t.data, (v) => Math.max(-32767, Math.min(32767, roundHalfAway(v / q.scale[0]))));
          t.quantization = q;
          t.dtype = 'int16';
        } else {
          const q = int8Params(lo, hi);
          t.data = Int8Array.from(t.data, (v) =>
            Math.max(-128, Math.min(127, roundHalfAway(v / q.scale[0]) + q.zeroPoint[0])));
          t.quantization = q;
          t.dtype = 'int8';
        }
      }
    }
  }
}

/** Float (or uint8) model inputs/outputs around the integer graph. */
function wrapIo(graph: IrGraph, inputType: IoType, outputType: IoType, activation: ActivationType): void {
  const convert = (t: IrTensor, type: IoType, isInput: boolean): IrTensor => {
    if (type === activation) {
      return t;
    }
    if (type === 'int16' || (type !== 'float32' && activation === 'int16')) {
      throw new NotSupportedError(
          `inference${isInput ? 'Input' : 'Output'}Type '${type}' does not go with ` +
          `${activation} activations; use 'float32' or '${activation}'.`);
    }
    const outer: IrTensor = {id: graph.tensors.length, name: `${t.name}/${type}`, shape: [...t.shape],
      dtype: type as IrTensor['dtype']};
    if (type === 'uint8') {
      const q = t.quantization!;
      outer.quantization = {...q, zeroPoint: [q.zeroPoint[0] + 128]};
    }
    graph.tensors.push(outer);
    const op: IrOp = {type: isInput ? 'QUANTIZE' : (type === 'float32' ? 'DEQUANTIZE' : 'QUANTIZE'),
      inputs: [isInput ? outer : t], outputs: [isInput ? t : outer], options: {}, activation: 'NONE',
      source: t.name};
    if (isInput) {
      graph.ops.unshift(op);
    } else {
      graph.ops.push(op);
    }
    return outer;
  };
  graph.inputs = graph.inputs.map((t) => t.dtype === 'int32' ? t : convert(t, inputType, true));
  graph.outputs = graph.outputs.map((t) => convert(t, outputType, false));
}

/** Fails, naming the layer, for an op TFLite has no `activation` kernel for. */
function checkIntegerKernels(graph: IrGraph, activation: ActivationType): void {
  for (const op of graph.ops) {
    const kernels = opKind(op.type).integerKernels;
    if (kernels != null && !kernels.includes(activation)) {
      const mode = activation === 'int16' ? '16x8' : 'int8';
      throw new NotSupportedError(
          `Layer '${op.source}' lowers to ${op.type}, which TFLite runs in float32 and ` +
          `${kernels.join(', ')} only: ${mode} export cannot hold it; no file was written. Export this ` +
          `model in float32, float16, dynamic range${kernels.includes('int8') ? ' or int8' : ''}.`);
    }
  }
}

/**
 * Full-integer quantization in place: all activations `activation`, weights
 * int8. Every activation tensor needs a range (QAT or calibration).
 */
export function quantizeFullInteger(graph: IrGraph, activation: ActivationType,
    inputType: IoType, outputType: IoType): void {
  checkIntegerKernels(graph, activation);
  quantizeActivations(graph, activation);
  quantizeConstants(graph, activation);
  wrapIo(graph, inputType, outputType, activation);
}

/**
 * Dynamic-range quantization in place: conv/dense weights int8, everything
 * else float; TFLite's hybrid kernels quantize activations on the fly.
 * Like TFLite, weights under `minElements` stay float (not worth it).
 */
export function quantizeDynamicRange(graph: IrGraph, minElements = 1024): void {
  for (const op of graph.ops) {
    const axis = weightChannelAxis(op);
    const w = op.inputs[1];
    // A standalone BatchNorm's per-channel scale (a 1x1 depthwise) stays
    // float: TFLite keeps it a float MUL, and a hybrid kernel would quantize
    // the activations to int8 on the fly for a few bytes per channel.
    // Float32Array only: a weight shared with an op already handled is int8 by now.
    if (axis === undefined || !(w?.data instanceof Float32Array) || w.data.length < minElements ||
        op.options['batchNorm'] || opKind(op.type).noHybridKernel) {
      continue;
    }
    const data = w.data;
    const scale = symmetricScales(data, w.shape, axis);
    w.quantization = {scale, zeroPoint: scale.map(() => 0), quantizedDimension: axis ?? 0};
    w.data = quantizeWeights(data, w.shape, w.quantization);
    w.dtype = 'int8';
    if (op.type === 'FULLY_CONNECTED') {
      op.options['asymmetricQuantizeInputs'] = true;
    }
  }
}

/**
 * The IEEE half bits of `data`, or null when float16 cannot hold the tensor
 * about as well as it holds any normal number: a value overflows to
 * Infinity (|v| >= 65520), or the rounding error exceeds half a float16 step
 * at the tensor's largest magnitude (2^-11 of it), which only happens when
 * the whole tensor sits in float16's subnormal range (max |v| < 2^-14) and
 * would lose most of its bits or flush to zero.
 */
export function float16IfFaithful(data: Float32Array): Uint16Array|null {
  const bits = new Uint16Array(data.length);
  let maxAbs = 0;
  let maxError = 0;
  for (let i = 0; i < data.length; i++) {
    const h = toFloat16Bits(data[i]);
    const back = fromFloat16Bits(h);
    if (!Number.isFinite(back)) {
      return null;
    }
    bits[i] = h;
    maxAbs = Math.max(maxAbs, Math.abs(data[i]));
    maxError = Math.max(maxError, Math.abs(back - data[i]));
  }
  return maxError <= maxAbs * 2 ** -11 ? bits : null;
}

/**
 * float16 mode in place: float constants stored as halves, DEQUANTIZEd at
 * load, as TFLite's converter does. A constant float16 cannot hold (see
 * {@link float16IfFaithful}) stays float32 and is read directly: TFLite
 * clamps such weights to +-65504 (or flushes them to zero), which changes
 * what the model computes; a float32 tensor costs only its extra bytes.
 */
export function convertToFloat16(graph: IrGraph): void {
  for (const op of [...graph.ops]) {
    op.inputs.forEach((t) => {
      if (!(t?.data instanceof Float32Array)) {
        return;
      }
      const bits = float16IfFaithful(t.data);
      if (bits == null) {
        return;
      }
      const half: IrTensor = {id: graph.tensors.length, name: `${t.name}/fp16`, shape: [...t.shape],
        dtype: 'float16', data: bits, role: t.role};
      graph.tensors.push(half);
      graph.ops.splice(graph.ops.indexOf(op), 0, {type: 'DEQUANTIZE', inputs: [half], outputs: [t],
        options: {}, activation: 'NONE', source: op.source});
      delete t.data;
      delete t.role;
    });
  }
}
