/**
 * IR -> schema Model: tensors with their data and quantization, operators
 * with options and the kernel version each needs (the runtime refuses
 * versions it lacks and picks kernels by it), the serving_default signature.
 */
import {IrDType, IrGraph, IrOp, IrTensor} from '../graph/ir.js';
import {bytesOf, ModelBuilder} from './model_builder.js';
import {opKind} from './op_registry.js';
import {FieldLayout, OPTIONS_LAYOUT} from './options_layout.js';
import type {Arithmetic, OpKind} from './ops/op_kind.js';
import {BuiltinOptions, Model, TensorType, TensorTypeCode} from './schema.js';

const TYPE_CODES: Record<IrDType, TensorTypeCode> = {
  float32: TensorType.FLOAT32, float16: TensorType.FLOAT16, int32: TensorType.INT32,
  int64: TensorType.INT64, int8: TensorType.INT8, uint8: TensorType.UINT8, int16: TensorType.INT16,
};

function arithmetic(op: IrOp): Arithmetic {
  const x = op.inputs[0];
  const w = op.inputs[1];
  if (x?.dtype === 'int16' || op.outputs[0].dtype === 'int16') {
    return 'int16';
  }
  if (x?.dtype === 'int8' || x?.dtype === 'uint8' || op.outputs[0].dtype === 'int8') {
    return 'int8';
  }
  return w?.dtype === 'int8' ? 'hybrid' : 'float';
}

/**
 * An op whose fused RELU/RELU6 would need a kernel version older runtimes
 * lack (TRANSPOSE_CONV 4) as the op and its activation op: the op's output
 * before the activation takes the output's type and parameters, so the
 * integer op clamps to them as a fused one would and the activation op
 * changes nothing a fused one would not.
 */
function activationApart(op: IrOp): IrOp[] {
  if (op.activation === 'NONE' || !opKind(op.type).activationAsOp) {
    return [op];
  }
  const out = op.outputs[0];
  const pre: IrTensor = {...out, id: -1, name: `${out.name}/before_${op.activation.toLowerCase()}`,
    shape: [...out.shape], range: undefined};
  return [{...op, activation: 'NONE', outputs: [pre]},
    {type: op.activation, inputs: [pre], outputs: op.outputs, options: {}, activation: 'NONE', source: op.source}];
}

/** Every field at its schema default (vectors: absent), as a reader of no table would see it. */
function allDefault(options: BuiltinOptions): boolean {
  const layout = OPTIONS_LAYOUT[options.type] as ReadonlyArray<FieldLayout<Record<string, unknown>>>;
  const values = options as unknown as Record<string, unknown>;
  return layout.every((field) => field.kind === 'int32[]' ? values[field.name] === undefined :
    Number(values[field.name]) === Number(field.default ?? 0));
}

/**
 * The op's options table, left out where its fields are all defaults and
 * the runtime reads no table as those defaults (saves ~12 bytes an op).
 */
function optionsOf(kind: OpKind, op: IrOp, int16: boolean): BuiltinOptions|undefined {
  const options = kind.options?.(op, int16);
  const omit = kind.defaultOptionsMayBeOmitted === true || (kind.defaultOptionsMayBeOmitted === 'withoutInt16' && !int16);
  return options != null && omit && allDefault(options) ? undefined : options;
}

/** Builds the schema Model of a (quantized) IR graph. */
export function toSchemaModel(graph: IrGraph, description: string): Model {
  const b = new ModelBuilder(description);
  const index = new Map<IrTensor, number>();
  const tensorIndex = (t: IrTensor) => {
    let i = index.get(t);
    if (i == null) {
      i = b.tensor({
        name: t.name, shape: t.shape, type: TYPE_CODES[t.dtype],
        data: t.data != null ? bytesOf(t.data) : undefined,
        quantization: t.quantization != null ? {
          scale: t.quantization.scale, zeroPoint: t.quantization.zeroPoint,
          quantizedDimension: t.quantization.quantizedDimension,
        } : undefined,
      });
      index.set(t, i);
    }
    return i;
  };
  const inputs = graph.inputs.map(tensorIndex);
  const int16 = graph.tensors.some((t) => t.dtype === 'int16' && t.data == null);
  for (const op of graph.ops.flatMap(activationApart)) {
    const kind = opKind(op.type);
    const inputs = kind.fileInputs?.(op) ?? op.inputs;
    b.operator(op.type, kind.version(op, arithmetic(op)), inputs.map((t) => t == null ? -1 : tensorIndex(t)),
        op.outputs.map(tensorIndex), optionsOf(kind, op, int16));
  }
  const outputs = graph.outputs.map(tensorIndex);
  const model = b.build(inputs, outputs);
  // Signature names follow the model's input layers and output layers.
  const signature = model.signatureDefs[0];
  signature.inputs.forEach((m, i) => m.name = graph.inputNames[i] ?? m.name);
  signature.outputs.forEach((m, i) => m.name = graph.outputNames[i] ?? m.name);
  return model;
}
