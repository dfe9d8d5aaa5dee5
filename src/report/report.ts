/**
 * `report`: what an optimization did to a model's weights, per layer and
 * weight tensor (parameters, exact zeros, distinct values overall and per
 * output channel, bits per value) and for the whole model (parameters, raw
 * and gzipped bytes). Works on a tfjs LayersModel (plain, or wrapped for
 * pruning, clustering or QAT) and on .tflite bytes.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {gzipSync} from 'fflate';

import {describeValue, ValueError} from '../errors.js';
import {weightAttr} from '../graph/layer_attributes.js';
import {layerKind} from '../graph/layer_registry.js';
import {OptimizationWrapper} from '../graph/wrapper.js';
import {QuantizeLayer} from '../quantization/quantize_layer.js';
import {builtinOperatorName} from '../tflite/builtin_operators.js';
import {readModel} from '../tflite/reader.js';
import {Model, QuantizationParameters, tensorTypeName} from '../tflite/schema.js';

type Layer = tfl.layers.Layer;

/**
 * Bytes after gzip at level 6 (zlib's default). fflate, not node:zlib, so a
 * report gives the same sizes in a browser as in Node.
 */
export function gzippedSize(bytes: Uint8Array): number {
  return gzipSync(bytes, {level: 6}).length;
}

/** One weight tensor (a layer's variable, or a constant tensor of a .tflite file). */
export interface WeightReport {
  /**
   * The variable's name as created (`conv2d_Conv2D1/kernel`, without the `_1`
   * tfjs appends to duplicate names) or the TFLite tensor's name.
   */
  name: string;
  /** The tensor's shape. */
  shape: number[];
  /** `'float32'` (tfjs dtype) or the TFLite type (`'FLOAT32'`, `'FLOAT16'`, `'INT8'`, `'INT32'`, ...). */
  type: string;
  /** Bits per stored value: 32 for float32 and int32, 16 for float16, 8 for int8. */
  bits: number;
  /** Number of elements. */
  params: number;
  /** Stored bytes: params * 4 for a tfjs variable, the buffer's size in a .tflite file. */
  bytes: number;
  /** Values that are exactly zero (for a quantized tensor: equal to its zero point). */
  zeros: number;
  /** zeros / params. */
  sparsity: number;
  /** Distinct values in the whole tensor. */
  distinctValues: number;
  /**
   * Kernels only (weights of rank >= 2): the output channel axis, and the
   * largest number of distinct values within one output channel. Null for
   * biases and other vectors.
   */
  channelAxis: number|null;
  /**
   * The most distinct values in one output channel along `channelAxis`, or
   * null with it: per-channel clustering or quantization shows up here
   * while `distinctValues` still counts all channels together.
   */
  maxDistinctPerChannel: number|null;
}

/** One layer of a LayersModel, or one operator of a .tflite file, and its weights. */
export interface LayerReport {
  /** Layer name, or `<OP>#<index>` for a TFLite operator (e.g. `CONV_2D#0`). */
  name: string;
  /** Layer class (of the inner layer for a wrapper) or TFLite operator (`CONV_2D`). */
  kind: string;
  /** Elements of all its weights. */
  params: number;
  /** Exact zeros in all its weights (zero points for quantized ones). */
  zeros: number;
  /** zeros / params, 0 for a layer without parameters. */
  sparsity: number;
  /** Its weight tensors, in the layer's order (or the operator's input order). */
  weights: WeightReport[];
}

/** The whole model. */
export interface ModelReport {
  /** What was measured: a tfjs LayersModel or the bytes of a .tflite file. */
  source: 'LayersModel'|'TFLite';
  /** The model's name, or `'.tflite'` for bytes. */
  name: string;
  /**
   * Layers with weights (nested models flattened), or TFLite operators that
   * read constant tensors in operator order, plus an `(unused)` entry for
   * constants no operator reads.
   */
  layers: LayerReport[];
  /** Elements of all reported weights. */
  totalParams: number;
  /** Exact zeros in all reported weights. */
  zeros: number;
  /** Zeros over all reported weights (biases included). */
  sparsity: number;
  /** Bytes of all reported weights as stored (float32 for a LayersModel). */
  weightBytes: number;
  /** A LayersModel: the weights at float32 (params * 4). A .tflite file: the file's size. */
  rawBytes: number;
  /** gzip (fflate, level 6, the same in Node and browsers) of the file, or of the concatenated float32 weights of a LayersModel. */
  gzippedBytes: number;
  /** What rawBytes and gzippedBytes measure, in words. */
  sizeNote: string;
}

/** The values of one weight tensor, ready to measure. */
interface WeightValues {
  name: string;
  shape: number[];
  type: string;
  bits: number;
  bytes: number;
  /** Numbers (or bigints for INT64) per element; zero test; channel axis. */
  values: ArrayLike<number|bigint>;
  isZero: (value: number|bigint, index: number) => boolean;
  /** Normalizes a value for counting distinct ones (e.g. -0 and +0 of float16). */
  key?: (value: number|bigint) => number|bigint;
  channelAxis: number|null;
  /** Shape used to find the channel of an element (depthwise kernels merge two axes). */
  channelShape?: number[];
}

const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function measure(w: WeightValues): WeightReport {
  const n = w.values.length;
  const key = w.key ?? ((v: number|bigint) => v);
  let zeros = 0;
  const all = new Set<number|bigint>();
  for (let i = 0; i < n; i++) {
    const v = w.values[i];
    if (w.isZero(v, i)) {
      zeros++;
    }
    all.add(key(v));
  }
  let maxDistinctPerChannel: number|null = null;
  if (w.channelAxis != null && n > 0) {
    const shape = w.channelShape ?? w.shape;
    const channels = shape[w.channelAxis];
    const stride = product(shape.slice(w.channelAxis + 1));
    const perChannel = Array.from({length: channels}, () => new Set<number|bigint>());
    for (let i = 0; i < n; i++) {
      perChannel[Math.floor(i / stride) % channels].add(key(w.values[i]));
    }
    maxDistinctPerChannel = Math.max(...perChannel.map((s) => s.size));
  }
  return {
    name: w.name, shape: w.shape, type: w.type, bits: w.bits, params: n, bytes: w.bytes, zeros,
    sparsity: n > 0 ? zeros / n : 0, distinctValues: all.size, channelAxis: w.channelAxis,
    maxDistinctPerChannel,
  };
}

function layerReport(name: string, kind: string, weights: WeightReport[]): LayerReport {
  const params = weights.reduce((s, w) => s + w.params, 0);
  const zeros = weights.reduce((s, w) => s + w.zeros, 0);
  return {name, kind, params, zeros, sparsity: params > 0 ? zeros / params : 0, weights};
}

function modelTotals(layers: LayerReport[]) {
  const totalParams = layers.reduce((s, l) => s + l.params, 0);
  const zeros = layers.reduce((s, l) => s + l.zeros, 0);
  const weightBytes = layers.reduce((s, l) => s + l.weights.reduce((b, w) => b + w.bytes, 0), 0);
  return {totalParams, zeros, sparsity: totalParams > 0 ? zeros / totalParams : 0, weightBytes};
}

// ---------------------------------------------------------------- LayersModel

/**
 * The weights a layer computes with, as plain arrays: a wrapper shows what
 * its stripped layer holds (a ClusterWeights its clustered values, a
 * PruneLowMagnitude its masked ones, a QuantizeWrapper its float weights
 * and those of a folded BatchNorm). Masks, centroids and quantizer ranges,
 * the wrappers' own variables, are not model weights and are left out.
 */
function layerWeights(layer: Layer): {kind: string, weights: Array<{name: string, shape: number[],
    channelShape: number[], values: Float32Array|Int32Array|Uint8Array}>} {
  if (layer instanceof QuantizeLayer) {
    return {kind: layer.getClassName(), weights: []};
  }
  const layers = layer instanceof OptimizationWrapper ? layer.wrappedLayers() : [layer];
  const weights = layers.flatMap((l) => tf.tidy(() => {
    const values = layer instanceof OptimizationWrapper && l === layer.layer ?
        layer.strippedWeights() : l.weights.map((v) => v.read());
    return l.weights.map((v, i) => {
      const shape = v.shape as number[];
      // Keras layouts put output channels last, except where the layer's
      // record says they span axes (a depthwise kernel's in * multiplier).
      const spec = layerKind(l)?.weights?.find((w) => w.attr === weightAttr(l, v));
      return {name: v.originalName, shape, channelShape: spec?.channelShape?.(shape) ?? shape,
        values: values[i].dataSync() as Float32Array};
    });
  }));
  return {kind: layers.map((l) => l.getClassName()).join('+'), weights};
}

function flattenLayers(model: tfl.LayersModel): Layer[] {
  return model.layers.flatMap((l) => l instanceof tfl.LayersModel ? flattenLayers(l) : [l]);
}

function reportLayersModel(model: tfl.LayersModel): ModelReport {
  const layers: LayerReport[] = [];
  const chunks: Uint8Array[] = [];
  for (const layer of flattenLayers(model)) {
    const {kind, weights} = layerWeights(layer);
    if (weights.length === 0) {
      continue;
    }
    layers.push(layerReport(layer.name, kind, weights.map((w) => {
      const asFloat = Float32Array.from(w.values);
      chunks.push(new Uint8Array(asFloat.buffer));
      return measure({name: w.name, shape: w.shape, type: 'float32', bits: 32, bytes: 4 * w.values.length,
        values: asFloat, isZero: (v) => v === 0, channelAxis: w.shape.length >= 2 ? w.channelShape.length - 1 : null,
        channelShape: w.channelShape});
    })));
  }
  const totals = modelTotals(layers);
  const all = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.length;
  }
  return {source: 'LayersModel', name: model.name, layers, ...totals, rawBytes: totals.totalParams * 4,
    gzippedBytes: gzippedSize(all),
    sizeNote: 'float32 weights, concatenated, no model.json'};
}

// ---------------------------------------------------------------- TFLite

/** Output-channel axis of an operator's weight input (input #1). */
const WEIGHT_CHANNEL_AXIS: Record<string, number> = {
  CONV_2D: 0, FULLY_CONNECTED: 0, TRANSPOSE_CONV: 0, CONV_3D: 4, DEPTHWISE_CONV_2D: 3,
};

const TYPE_BITS: Record<string, number> = {
  FLOAT32: 32, FLOAT16: 16, INT32: 32, UINT8: 8, INT64: 64, BOOL: 8, INT16: 16, INT8: 8, FLOAT64: 64,
  UINT64: 64, UINT32: 32, UINT16: 16, INT4: 4, BFLOAT16: 16,
};

/** The elements of a buffer as numbers (float16 as raw bits), copied to an aligned array. */
function elements(data: Uint8Array, type: string): ArrayLike<number|bigint>|null {
  const copy = data.slice().buffer;
  switch (type) {
    case 'FLOAT32': return new Float32Array(copy);
    case 'FLOAT64': return new Float64Array(copy);
    case 'FLOAT16': case 'BFLOAT16': case 'UINT16': return new Uint16Array(copy);
    case 'INT16': return new Int16Array(copy);
    case 'INT32': return new Int32Array(copy);
    case 'UINT32': return new Uint32Array(copy);
    case 'INT64': return new BigInt64Array(copy);
    case 'UINT64': return new BigUint64Array(copy);
    case 'INT8': return new Int8Array(copy);
    case 'UINT8': case 'BOOL': return new Uint8Array(copy);
    default: return null;  // INT4 (packed), strings, ...: sizes only
  }
}

/** Zero test of element i: the zero point of its channel for quantized integers, else 0 (either sign). */
function zeroTest(type: string, shape: number[], q: QuantizationParameters|undefined):
    (v: number|bigint, i: number) => boolean {
  if (type === 'FLOAT16' || type === 'BFLOAT16') {
    return (v) => v === 0 || v === 0x8000;
  }
  const zp = q?.zeroPoint ?? [];
  if (zp.length > 1) {
    const axis = q!.quantizedDimension;
    const stride = product(shape.slice(axis + 1));
    return (v, i) => Number(v) === zp[Math.floor(i / stride) % zp.length];
  }
  const z = zp.length === 1 ? zp[0] : 0;
  return (v) => Number(v) === z;
}

function reportTflite(bytes: Uint8Array): ModelReport {
  const model: Model = readModel(bytes);
  const graph = model.subgraphs[0];
  const opName = (opIndex: number) => {
    const code = model.operatorCodes[graph.operators[opIndex].opcodeIndex];
    return code.customCode != null ? `CUSTOM:${code.customCode}` :
        builtinOperatorName(code.builtinCode) ?? `UNKNOWN(${code.builtinCode})`;
  };
  const consumers = (tensor: number) => graph.operators.flatMap((op, i) =>
    op.inputs.includes(tensor) ? [{op: i, position: op.inputs.indexOf(tensor)}] : []);
  // A constant's layer: the operator reading it; through DEQUANTIZE (float16
  // weights) the operator reading the dequantized tensor.
  const groups = new Map<number, WeightReport[]>();
  const orphans: WeightReport[] = [];
  graph.tensors.forEach((t, index) => {
    const data = model.buffers[t.buffer]?.data;
    if (t.buffer === 0 || data == null || data.length === 0) {
      return;
    }
    let user = consumers(index)[0];
    if (user != null && opName(user.op) === 'DEQUANTIZE') {
      const dequantized = graph.operators[user.op].outputs[0];
      user = consumers(dequantized)[0] ?? user;
    }
    const type = tensorTypeName(t.type);
    const values = elements(data, type);
    const params = values?.length ?? product(t.shape);
    let channelAxis: number|null = null;
    if (user != null && user.position === 1 && opName(user.op) in WEIGHT_CHANNEL_AXIS && t.shape.length >= 2) {
      channelAxis = WEIGHT_CHANNEL_AXIS[opName(user.op)];
    } else if (t.shape.length >= 2 && (t.quantization?.scale.length ?? 0) > 1) {
      channelAxis = t.quantization!.quantizedDimension;
    }
    const weight = values == null ?
      {name: t.name, shape: t.shape, type, bits: TYPE_BITS[type] ?? Math.round(8 * data.length / params),
        params, bytes: data.length, zeros: 0, sparsity: 0, distinctValues: 0, channelAxis: null,
        maxDistinctPerChannel: null} :
      measure({name: t.name, shape: t.shape, type, bits: TYPE_BITS[type], bytes: data.length, values,
        isZero: zeroTest(type, t.shape, t.quantization),
        key: type === 'FLOAT16' || type === 'BFLOAT16' ? (v) => v === 0x8000 ? 0 : v : undefined,
        channelAxis: channelAxis != null && channelAxis < t.shape.length ? channelAxis : null});
    if (user == null) {
      orphans.push(weight);
    } else {
      groups.set(user.op, [...(groups.get(user.op) ?? []), weight]);
    }
  });
  const layers = [...groups.entries()].sort(([a], [b]) => a - b)
      .map(([op, weights]) => layerReport(`${opName(op)}#${op}`, opName(op), weights));
  if (orphans.length > 0) {
    layers.push(layerReport('(unused)', '-', orphans));
  }
  return {source: 'TFLite', name: '.tflite', layers, ...modelTotals(layers), rawBytes: bytes.length,
    gzippedBytes: gzippedSize(bytes), sizeNote: 'the file'};
}

// ---------------------------------------------------------------- public

/**
 * Per-layer and whole-model statistics of a model's weights: parameters,
 * sparsity (exact zeros), distinct values (per tensor, and the most in one
 * output channel of a kernel), bits per value, and raw and gzipped sizes.
 *
 * A LayersModel is read as it computes: pruning, clustering and QAT wrappers
 * are unwrapped to their inner layer's weights (clustered values for
 * ClusterWeights); its sizes are those of its float32 weights. For .tflite
 * bytes every constant tensor is reported with its stored type, grouped by
 * the operator reading it, and the sizes are those of the file.
 *
 * ```ts
 * console.log(tfmot.formatReport(tfmot.report(model)));
 * console.log(tfmot.formatReport(tfmot.report(await converter.convert())));
 * ```
 *
 * @throws ValueError for anything else, or bytes that are not a TFLite file.
 */
export function report(model: tfl.LayersModel|Uint8Array|ArrayBuffer): ModelReport {
  if (model instanceof tfl.LayersModel) {
    return reportLayersModel(model);
  }
  if (model instanceof Uint8Array) {
    return reportTflite(model);
  }
  if (model instanceof ArrayBuffer) {
    return reportTflite(new Uint8Array(model));
  }
  throw new ValueError(`report expects a tfjs LayersModel or the bytes of a .tflite file (Uint8Array); ` +
      `received ${describeValue(model)}.`);
}
