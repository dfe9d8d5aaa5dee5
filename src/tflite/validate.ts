/**
 * Consistency checks of a schema-level `Model`: every index in range, buffer 0
 * the empty sentinel, quantization parameters shaped right, constant data the
 * size its shape and type say, options matching their operator. `writeModel`
 * runs them before writing (a bad index would otherwise make a file the
 * runtime rejects far from the cause) and `readModel` after parsing.
 */
import {ValueError} from '../errors.js';
import {builtinOperatorName} from './builtin_operators.js';
import {OPTIONS_OF_OPERATOR} from './options_layout.js';
import {BuiltinOperator, Model, Operator, SubGraph, Tensor, TENSOR_TYPE_BYTES, TensorType, TFLITE_SCHEMA_VERSION,
  tensorTypeName} from './schema.js';

/** Which public function is checking; starts every error message. */
export type Stage = 'writeModel'|'readModel';

const KNOWN_TENSOR_TYPES: ReadonlySet<number> = new Set(Object.values(TensorType));

const LAST_BUILTIN_OPERATOR = Math.max(...Object.values(BuiltinOperator));

/** The values a zero point of each integer type can take (the type's own range). */
const ZERO_POINT_RANGES: ReadonlyMap<number, [number, number]> = new Map([
  [TensorType.INT8, [-128, 127]], [TensorType.UINT8, [0, 255]], [TensorType.INT16, [-32768, 32767]],
  [TensorType.UINT16, [0, 65535]], [TensorType.INT4, [-8, 7]], [TensorType.UINT4, [0, 15]],
]);

/**
 * Throws a `ValueError` naming the stage, the element and the problem for the
 * first inconsistency found.
 */
export function checkModel(model: Model, stage: Stage): void {
  const fail = (where: string, problem: string): never => {
    throw new ValueError(`${stage}: ${where}: ${problem}`);
  };
  if (model.buffers.length === 0 || model.buffers[0].data.length !== 0) {
    fail('buffers[0]', 'must be the empty sentinel buffer ({data: new Uint8Array(0)}); ' +
        (model.buffers.length === 0 ? 'there are no buffers' : `it has ${model.buffers[0].data.length} bytes`));
  }
  if (model.version !== TFLITE_SCHEMA_VERSION) {
    fail('version', `${model.version} is not the schema version TFLite runtimes run (${TFLITE_SCHEMA_VERSION})`);
  }
  model.operatorCodes.forEach((code, i) => {
    // Codes past the schema's last operator are refused by runtimes ("Op builtin_code out of range").
    checkIndex(code.builtinCode, 0, LAST_BUILTIN_OPERATOR, `operatorCodes[${i}].builtinCode`, fail);
    checkIndex(code.version, 1, 0x7fffffff, `operatorCodes[${i}].version`, fail);
  });
  model.subgraphs.forEach((subgraph, s) => checkSubGraph(model, subgraph, `subgraphs[${s}]`, fail));
  model.signatureDefs.forEach((signature, i) => {
    const where = `signatureDefs[${i}] ('${signature.signatureKey}')`;
    checkIndex(signature.subgraphIndex, 0, model.subgraphs.length - 1, `${where}.subgraphIndex`, fail);
    const subgraph = model.subgraphs[signature.subgraphIndex];
    // LiteRT's loader refuses a signature whose counts differ from its subgraph's (model_load.cc).
    for (const side of ['inputs', 'outputs'] as const) {
      if (signature[side].length !== subgraph[side].length) {
        fail(`${where}.${side}`, `${signature[side].length} ${side} but subgraph ${signature.subgraphIndex} has ` +
            `${subgraph[side].length}; LiteRT requires the same number`);
      }
    }
    const tensorCount = subgraph.tensors.length;
    for (const map of [...signature.inputs, ...signature.outputs]) {
      checkIndex(map.tensorIndex, 0, tensorCount - 1, `${where} tensor '${map.name}'`, fail);
    }
  });
  (model.metadata ?? []).forEach((entry, i) =>
    checkIndex(entry.buffer, 0, model.buffers.length - 1, `metadata[${i}] ('${entry.name}').buffer`, fail));
}

type Fail = (where: string, problem: string) => never;

function checkIndex(value: number, min: number, max: number, where: string, fail: Fail): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(where, `${value} is out of range [${min}, ${max}]`);
  }
}

function checkSubGraph(model: Model, subgraph: SubGraph, where: string, fail: Fail): void {
  const last = subgraph.tensors.length - 1;
  subgraph.tensors.forEach((tensor, t) => checkTensor(model, tensor, `${where}.tensors[${t}] ('${tensor.name}')`, fail));
  subgraph.inputs.forEach((t, i) => checkIndex(t, 0, last, `${where}.inputs[${i}]`, fail));
  subgraph.outputs.forEach((t, i) => checkIndex(t, 0, last, `${where}.outputs[${i}]`, fail));
  subgraph.operators.forEach((op, i) => checkOperator(model, op, last, `${where}.operators[${i}]`, fail));
}

function checkTensor(model: Model, tensor: Tensor, where: string, fail: Fail): void {
  tensor.shape.forEach((d, i) => checkIndex(d, 0, 0x7fffffff, `${where}.shape[${i}]`, fail));
  if (!KNOWN_TENSOR_TYPES.has(tensor.type)) {
    fail(`${where}.type`, `${tensor.type} is not a TensorType code`);
  }
  checkIndex(tensor.buffer, 0, model.buffers.length - 1, `${where}.buffer`, fail);
  const q = tensor.quantization;
  if (q != null && q.scale.length > 0) {
    if (q.zeroPoint.length !== q.scale.length) {
      fail(`${where}.quantization`, `${q.scale.length} scales but ${q.zeroPoint.length} zero points`);
    }
    // A NaN, infinite or negative scale, or a zero point its integer type cannot hold, traps LiteRT's WebAssembly.
    q.scale.forEach((scale, i) => {
      if (!Number.isFinite(scale) || scale < 0) {
        fail(`${where}.quantization.scale[${i}]`, `${scale} is not a finite number >= 0`);
      }
    });
    const range = ZERO_POINT_RANGES.get(tensor.type);
    if (range != null) {
      q.zeroPoint.forEach((zeroPoint, i) => checkIndex(zeroPoint, range[0], range[1],
          `${where}.quantization.zeroPoint[${i}] (${tensorTypeName(tensor.type)})`, fail));
    }
    if (q.scale.length > 1) {
      checkIndex(q.quantizedDimension, 0, tensor.shape.length - 1, `${where}.quantization.quantizedDimension`, fail);
      if (tensor.shape[q.quantizedDimension] !== q.scale.length) {
        fail(`${where}.quantization`, `${q.scale.length} per-channel scales for dimension ` +
            `${q.quantizedDimension} of size ${tensor.shape[q.quantizedDimension]}`);
      }
    }
  }
  const bytes = model.buffers[tensor.buffer].data.length;
  const elementBytes = TENSOR_TYPE_BYTES[tensorTypeName(tensor.type) as keyof typeof TENSOR_TYPE_BYTES];
  // Sparse tensors store fewer values than the dense shape; other types have no fixed width.
  if (bytes > 0 && tensor.sparsity == null && elementBytes != null) {
    const expected = tensor.shape.reduce((a, b) => a * b, 1) * elementBytes;
    if (bytes !== expected) {
      fail(where, `buffer ${tensor.buffer} holds ${bytes} bytes but shape [${tensor.shape}] of ` +
          `${tensorTypeName(tensor.type)} needs ${expected}`);
    }
  }
}

/** The builtin operator's name of `op` (its opcode index already checked), or "operator code N". */
export function operatorName(model: Model, op: Operator): string {
  const code = model.operatorCodes[op.opcodeIndex].builtinCode;
  return builtinOperatorName(code) ?? `operator code ${code}`;
}

function checkOperator(model: Model, op: Operator, lastTensor: number, where: string, fail: Fail): void {
  checkIndex(op.opcodeIndex, 0, model.operatorCodes.length - 1, `${where}.opcodeIndex`, fail);
  const opName = operatorName(model, op);
  op.inputs.forEach((t, i) => checkIndex(t, -1, lastTensor, `${where} (${opName}).inputs[${i}]`, fail));
  op.outputs.forEach((t, i) => checkIndex(t, 0, lastTensor, `${where} (${opName}).outputs[${i}]`, fail));
  const expected = OPTIONS_OF_OPERATOR[opName as keyof typeof OPTIONS_OF_OPERATOR];
  const given = op.builtinOptions?.type;
  if (given != null && given !== 'UnknownOptions' && expected != null && given !== expected) {
    fail(`${where} (${opName})`, `has ${given}; ${opName} reads ${expected}`);
  }
}
