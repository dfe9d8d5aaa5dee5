/**
 * A small helper that assembles a single-subgraph schema `Model`: it hands
 * out tensor and buffer indices, deduplicates operator codes and writes the
 * `serving_default` signature, so callers (the converter, tests) only say
 * which tensors and operators there are.
 */
import {ValueError} from '../errors.js';
import {BuiltinOperator, BuiltinOperatorName} from './builtin_operators.js';
import {
  Buffer, BuiltinOptions, Model, Operator, OperatorCode, QuantizationParameters, Tensor, TensorTypeCode,
  TFLITE_SCHEMA_VERSION,
} from './schema.js';

/** The signature key TFLite's converter gives the only signature of a model. */
export const SERVING_DEFAULT = 'serving_default';

/** What `ModelBuilder.tensor` needs to know about a tensor. */
export interface TensorSpec {
  name: string;
  shape: number[];
  type: TensorTypeCode;
  /** Little-endian element bytes for a constant; omitted for activations. */
  data?: Uint8Array;
  quantization?: QuantizationParameters;
}

/**
 * Collects tensors, buffers and operators of one subgraph and builds the `Model`.
 *
 * @example
 * ```ts
 * const b = new ModelBuilder('add');
 * const x = b.tensor({name: 'x', shape: [1, 4], type: TensorType.FLOAT32});
 * const y = b.tensor({name: 'y', shape: [1, 4], type: TensorType.FLOAT32});
 * const sum = b.tensor({name: 'sum', shape: [1, 4], type: TensorType.FLOAT32});
 * b.operator('ADD', 1, [x, y], [sum], {type: 'AddOptions', fusedActivationFunction: 0, potScaleInt16: true});
 * const bytes = writeModel(b.build([x, y], [sum]));
 * ```
 */
export class ModelBuilder {
  private readonly tensors: Tensor[] = [];
  private readonly operators: Operator[] = [];
  private readonly operatorCodes: OperatorCode[] = [];
  // Buffer 0 is the empty sentinel every data-less tensor points at.
  private readonly buffers: Buffer[] = [{data: new Uint8Array(0)}];

  /** @param description Stored in `Model.description` (TFLite's converter writes its name there). */
  constructor(private readonly description: string) {}

  /** Adds a tensor (and its buffer when it has data); returns its index. */
  tensor(spec: TensorSpec): number {
    let buffer = 0;
    if (spec.data != null && spec.data.length > 0) {
      buffer = this.buffers.length;
      this.buffers.push({data: spec.data});
    }
    const tensor: Tensor = {shape: [...spec.shape], type: spec.type, buffer, name: spec.name};
    if (spec.quantization != null) {
      tensor.quantization = spec.quantization;
    }
    this.tensors.push(tensor);
    return this.tensors.length - 1;
  }

  /**
   * Adds an operator, reusing the operator code of an earlier op with the same
   * name and version. `inputs` may hold -1 for an omitted optional input.
   */
  operator(op: BuiltinOperatorName, version: number, inputs: number[], outputs: number[],
      options?: BuiltinOptions): void {
    const builtinCode = BuiltinOperator[op];
    let opcodeIndex = this.operatorCodes.findIndex((c) => c.builtinCode === builtinCode && c.version === version);
    if (opcodeIndex < 0) {
      opcodeIndex = this.operatorCodes.length;
      this.operatorCodes.push({builtinCode, version});
    }
    const operator: Operator = {opcodeIndex, inputs: [...inputs], outputs: [...outputs]};
    if (options != null) {
      operator.builtinOptions = options;
    }
    this.operators.push(operator);
  }

  /**
   * The model with `inputs` and `outputs` as the subgraph's and the
   * `serving_default` signature's tensors, named after the tensors.
   */
  build(inputs: number[], outputs: number[]): Model {
    for (const t of [...inputs, ...outputs]) {
      if (this.tensors[t] == null) {
        throw new ValueError(`ModelBuilder.build: tensor index ${t} does not exist (${this.tensors.length} tensors)`);
      }
    }
    const toMap = (t: number) => ({name: this.tensors[t].name, tensorIndex: t});
    return {
      version: TFLITE_SCHEMA_VERSION,
      description: this.description,
      operatorCodes: this.operatorCodes.map((c) => ({...c})),
      subgraphs: [{
        tensors: this.tensors.map((t) => ({...t, shape: [...t.shape]})),
        inputs: [...inputs],
        outputs: [...outputs],
        operators: this.operators.map((o) => ({...o, inputs: [...o.inputs], outputs: [...o.outputs]})),
        name: 'main',
      }],
      buffers: this.buffers.map((b) => ({data: b.data})),
      signatureDefs: [{inputs: inputs.map(toMap), outputs: outputs.map(toMap), signatureKey: SERVING_DEFAULT,
        subgraphIndex: 0}],
    };
  }
}

/** Little-endian bytes of typed array data, for `TensorSpec.data`. */
export function bytesOf(values: Float32Array|Int32Array|Int8Array|Int16Array|Uint8Array|BigInt64Array|Uint16Array):
    Uint8Array {
  // Typed arrays use the platform's byte order; every platform Node runs on is little-endian.
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}
