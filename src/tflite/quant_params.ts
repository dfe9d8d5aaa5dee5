/**
 * Numbers of the TFLite quantization spec: activation parameters from a
 * range, symmetric weight scales, rounding, and float16 bits.
 */
import {nudge} from '../quantization/fake_quant_ops.js';
import {IrQuantization} from '../graph/ir.js';

/**
 * The smallest scale written, 2^-40. LiteRT refuses a subnormal or zero
 * scale ("unsupported scale value"), and a bias scale is an input scale
 * times a weight scale, so both stay >= 2^-40 to keep that product
 * (>= 2^-80) a normal float32 as well. Values far below a floored scale
 * (a 1e-38 kernel, activations of 1e-37) quantize to 0, which they nearly
 * are: the file is coarser there, not wrong.
 */
export const MIN_SCALE = 2 ** -40;

/** `scale`, raised to {@link MIN_SCALE}. */
export function atLeastMinScale(scale: number): number {
  return scale >= MIN_SCALE ? scale : MIN_SCALE;
}

/** Round half away from zero, as TFLite's kernels and quantizer do. */
export function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/**
 * int8 parameters of an activation range, nudged as the fake-quant op does
 * (so QAT ranges give exactly the grid training used). Zero point in [-128, 127].
 */
export function int8Params(min: number, max: number): IrQuantization {
  const r = nudge(Math.min(min, 0), Math.max(max, 0), 8, false);
  if (r.degenerate) {
    // An all-zero tensor: any positive scale represents it.
    return {scale: [1], zeroPoint: [-128], quantizedDimension: 0};
  }
  // A floored scale keeps the zero point: the grid still covers [min, max], more coarsely.
  return {scale: [atLeastMinScale(r.scale)], zeroPoint: [r.zeroPoint - 128], quantizedDimension: 0};
}

/** int16 activations are symmetric with zero point 0 (the 16x8 scheme). */
export function int16Params(min: number, max: number): IrQuantization {
  const bound = Math.max(Math.abs(min), Math.abs(max));
  return {scale: [bound > 0 ? atLeastMinScale(bound / 32767) : 1], zeroPoint: [0], quantizedDimension: 0};
}

/**
 * Symmetric per-channel (or per-tensor) int8 scales of weights laid out with
 * `channelAxis` as the output channel: max|w| / 127, at least
 * {@link MIN_SCALE}; 1 for an all-zero channel.
 */
export function symmetricScales(data: Float32Array, shape: number[], channelAxis: number|null): number[] {
  const channels = channelAxis == null ? 1 : shape[channelAxis];
  const stride = channelAxis == null ? data.length :
      shape.slice(channelAxis + 1).reduce((a, b) => a * b, 1);
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < data.length; i++) {
    const c = channelAxis == null ? 0 : Math.floor(i / stride) % channels;
    maxAbs[c] = Math.max(maxAbs[c], Math.abs(data[i]));
  }
  // Stored as float32 in the file: quantize with exactly that value.
  return Array.from(maxAbs, (m) => m > 0 ? atLeastMinScale(Math.fround(m / 127)) : 1);
}

/** Quantizes weights onto [-127, 127] with the given per-channel scales. */
export function quantizeWeights(data: Float32Array, shape: number[], q: IrQuantization): Int8Array {
  const channels = q.scale.length;
  const stride = channels === 1 ? data.length :
      shape.slice(q.quantizedDimension + 1).reduce((a, b) => a * b, 1);
  const out = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const c = channels === 1 ? 0 : Math.floor(i / stride) % channels;
    out[i] = Math.max(-127, Math.min(127, roundHalfAway(data[i] / q.scale[c])));
  }
  return out;
}

/** float32 -> IEEE half bits, round to nearest even (for float16 mode). */
export function toFloat16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) {
    return sign | 0x7c00 | (mant ? 0x200 : 0);
  }
  let e = exp - 127 + 15;
  if (e >= 0x1f) {
    return sign | 0x7c00;
  }
  if (e <= 0) {
    if (e < -10) {
      return sign;
    }
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && (m & 1))) {
      m++;
    }
    return sign | m;
  }
  let m = mant >> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (m & 1))) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) {
        return sign | 0x7c00;
      }
    }
  }
  return sign | (e << 10) | m;
}

/** IEEE half bits -> number. */
export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) {
    return sign * mant * 2 ** -24;
  }
  if (exp === 0x1f) {
    return mant ? NaN : sign * Infinity;
  }
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
