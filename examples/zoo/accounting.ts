/**
 * Byte accounting of a .tflite file: the least its content needs, by part,
 * against the file's size. Takes what `tfmot.tflite.inspect` returns (typed
 * structurally here, so this module does not import the library and tests,
 * benchmarks and examples can share it).
 *
 * The least content: every constant buffer as stored (int8 weights, int32
 * biases); per quantized tensor one float32 scale and one int64 zero point per
 * channel (LiteRT reads zero points as int64); tensor names (UTF-8); and the
 * graph as plain int32s: per tensor its type, buffer index and dimensions,
 * per operator its opcode index and tensor indices, per distinct operator its
 * builtin code and version, plus the subgraph's input and output indices.
 * A FlatBuffer may point to one vector from many tables (the writer shares
 * equal shapes, names and quantization vectors, e.g. the all-zero zero points
 * of same-width layers), so each distinct vector counts once. Everything else
 * (vtables, offsets, vector lengths, padding, options tables, signature defs,
 * the description) is overhead.
 */

/** The parts of `tfmot.tflite.inspect(bytes)` the accounting reads. */
export interface InspectedModel {
  fileBytes: number;
  inputs: number[];
  outputs: number[];
  operators: Array<{opName: string, inputs: number[], outputs: number[]}>;
  tensors: Array<{name: string, shape: number[], buffer: number, bufferBytes: number,
    quantization?: {scale: number[], zeroPoint: number[]}}>;
}

export interface ByteAccounting {
  fileBytes: number;
  /** Constant buffers (weights, biases). */
  weights: number;
  /** 4 bytes of scale and 8 of zero point per channel of every quantized tensor. */
  quantization: number;
  names: number;
  graph: number;
  /** weights + quantization + names + graph. */
  least: number;
  /** fileBytes / least - 1. */
  overhead: number;
  /** Tables the schema needs one of each: tensors, operators, buffers (with the empty buffer 0). */
  items: number;
}

export function byteAccounting(model: InspectedModel): ByteAccounting {
  const utf8 = new TextEncoder();
  const distinct = (values: Iterable<string>) => [...new Set(values)];
  // Sizes of the distinct vectors among `vs` ('' is the empty vector).
  const vectors = (vs: Array<number[]|undefined>) =>
    distinct(vs.filter((v): v is number[] => v != null).map((v) => v.join()))
        .map((key) => key === '' ? 0 : key.split(',').length);
  const weights = model.tensors.reduce((sum, t) => sum + t.bufferBytes, 0);
  const quantization = 4 * sum(vectors(model.tensors.map((t) => t.quantization?.scale))) +
      8 * sum(vectors(model.tensors.map((t) => t.quantization?.zeroPoint)));
  const names = sum(distinct(model.tensors.map((t) => t.name)).map((n) => utf8.encode(n).length));
  const graph = 4 * (model.inputs.length + model.outputs.length + 2 * model.tensors.length +
      sum(vectors(model.tensors.map((t) => t.shape))) +
      sum(model.operators.map((op) => 1 + op.inputs.length + op.outputs.length))) +
      8 * distinct(model.operators.map((op) => op.opName)).length;
  const least = weights + quantization + names + graph;
  const items = model.tensors.length + model.operators.length + new Set([0, ...model.tensors.map((t) => t.buffer)]).size;
  return {fileBytes: model.fileBytes, weights, quantization, names, graph, least, overhead: model.fileBytes / least - 1,
    items};
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** e.g. '34400 B = 24908 weights + 3208 quantization + 1740 names + 1300 graph + 2.1% overhead'. */
export function formatAccounting(a: ByteAccounting): string {
  return `${a.fileBytes} B = ${a.weights} weights + ${a.quantization} quantization + ${a.names} names + ` +
      `${a.graph} graph + ${(100 * a.overhead).toFixed(1)}% overhead`;
}
