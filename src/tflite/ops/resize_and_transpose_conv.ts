/** Operators of segmentation and vision decoders: transposed convolution, resizing, slicing. */
import * as tf from '@tensorflow/tfjs-core';

import type {IrOp} from '../../graph/ir.js';
import {ActivationFunctionType, Padding, TensorType} from '../schema.js';
import type {Arithmetic, OpKind} from './op_kind.js';
import {pad, strides} from './op_options.js';

/** The output shape with the evaluated batch (the IR's shapes have batch 1). */
const outputShapeFor = (op: IrOp, batch: number): number[] => [batch, ...op.outputs[0].shape.slice(1)];

/**
 * The IR keeps weighted ops' order [input, weights, bias] (BatchNorm folding,
 * QAT scales and bias quantization read it there) and puts the int32
 * output_shape last; the file takes TFLite's order [output_shape, weights,
 * input, bias].
 */
export const TRANSPOSE_CONV: OpKind = {
  // File inputs: output shape (int32 constant), weights, input, bias.
  outputShape: (_inputs, _options, [shape]) => shape == null ? null : [...shape],
  weightChannelAxis: 0,
  // Fused in the IR (BatchNorm folds before it, QAT's activation range is
  // its output's); written as TRANSPOSE_CONV then RELU: op_version.cc gives
  // a fused activation version 4, which the TFLite of 2023 lacks.
  fusesActivation: true,
  activationAsOp: true,
  // LiteRT of 2025 has a hybrid kernel, the TFLite of 2023 checks weights and input types are equal.
  noHybridKernel: true,
  // A bias input needs 3 (the lowering always gives one, zeros standing in); quantized_bias_type (5) is never set.
  version: () => 3,
  fileInputs: (op) => [op.inputs[3], op.inputs[1], op.inputs[0], op.inputs[2]],
  options: (op) => ({type: 'TransposeConvOptions', padding: Padding[op.options['padding'] as 'SAME'|'VALID'],
    strideW: op.options['strideW'] as number, strideH: op.options['strideH'] as number,
    fusedActivationFunction: ActivationFunctionType[op.activation], quantizedBiasType: TensorType.FLOAT32}),
  evaluate: (op, [x, w, b]) => {
    // TFLite weights [out, h, w, in]; tfjs takes [h, w, out, in].
    const filter = tf.transpose(w, [1, 2, 0, 3]) as tf.Tensor4D;
    const shape = outputShapeFor(op, x.shape[0]) as [number, number, number, number];
    return tf.add(tf.conv2dTranspose(x as tf.Tensor4D, filter, shape, strides(op), pad(op)), b);
  },
};

/** RESIZE_*: int16 kernels came with version 4, int8 with 2. */
const resizeVersion = (_op: IrOp, a: Arithmetic): number => ({float: 1, int8: 2, int16: 4, hybrid: 1}[a]);

/** RESIZE_*: [batch, height, width, channels] with the constant size [height, width]. */
const resizedShape: OpKind['outputShape'] = ([x], _options, [, size]) =>
  x?.length !== 4 || size?.length !== 2 ? null : [x[0], size[0], size[1], x[3]];

const size = (op: IrOp): [number, number] => [op.outputs[0].shape[1], op.outputs[0].shape[2]];

/**
 * tfjs-layers' UpSampling2D resizes with align_corners and
 * half_pixel_centers false (TFLite's defaults, version 1/2 kernels).
 */
export const RESIZE_NEAREST_NEIGHBOR: OpKind = {
  outputShape: resizedShape,
  version: resizeVersion,
  // Selects input values: the int8 kernel copies them, so the output keeps the input's parameters.
  outputParams: 'input',
  defaultOptionsMayBeOmitted: true,
  options: () => ({type: 'ResizeNearestNeighborOptions', alignCorners: false, halfPixelCenters: false}),
  evaluate: (op, [x]) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, size(op), false, false),
};

export const RESIZE_BILINEAR: OpKind = {
  outputShape: resizedShape,
  version: resizeVersion,
  // The int8 kernel interpolates on the input's grid without rescaling (the int8 spec: same parameters).
  outputParams: 'input',
  defaultOptionsMayBeOmitted: true,
  options: () => ({type: 'ResizeBilinearOptions', alignCorners: false, halfPixelCenters: false}),
  evaluate: (op, [x]) => tf.image.resizeBilinear(x as tf.Tensor4D, size(op), false, false),
};

