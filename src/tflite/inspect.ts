/**
 * A readable summary of a .tflite file: its operators, tensors, quantization
 * and weight sizes, as data (`inspect`) and as a text table
 * (`formatSummary`), for debugging exported models and a CLI `inspect`.
 */
import {ValueError} from '../errors.js';
import {builtinOperatorName} from './builtin_operators.js';
import {readModel} from './reader.js';
import {activationName, BuiltinOptions, Padding, tensorTypeName, UnknownOptions} from './schema.js';

/**
 * An option value with enum codes turned into their names.
 *
 * @inline
 */
export type OptionValue = string|number|boolean|number[];

/** One operator of the summarized subgraph. */
export interface OperatorSummary {
  /** Position in the subgraph's execution order. */
  index: number;
  /** e.g. `'CONV_2D'`; `'CUSTOM:<name>'` or `'UNKNOWN(<code>)'` otherwise. */
  opName: string;
  /** The kernel version its operator code asks the runtime for. */
  version: number;
  /** Tensor indices; -1 is an omitted optional input. */
  inputs: number[];
  /** Tensor indices. */
  outputs: number[];
  /** The options table's name and fields, enum codes as names (`padding: 'SAME'`). */
  optionsType?: string;
  /** The option fields by name; empty for an operator without options. */
  options: Record<string, OptionValue>;
}

/** One tensor of the summarized subgraph. */
export interface TensorSummary {
  /** Index in the subgraph's tensors, as operators refer to it. */
  index: number;
  /** The tensor's name in the file. */
  name: string;
  /** Static shape; `[]` for a scalar. */
  shape: number[];
  /** e.g. `'INT8'`. */
  type: string;
  /** Quantization parameters (real = (q - zeroPoint) * scale); absent for float tensors. */
  quantization?: {
    /** One scale per tensor, or one per channel. */
    scale: number[],
    /** One zero point per scale. */
    zeroPoint: number[],
    /** The axis per-channel parameters run along (0 per tensor). */
    quantizedDimension: number,
  };
  /** Index into the file's buffers; 0 (the empty buffer) for tensors computed at run time. */
  buffer: number;
  /** Bytes of constant data (0 for activations). */
  bufferBytes: number;
}

/**
 * What {@link inspect} returns: a .tflite file's header and one subgraph's
 * tensors and operators, as plain data.
 */
export interface ModelSummary {
  /** The schema version (3 for current files). */
  version: number;
  /** The file's description string (e.g. the converter that wrote it). */
  description: string;
  /** Size of the file. */
  fileBytes: number;
  /** Subgraphs in the file. */
  subgraphCount: number;
  /** The summarized subgraph. */
  subgraphIndex: number;
  /** Its name, often empty. */
  subgraphName: string;
  /** Tensor indices of the subgraph's inputs. */
  inputs: number[];
  /** Tensor indices of the subgraph's outputs. */
  outputs: number[];
  /** Keys of the model's signature defs (e.g. `'serving_default'`). */
  signatureKeys: string[];
  /** Operators in execution order. */
  operators: OperatorSummary[];
  /** All tensors of the subgraph. */
  tensors: TensorSummary[];
  /** Sum of all buffers' data (the weights), in bytes. */
  totalBufferBytes: number;
}

/**
 * Summarizes one subgraph of a .tflite file: what the exporter wrote, for
 * debugging and the CLI's `inspect` command (like TFLite's
 * tf.lite.experimental.Analyzer, but as data).
 *
 * @param bytes The file.
 * @param subgraphIndex Which subgraph (0, the main one, by default).
 * @throws ValueError when the bytes are not a valid TFLite file or the subgraph does not exist.
 *
 * @example
 * ```ts
 * const summary = inspect(fs.readFileSync('model.tflite'));
 * console.log(summary.operators.map((op) => op.opName));
 * ```
 */
export function inspect(bytes: Uint8Array, subgraphIndex = 0): ModelSummary {
  const model = readModel(bytes);
  const subgraph = model.subgraphs[subgraphIndex];
  if (subgraph == null) {
    throw new ValueError(`inspect: subgraphIndex ${subgraphIndex} is out of range; the model has ` +
        `${model.subgraphs.length} subgraph(s)`);
  }
  return {
    version: model.version,
    description: model.description,
    fileBytes: bytes.length,
    subgraphCount: model.subgraphs.length,
    subgraphIndex,
    subgraphName: subgraph.name,
    inputs: subgraph.inputs,
    outputs: subgraph.outputs,
    signatureKeys: model.signatureDefs.map((s) => s.signatureKey),
    operators: subgraph.operators.map((op, index) => {
      const code = model.operatorCodes[op.opcodeIndex];
      const opName = code.customCode != null ? `CUSTOM:${code.customCode}` :
          builtinOperatorName(code.builtinCode) ?? `UNKNOWN(${code.builtinCode})`;
      const summary: OperatorSummary = {index, opName, version: code.version, inputs: op.inputs, outputs: op.outputs,
        options: op.builtinOptions == null ? {} : describeOptions(op.builtinOptions)};
      if (op.builtinOptions != null) {
        summary.optionsType = op.builtinOptions.type;
      }
      return summary;
    }),
    tensors: subgraph.tensors.map((t, index) => {
      const summary: TensorSummary = {index, name: t.name, shape: t.shape, type: tensorTypeName(t.type),
        buffer: t.buffer, bufferBytes: model.buffers[t.buffer].data.length};
      if (t.quantization != null && t.quantization.scale.length > 0) {
        const {scale, zeroPoint, quantizedDimension} = t.quantization;
        summary.quantization = {scale, zeroPoint, quantizedDimension};
      }
      return summary;
    }),
    totalBufferBytes: model.buffers.reduce((sum, b) => sum + b.data.length, 0),
  };
}

const PADDING_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(Padding).map(([n, c]) => [c, n]));

/** Option fields as displayed: enum codes become names, `type` is dropped. */
function describeOptions(options: BuiltinOptions|UnknownOptions): Record<string, OptionValue> {
  const described: Record<string, OptionValue> = {};
  for (const [key, value] of Object.entries(options)) {
    if (key === 'type' || value === undefined) {
      continue;
    }
    if (key === 'padding') {
      described[key] = PADDING_NAMES.get(value) ?? `UNKNOWN(${value})`;
    } else if (key === 'fusedActivationFunction') {
      described[key] = activationName(value);
    } else if (key === 'quantizedBiasType') {
      described[key] = tensorTypeName(value);
    } else {
      described[key] = value as OptionValue;
    }
  }
  return described;
}

/**
 * Formats a summary as a multi-line text report: a header, a tensor table and
 * an operator table. Per-channel quantization is shown as its range; option
 * fields that only matter for special kernels are left out at their usual
 * value (the summary itself has them all). Text from the file (names,
 * description, custom op codes) is printed with control characters escaped
 * JSON-style (`\n`, `\u001b`), so a crafted file cannot add lines or
 * terminal escape codes.
 *
 * @example
 * ```ts
 * console.log(formatSummary(inspect(bytes)));
 * ```
 */
export function formatSummary(summary: ModelSummary): string {
  const tensorName = (i: number) => i < 0 ? '-' : `${i}:${escapeText(summary.tensors[i]?.name ?? '?')}`;
  const quoted = (text: string) => text ? ` "${escapeText(text).replaceAll('"', '\\"')}"` : '';
  const lines = [
    `TFLite model (schema v${summary.version})${quoted(summary.description)}: ` +
        `${summary.fileBytes} bytes, ${summary.totalBufferBytes} bytes of buffers`,
    `Subgraph ${summary.subgraphIndex} of ${summary.subgraphCount}` +
        `${quoted(summary.subgraphName)}: ${summary.operators.length} operators, ` +
        `${summary.tensors.length} tensors`,
    `Inputs: ${summary.inputs.map(tensorName).join(', ')}`,
    `Outputs: ${summary.outputs.map(tensorName).join(', ')}`,
    `Signatures: ${summary.signatureKeys.map(escapeText).join(', ') || '(none)'}`,
    '',
    'Tensors:',
    ...table(['#', 'name', 'type', 'shape', 'buffer', 'bytes', 'quantization'], summary.tensors.map((t) => [
      String(t.index), t.name, t.type, `[${t.shape.join(',')}]`, String(t.buffer), String(t.bufferBytes),
      formatQuantization(t.quantization),
    ])),
    '',
    'Operators:',
    ...table(['#', 'op', 'version', 'inputs', 'outputs', 'options'], summary.operators.map((op) => [
      String(op.index), op.opName, String(op.version), op.inputs.join(','), op.outputs.join(','),
      Object.entries(op.options).filter(([k, v]) => !isRoutineDefault(k, v))
          .map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : v}`).join(' '),
    ])),
  ];
  return lines.join('\n');
}

/**
 * Option values left out of the text table: fields that only matter for
 * special kernels (int16, shuffled weights, explicit bias types, dilation),
 * at their usual value. Padding, strides and activations are always shown.
 */
const ROUTINE_DEFAULTS: Readonly<Record<string, OptionValue>> = {
  quantizedBiasType: 'FLOAT32', weightsFormat: 0, asymmetricQuantizeInputs: false, keepNumDims: false,
  potScaleInt16: true, dilationWFactor: 1, dilationHFactor: 1,
};

function isRoutineDefault(key: string, value: OptionValue): boolean {
  return key in ROUTINE_DEFAULTS && ROUTINE_DEFAULTS[key] === value;
}

/** Per-tensor: `scale=… zp=…`; per-channel: the count and range, so a line stays short. */
function formatQuantization(q: TensorSummary['quantization']): string {
  if (q == null) {
    return '';
  }
  const num = (v: number) => Number(v.toPrecision(6)).toString();
  if (q.scale.length === 1) {
    return `scale=${num(q.scale[0])} zp=${q.zeroPoint[0]}`;
  }
  // A loop, not Math.min(...values): spreading 100,000+ channels overflows the call stack.
  const range = (values: number[]) => {
    let min = Infinity, max = -Infinity;
    for (const v of values) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    return `${num(min)}..${num(max)}`;
  };
  return `${q.scale.length} channels (dim ${q.quantizedDimension}) scale=${range(q.scale)} zp=${range(q.zeroPoint)}`;
}

/**
 * Left-aligned columns separated by two spaces. Cells are escaped here, as
 * names and options come from the file.
 */
function table(header: string[], rows: string[][]): string[] {
  const escaped = rows.map((r) => r.map(escapeText));
  // A loop, not Math.max(...): a model can have more rows than the call stack takes arguments.
  const widths = header.map((h) => h.length);
  for (const r of escaped) {
    r.forEach((cell, c) => widths[c] = Math.max(widths[c], cell.length));
  }
  const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
  return [header, ...escaped].map((r) => `  ${line(r)}`);
}

/**
 * Control characters (C0, DEL, C1), line and paragraph separators and bidi
 * overrides: printed raw, a crafted name could add lines, move the cursor or
 * recolor the terminal. Backslash too, so an escape in the output is unambiguous.
 */
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\\]/g;
const SHORT_ESCAPES: Readonly<Record<string, string>> = {'\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\'};

/** Text from the file made safe to print: JSON-style escapes (`\n`, `\u001b`) for unsafe characters. */
function escapeText(text: string): string {
  return text.replace(UNSAFE_CHARACTERS,
      (ch) => SHORT_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
