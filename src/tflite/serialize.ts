/**
 * IR -> schema Model: tensors with their data and quantization, operators
 * with options and the kernel version each needs (the runtime refuses
 * versions it lacks and picks kernels by it), the serving_default signature.
 */
import {ValueError} from '../errors.js';
import {FusedActivation, IrDType, IrGraph, IrOp, IrTensor} from '../graph/ir.js';
import {bytesOf, ModelBuilder} from './model_builder.js';
import {ActivationFunctionType, BuiltinOptions, Model, Padding, TensorType, TensorTypeCode} from './schema.js';

const TYPE_CODES: Record<IrDType, TensorTypeCode> = {
  float32: TensorType.FLOAT32, float16: TensorType.FLOAT16, int32: TensorType.INT32,
  int64: TensorType.INT64, int8: TensorType.INT8, uint8: TensorType.UINT8, int16: TensorType.INT16,
};

const act = (a: FusedActivation) => ActivationFunctionType[a];

/** Kind of arithmetic an op runs: decides its kernel version. */
type Arithmetic = 'float'|'int8'|'int16'|'hybrid';

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

function mulRescale(op: IrOp): number {
  const scale = (t: IrTensor|null|undefined) => t?.quantization?.scale[0] ?? 0;
  const out = scale(op.outputs[0]);
  return out > 0 ? scale(op.inputs[0]) * scale(op.inputs[1]) / out : 0;
}

/** The kernel version TFLite's converter would write for this op (tools/versioning/op_version.cc). */
function opVersion(op: IrOp): number {
  const a = arithmetic(op);
  const perChannel = (op.inputs[1]?.quantization?.scale.length ?? 1) > 1;
  switch (op.type) {
    // int16 (16x8): the versions that added those kernels (CONV_2D 4,
    // DEPTHWISE_CONV_2D 5, FULLY_CONNECTED 7), so an older runtime refuses the
    // file by version; op_version.cc's own int16 tests look for int16
    // weights and fall through to 1.
    case 'CONV_2D':
      // Dilation needs no version of its own for CONV_2D (2 is the per-tensor hybrid).
      return {float: 1, int8: 3, int16: 4, hybrid: perChannel ? 5 : 2}[a];
    case 'DEPTHWISE_CONV_2D':
      // Float 1: the lowering never dilates a depthwise conv (tfjs runs DepthwiseConv2D undilated).
      return {float: 1, int8: 3, int16: 5, hybrid: perChannel ? 6 : 4}[a];
    case 'FULLY_CONNECTED': {
      // op_version.cc's order: per-channel hybrid (12), then keep_num_dims (5),
      // then the int8 (4) and hybrid (9 with asymmetric_quantize_inputs, else 3) kernels.
      const keep = Boolean(op.options['keepNumDims']);
      const hybrid = perChannel ? 12 : keep ? 5 : op.options['asymmetricQuantizeInputs'] ? 9 : 3;
      return {float: keep ? 5 : 1, int8: keep ? 5 : 4, int16: 7, hybrid}[a];
    }
    case 'ADD':
      return {float: 1, int8: 2, int16: 3, hybrid: 1}[a];
    case 'MUL':
      // Version 3: an int8 rescale in1 x in2 / out of 1 or more.
      return {float: 1, int8: mulRescale(op) >= 1 ? 3 : 2, int16: 4, hybrid: 1}[a];
    case 'SOFTMAX':
    case 'LOGISTIC':
    case 'TANH':
    case 'MAX_POOL_2D':
    case 'AVERAGE_POOL_2D':
    case 'CONCATENATION':
    case 'MEAN':
    case 'REDUCE_MAX':
    case 'PAD':
    case 'RELU':
      return {float: 1, int8: 2, int16: 3, hybrid: 1}[a];
    case 'RELU6':
      return {float: 1, int8: 2, int16: 3, hybrid: 1}[a];
    case 'RESHAPE':
      return 1;
    case 'QUANTIZE':
      return op.outputs[0].dtype === 'int16' ? 2 : 1;
    case 'DEQUANTIZE':
      return op.inputs[0]!.dtype === 'float16' || op.inputs[0]!.dtype === 'int16' ? 3 : 2;
    default:
      throw new ValueError(`Internal: no kernel version for ${op.type}.`);
  }
}

function options(op: IrOp, int16: boolean): BuiltinOptions|undefined {
  const o = op.options;
  const pad = () => Padding[o['padding'] as 'SAME'|'VALID'];
  switch (op.type) {
    case 'CONV_2D':
      return {type: 'Conv2DOptions', padding: pad(), strideW: o['strideW'] as number,
        strideH: o['strideH'] as number, fusedActivationFunction: act(op.activation),
        dilationWFactor: o['dilationW'] as number, dilationHFactor: o['dilationH'] as number,
        quantizedBiasType: TensorType.FLOAT32};
    case 'DEPTHWISE_CONV_2D':
      return {type: 'DepthwiseConv2DOptions', padding: pad(), strideW: o['strideW'] as number,
        strideH: o['strideH'] as number, depthMultiplier: o['depthMultiplier'] as number,
        fusedActivationFunction: act(op.activation), dilationWFactor: 1, dilationHFactor: 1};
    case 'FULLY_CONNECTED':
      return {type: 'FullyConnectedOptions', fusedActivationFunction: act(op.activation),
        weightsFormat: 0, keepNumDims: Boolean(o['keepNumDims']),
        asymmetricQuantizeInputs: Boolean(o['asymmetricQuantizeInputs']),
        quantizedBiasType: TensorType.FLOAT32};
    case 'MAX_POOL_2D':
    case 'AVERAGE_POOL_2D':
      return {type: 'Pool2DOptions', padding: pad(), strideW: o['strideW'] as number,
        strideH: o['strideH'] as number, filterWidth: o['filterWidth'] as number,
        filterHeight: o['filterHeight'] as number, fusedActivationFunction: act(op.activation)};
    case 'SOFTMAX':
      return {type: 'SoftmaxOptions', beta: 1};
    case 'CONCATENATION':
      return {type: 'ConcatenationOptions', axis: o['axis'] as number,
        fusedActivationFunction: act(op.activation)};
    case 'ADD':
      // int16 ADD with arbitrary scales needs pot_scale_int16 off.
      return {type: 'AddOptions', fusedActivationFunction: act(op.activation), potScaleInt16: !int16};
    case 'MUL':
      return {type: 'MulOptions', fusedActivationFunction: act(op.activation)};
    case 'RESHAPE':
      return {type: 'ReshapeOptions', newShape: o['newShape'] as number[]};
    case 'MEAN':
    case 'REDUCE_MAX':
      return {type: 'ReducerOptions', keepDims: Boolean(o['keepDims'])};
    default:
      // Also PAD, QUANTIZE and DEQUANTIZE: their options tables have no fields, and
      // a runtime's parser reads nothing from them, so writing one only costs bytes.
      return undefined;
  }
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
  for (const op of graph.ops) {
    b.operator(op.type, opVersion(op), op.inputs.map((t) => t == null ? -1 : tensorIndex(t)),
        op.outputs.map(tensorIndex), options(op, int16));
  }
  const outputs = graph.outputs.map(tensorIndex);
  const model = b.build(inputs, outputs);
  // Signature names follow the model's input layers and output layers.
  const signature = model.signatureDefs[0];
  signature.inputs.forEach((m, i) => m.name = graph.inputNames[i] ?? m.name);
  signature.outputs.forEach((m, i) => m.name = graph.outputNames[i] ?? m.name);
  return model;
}
