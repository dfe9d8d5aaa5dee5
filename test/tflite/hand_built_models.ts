/**
 * Small TFLite models written by hand with the schema types (no converter),
 * each with a plain-JS reference of what it computes, for the writer, reader,
 * inspect and LiteRT tests.
 */
import {bytesOf, ModelBuilder} from '../../src/tflite/model_builder.js';
import {ActivationFunctionType, BuiltinOperator, Model, Padding, PaddingCode, TensorType} from '../../src/tflite/schema.js';

/** Deterministic uniform numbers in [lo, hi) (mulberry32). */
export function seededUniform(seed: number): (lo: number, hi: number) => number {
  let state = seed >>> 0;
  return (lo, hi) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  };
}

/** `n` float32 values in [lo, hi). */
export function randomFloats(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const uniform = seededUniform(seed);
  return Float32Array.from({length: n}, () => uniform(lo, hi));
}

/** Round half away from zero, as TFLite's integer kernels do. */
export function roundHalfAway(v: number): number {
  return Math.sign(v) * Math.round(Math.abs(v));
}

/**
 * ADD of two float32 [1, 4] inputs, written as a raw `Model` literal to show
 * every field a minimal valid file has.
 */
export function addModel(): Model {
  const tensor = (name: string) => ({shape: [1, 4], type: TensorType.FLOAT32, buffer: 0, name});
  return {
    version: 3,
    description: 'hand-built ADD',
    operatorCodes: [{builtinCode: BuiltinOperator.ADD, version: 1}],
    subgraphs: [{
      tensors: [tensor('x'), tensor('y'), tensor('sum')],
      inputs: [0, 1],
      outputs: [2],
      operators: [{opcodeIndex: 0, inputs: [0, 1], outputs: [2],
        builtinOptions: {type: 'AddOptions', fusedActivationFunction: ActivationFunctionType.NONE, potScaleInt16: true}}],
      name: 'main',
    }],
    buffers: [{data: new Uint8Array(0)}],
    signatureDefs: [{
      inputs: [{name: 'x', tensorIndex: 0}, {name: 'y', tensorIndex: 1}],
      outputs: [{name: 'sum', tensorIndex: 2}],
      signatureKey: 'serving_default',
      subgraphIndex: 0,
    }],
  };
}

/** Dense layer data: weights [units, inputs] (TFLite's layout) and bias [units]. */
export interface DenseWeights {
  weights: Float32Array;
  bias: Float32Array;
  units: number;
  inputs: number;
}

export function denseWeights(units: number, inputs: number, seed: number): DenseWeights {
  return {weights: randomFloats(units * inputs, seed), bias: randomFloats(units, seed + 1, -0.5, 0.5), units, inputs};
}

/** FULLY_CONNECTED (float32, version 1) of a [batch, inputs] input with a fused RELU. */
export function fullyConnectedReluModel(w: DenseWeights, batch: number): Model {
  const b = new ModelBuilder('hand-built FULLY_CONNECTED + RELU');
  const x = b.tensor({name: 'x', shape: [batch, w.inputs], type: TensorType.FLOAT32});
  const weights = b.tensor({name: 'dense/kernel', shape: [w.units, w.inputs], type: TensorType.FLOAT32,
    data: bytesOf(w.weights)});
  const bias = b.tensor({name: 'dense/bias', shape: [w.units], type: TensorType.FLOAT32, data: bytesOf(w.bias)});
  const y = b.tensor({name: 'y', shape: [batch, w.units], type: TensorType.FLOAT32});
  b.operator('FULLY_CONNECTED', 1, [x, weights, bias], [y], {type: 'FullyConnectedOptions',
    fusedActivationFunction: ActivationFunctionType.RELU, weightsFormat: 0, keepNumDims: false,
    asymmetricQuantizeInputs: false, quantizedBiasType: 0});
  return b.build([x], [y]);
}

/** Float dense layer x W^T + b, row by row, with an optional RELU (the reference of `fullyConnectedReluModel`). */
export function denseReference(w: DenseWeights, x: Float32Array, relu: boolean): Float32Array {
  const batch = x.length / w.inputs;
  const y = new Float32Array(batch * w.units);
  for (let n = 0; n < batch; n++) {
    for (let o = 0; o < w.units; o++) {
      let acc = w.bias[o];
      for (let i = 0; i < w.inputs; i++) {
        acc += x[n * w.inputs + i] * w.weights[o * w.inputs + i];
      }
      y[n * w.units + o] = relu ? Math.max(0, acc) : acc;
    }
  }
  return y;
}

/** Quantization of the int8 dense model; scales already float32 (`Math.fround`), as stored. */
export interface Int8DenseParams {
  inScale: number;
  inZeroPoint: number;
  weightScale: number;
  outScale: number;
  outZeroPoint: number;
  /** Symmetric int8 weights in [-127, 127], [units, inputs]. */
  weights: Int8Array;
  /** int32 bias with scale inScale * weightScale. */
  bias: Int32Array;
}

/** Quantizes `w` per tensor as the TFLite spec says, with given activation ranges. */
export function int8DenseParams(w: DenseWeights, inRange: [number, number], outRange: [number, number]):
    Int8DenseParams {
  const asymmetric = ([lo, hi]: [number, number]) => {
    const scale = Math.fround((hi - lo) / 255);
    return {scale, zeroPoint: Math.max(-128, Math.min(127, roundHalfAway(-128 - lo / scale)))};
  };
  const input = asymmetric(inRange);
  const output = asymmetric(outRange);
  const maxAbs = w.weights.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const weightScale = Math.fround(maxAbs / 127);
  const biasScale = Math.fround(input.scale * weightScale);
  return {
    inScale: input.scale, inZeroPoint: input.zeroPoint, weightScale, outScale: output.scale,
    outZeroPoint: output.zeroPoint,
    weights: Int8Array.from(w.weights, (v) => roundHalfAway(v / weightScale)),
    bias: Int32Array.from(w.bias, (v) => roundHalfAway(v / biasScale)),
  };
}

/**
 * int8 FULLY_CONNECTED (version 4) of [1, inputs] with per-tensor int8
 * weights and int32 bias. `floatIo` wraps it in QUANTIZE / DEQUANTIZE
 * (version 2) so the model takes and returns float32; otherwise its input and
 * output are the int8 tensors.
 */
export function int8DenseModel(w: DenseWeights, q: Int8DenseParams, floatIo: boolean): Model {
  const b = new ModelBuilder(`hand-built int8 FULLY_CONNECTED, ${floatIo ? 'float' : 'int8'} I/O`);
  const perTensor = (scale: number, zeroPoint: number) => ({scale: [scale], zeroPoint: [zeroPoint], quantizedDimension: 0});
  const xq = b.tensor({name: 'x_int8', shape: [1, w.inputs], type: TensorType.INT8,
    quantization: perTensor(q.inScale, q.inZeroPoint)});
  const weights = b.tensor({name: 'dense/kernel', shape: [w.units, w.inputs], type: TensorType.INT8,
    data: bytesOf(q.weights), quantization: perTensor(q.weightScale, 0)});
  const bias = b.tensor({name: 'dense/bias', shape: [w.units], type: TensorType.INT32, data: bytesOf(q.bias),
    quantization: perTensor(Math.fround(q.inScale * q.weightScale), 0)});
  const yq = b.tensor({name: 'y_int8', shape: [1, w.units], type: TensorType.INT8,
    quantization: perTensor(q.outScale, q.outZeroPoint)});
  let input = xq;
  let output = yq;
  if (floatIo) {
    input = b.tensor({name: 'x', shape: [1, w.inputs], type: TensorType.FLOAT32});
    b.operator('QUANTIZE', 2, [input], [xq], {type: 'QuantizeOptions'});
  }
  b.operator('FULLY_CONNECTED', 4, [xq, weights, bias], [yq], {type: 'FullyConnectedOptions',
    fusedActivationFunction: ActivationFunctionType.NONE, weightsFormat: 0, keepNumDims: false,
    asymmetricQuantizeInputs: false, quantizedBiasType: 0});
  if (floatIo) {
    output = b.tensor({name: 'y', shape: [1, w.units], type: TensorType.FLOAT32});
    b.operator('DEQUANTIZE', 2, [yq], [output], {type: 'DequantizeOptions'});
  }
  return b.build([input], [output]);
}

/** float -> int8 as the QUANTIZE kernel does: round(x / scale) + zero point, clamped. */
export function quantizeReference(x: Float32Array, scale: number, zeroPoint: number): Int8Array {
  return Int8Array.from(x, (v) => Math.max(-128, Math.min(127, roundHalfAway(v / scale) + zeroPoint)));
}

/**
 * The int8 FULLY_CONNECTED kernel: an int32 accumulator of (q_in - zp_in) * q_w
 * plus the bias, rescaled by the real multiplier in_scale * w_scale / out_scale
 * (rounding half away from zero), plus the output zero point, clamped.
 */
export function int8DenseReference(q: Int8DenseParams, xq: Int8Array, units: number): Int8Array {
  const inputs = xq.length;
  const multiplier = q.inScale * q.weightScale / q.outScale;
  return Int8Array.from({length: units}, (_, o) => {
    let acc = q.bias[o];
    for (let i = 0; i < inputs; i++) {
      acc += (xq[i] - q.inZeroPoint) * q.weights[o * inputs + i];
    }
    return Math.max(-128, Math.min(127, roundHalfAway(acc * multiplier) + q.outZeroPoint));
  });
}

/** Shapes and settings of the CONV_2D model. */
export interface ConvSpec {
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  padding: PaddingCode;
  activation: typeof ActivationFunctionType.NONE|typeof ActivationFunctionType.RELU6;
}

/** Output size along one axis, TensorFlow's rule for SAME and VALID. */
export function convOutputSize(size: number, kernel: number, stride: number, padding: PaddingCode): number {
  return padding === Padding.SAME ? Math.ceil(size / stride) : Math.floor((size - kernel) / stride) + 1;
}

/** CONV_2D (float32, version 1) with an OHWI filter [out, kh, kw, in] and a bias. */
export function conv2dModel(spec: ConvSpec, filter: Float32Array, bias: Float32Array): Model {
  const outH = convOutputSize(spec.height, spec.kernel, spec.stride, spec.padding);
  const outW = convOutputSize(spec.width, spec.kernel, spec.stride, spec.padding);
  const b = new ModelBuilder('hand-built CONV_2D');
  const x = b.tensor({name: 'image', shape: [1, spec.height, spec.width, spec.inChannels], type: TensorType.FLOAT32});
  const f = b.tensor({name: 'conv/kernel', shape: [spec.outChannels, spec.kernel, spec.kernel, spec.inChannels],
    type: TensorType.FLOAT32, data: bytesOf(filter)});
  const bi = b.tensor({name: 'conv/bias', shape: [spec.outChannels], type: TensorType.FLOAT32, data: bytesOf(bias)});
  const y = b.tensor({name: 'features', shape: [1, outH, outW, spec.outChannels], type: TensorType.FLOAT32});
  b.operator('CONV_2D', 1, [x, f, bi], [y], {type: 'Conv2DOptions', padding: spec.padding, strideW: spec.stride,
    strideH: spec.stride, fusedActivationFunction: spec.activation, dilationWFactor: 1, dilationHFactor: 1,
    quantizedBiasType: 0});
  return b.build([x], [y]);
}

/** Direct NHWC convolution with an OHWI filter, TensorFlow padding (extra padding at the bottom/right). */
export function conv2dReference(spec: ConvSpec, x: Float32Array, filter: Float32Array, bias: Float32Array): Float32Array {
  const {height: H, width: W, inChannels: C, outChannels: O, kernel: K, stride: S} = spec;
  const outH = convOutputSize(H, K, S, spec.padding);
  const outW = convOutputSize(W, K, S, spec.padding);
  const padTop = spec.padding === Padding.SAME ? Math.floor(Math.max((outH - 1) * S + K - H, 0) / 2) : 0;
  const padLeft = spec.padding === Padding.SAME ? Math.floor(Math.max((outW - 1) * S + K - W, 0) / 2) : 0;
  const y = new Float32Array(outH * outW * O);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let o = 0; o < O; o++) {
        let acc = bias[o];
        for (let ky = 0; ky < K; ky++) {
          for (let kx = 0; kx < K; kx++) {
            const iy = oy * S + ky - padTop;
            const ix = ox * S + kx - padLeft;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) {
              continue;
            }
            for (let c = 0; c < C; c++) {
              acc += x[(iy * W + ix) * C + c] * filter[((o * K + ky) * K + kx) * C + c];
            }
          }
        }
        y[(oy * outW + ox) * O + o] =
            spec.activation === ActivationFunctionType.RELU6 ? Math.min(6, Math.max(0, acc)) : acc;
      }
    }
  }
  return y;
}
