/**
 * The demo's bundled MNIST subset: a compact binary file the build writes
 * from the `mnist` package's digits and the page (or a test) decodes into
 * exactly the float32 pixels `tfmot.data.loadMnist` gives for the same
 * seed and sizes. No DOM and no Node API here: both sides import it.
 *
 * The package stores each pixel as k/255 rounded to 3 decimals, so there are
 * at most 256 distinct values: the file keeps one byte per pixel (its index
 * in a 256-entry float32 table) instead of four, about 1.9 MB for 2,500
 * digits.
 *
 * Layout (little-endian): 'TMNS' | u32 version | u32 numTrain | u32 numTest
 * | u32 seed | f32[256] table | u8 labels[n] | u8 pixelIndices[n * 784].
 */

const MAGIC = 0x534e4d54;  // 'TMNS'
const VERSION = 1;
const PIXELS = 28 * 28;
const TABLE = 256;
const HEADER_BYTES = 20 + 4 * TABLE;

/** Decoded digits of one split: what `loadMnist` returns, as plain arrays. */
export interface DigitsArrays {
  /** n * 784 float32 pixels in [0, 1] ([n, 28, 28, 1] row-major). */
  pixels: Float32Array;
  /** n labels 0..9. */
  labels: Int32Array;
}

/** The file's contents. */
export interface MnistSubset {
  seed: number;
  train: DigitsArrays;
  test: DigitsArrays;
}

/** Encodes a subset; throws if a pixel value is not one of 256 values at most. */
export function encodeMnistSubset(subset: MnistSubset): Uint8Array {
  const numTrain = subset.train.labels.length;
  const numTest = subset.test.labels.length;
  const n = numTrain + numTest;
  const bytes = new Uint8Array(HEADER_BYTES + n + n * PIXELS);
  const view = new DataView(bytes.buffer);
  [MAGIC, VERSION, numTrain, numTest, subset.seed].forEach((v, i) => view.setUint32(4 * i, v, true));
  // Index each distinct value by its k in k/255: the table is then sorted and the same for any subset.
  const table = new Float32Array(TABLE).fill(Number.NaN);
  const labels = bytes.subarray(HEADER_BYTES, HEADER_BYTES + n);
  const indices = bytes.subarray(HEADER_BYTES + n);
  let offset = 0;
  for (const split of [subset.train, subset.test]) {
    split.labels.forEach((label, i) => labels[offset / PIXELS + i] = label);
    for (let i = 0; i < split.pixels.length; i++) {
      const value = split.pixels[i];
      const k = Math.round(value * 255);
      if (!(k >= 0 && k < TABLE) || (!Number.isNaN(table[k]) && table[k] !== value)) {
        throw new Error(`encodeMnistSubset: pixel value ${value} does not fit the 256-entry table ` +
            '(expected k/255 rounded to 3 decimals, as the mnist package stores them).');
      }
      table[k] = value;
      indices[offset + i] = k;
    }
    offset += split.pixels.length;
  }
  table.forEach((v, k) => view.setFloat32(20 + 4 * k, Number.isNaN(v) ? k / 255 : v, true));
  return bytes;
}

/** Decodes a file written by `encodeMnistSubset`; throws naming what is wrong with other bytes. */
export function decodeMnistSubset(bytes: Uint8Array): MnistSubset {
  if (bytes.length < HEADER_BYTES) {
    throw new Error(`decodeMnistSubset: ${bytes.length} bytes is too short for an MNIST subset file.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [magic, version, numTrain, numTest, seed] = [0, 1, 2, 3, 4].map((i) => view.getUint32(4 * i, true));
  const n = numTrain + numTest;
  if (magic !== MAGIC || version !== VERSION || bytes.length !== HEADER_BYTES + n * (1 + PIXELS)) {
    throw new Error(`decodeMnistSubset: not a version ${VERSION} MNIST subset file ` +
        `(magic ${magic.toString(16)}, version ${version}, ${bytes.length} bytes for ${n} digits).`);
  }
  const table = new Float32Array(TABLE);
  table.forEach((_, k) => table[k] = view.getFloat32(20 + 4 * k, true));
  const split = (first: number, count: number): DigitsArrays => {
    const labels = Int32Array.from(bytes.subarray(HEADER_BYTES + first, HEADER_BYTES + first + count));
    const start = HEADER_BYTES + n + first * PIXELS;
    const pixels = Float32Array.from(bytes.subarray(start, start + count * PIXELS), (k) => table[k]);
    return {pixels, labels};
  };
  return {seed, train: split(0, numTrain), test: split(numTrain, numTest)};
}
