/**
 * Checks that a TFLite model can run, beyond the consistency `readModel`
 * checks: operators in execution order, and output shapes that agree with
 * what their kernels compute. LiteRT checks neither before running: a graph
 * out of order reads uninitialized memory, and an output declared longer
 * than its kernel writes comes back padded with values nobody computed.
 */
import {ValueError} from '../errors.js';
import type {IrOpType} from '../graph/ir.js';
import {isDescribedOperator, opKind} from './op_registry.js';
import {TensorType} from './schema.js';
import type {Model, SubGraph, Tensor} from './schema.js';
import {operatorName} from './validate.js';

type Fail = (where: string, problem: string) => never;

/**
 * What a runtime needs beyond `checkModel`'s consistency: operators that can
 * run in file order. `Interpreter.create` runs it; the reader and writer do
 * not, so files that describe graphs without running them still round-trip.
 */
export function checkRunnable(model: Model, stage: string): void {
  const fail = (where: string, problem: string): never => {
    throw new ValueError(`${stage}: ${where}: ${problem}`);
  };
  model.subgraphs.forEach((subgraph, s) => {
    checkDataflow(model, subgraph, `subgraphs[${s}]`, fail);
    checkOutputShapes(model, subgraph, `subgraphs[${s}]`, fail);
  });
}

/**
 * The runtime executes operators in file order: each tensor an operator reads
 * must already hold a value (a graph input, constant data, a variable, or an
 * earlier operator's output), and no tensor may be written twice. This also
 * rules out cycles, which a runtime would otherwise follow into uninitialized
 * memory.
 */
function checkDataflow(model: Model, subgraph: SubGraph, where: string, fail: Fail): void {
  const producer = new Map<number, string>();
  subgraph.inputs.forEach((t, i) => producer.set(t, `${where}.inputs[${i}]`));
  const hasValue = (t: number) => producer.has(t) || subgraph.tensors[t].isVariable === true ||
      model.buffers[subgraph.tensors[t].buffer].data.length > 0;
  subgraph.operators.forEach((op, i) => {
    const at = `${where}.operators[${i}] (${operatorName(model, op)})`;
    op.inputs.forEach((t, k) => {
      if (t >= 0 && !hasValue(t)) {
        const later = subgraph.operators.findIndex((o, j) => j > i && o.outputs.includes(t));
        fail(`${at}.inputs[${k}]`, `reads tensor ${t} ('${subgraph.tensors[t].name}'), which ` +
            (later >= 0 ? `operators[${later}] writes only later (operators must be in execution order, ` +
                'without cycles)' : 'is not an input, a constant, a variable or any operator\'s output'));
      }
    });
    op.outputs.forEach((t, k) => {
      const earlier = producer.get(t) ??
          (model.buffers[subgraph.tensors[t].buffer].data.length > 0 ? 'constant data' : undefined);
      if (earlier != null) {
        fail(`${at}.outputs[${k}]`, `writes tensor ${t} ('${subgraph.tensors[t].name}'), which already holds ` +
            `${earlier}`);
      }
      producer.set(t, at);
    });
  });
  subgraph.outputs.forEach((t, i) => {
    if (!hasValue(t)) {
      fail(`${where}.outputs[${i}]`, `tensor ${t} ('${subgraph.tensors[t].name}') is never written`);
    }
  });
}

/**
 * Output 0 of each operator with a shape rule (op_registry's `outputShape`)
 * must have the shape, or at least the size, its kernel gives it.
 */
function checkOutputShapes(model: Model, subgraph: SubGraph, where: string, fail: Fail): void {
  subgraph.operators.forEach((op, i) => {
    const name = operatorName(model, op);
    if (!isDescribedOperator(name) || op.outputs.length === 0) {
      return;
    }
    const rule = opKind(name as IrOpType).outputShape;
    // Options the reader does not model (another converter's GatherOptions, say) could change the shape.
    if (op.builtinOptions?.type === 'UnknownOptions') {
      return;
    }
    const computed = rule?.(op.inputs.map((t) => t < 0 ? null : subgraph.tensors[t].shape), op.builtinOptions,
        op.inputs.map((t) => t < 0 ? null : integerConstant(model, subgraph.tensors[t])));
    if (computed == null) {
      return;
    }
    const output = subgraph.tensors[op.outputs[0]];
    const size = output.shape.reduce((a, b) => a * b, 1);
    const agrees = Array.isArray(computed) ? String(computed) === String(output.shape) : computed.elements === size;
    if (!agrees) {
      fail(`${where}.operators[${i}] (${name}).outputs[0]`, `tensor ${op.outputs[0]} ('${output.name}') is declared ` +
          `[${output.shape}] but ${name} of inputs ${op.inputs.map((t) => t < 0 ? '-' :
              `[${subgraph.tensors[t].shape}]`).join(', ')} gives ` +
          (Array.isArray(computed) ? `[${computed}]` : `${computed.elements} values`));
    }
  });
}

const MAX_SHAPE_ARGUMENT_VALUES = 64;

/** The values of a constant int32 or int64 tensor (axes, sizes, paddings), or null. */
function integerConstant(model: Model, tensor: Tensor): number[]|null {
  const data = model.buffers[tensor.buffer].data;
  // Shape arguments are a few values; weights need not be decoded.
  if (data.length === 0 || data.length > 8 * MAX_SHAPE_ARGUMENT_VALUES) {
    return null;
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (tensor.type === TensorType.INT32) {
    return Array.from({length: data.length / 4}, (_, i) => view.getInt32(4 * i, true));
  }
  if (tensor.type === TensorType.INT64) {
    return Array.from({length: data.length / 8}, (_, i) => Number(view.getBigInt64(8 * i, true)));
  }
  return null;
}
