/**
 * A model that uses every field and options table the schema module models,
 * with non-default values, for round-trip tests. Not meant to run: its
 * shapes are arbitrary (writeModel checks indices and sizes, not semantics).
 */
import {OPTIONS_OF_OPERATOR} from '../../src/tflite/options_layout.js';
import {
  ActivationFunctionType, BuiltinOperator, BuiltinOperatorName, BuiltinOptions, Model, Operator, OperatorCode, Padding,
  Tensor, TensorType,
} from '../../src/tflite/schema.js';

/** Options with every field away from its schema default where possible. */
const OPTIONS: BuiltinOptions[] = [
  {type: 'Conv2DOptions', padding: Padding.VALID, strideW: 2, strideH: 3, fusedActivationFunction:
    ActivationFunctionType.RELU6, dilationWFactor: 2, dilationHFactor: 4, quantizedBiasType: TensorType.INT32},
  {type: 'DepthwiseConv2DOptions', padding: Padding.SAME, strideW: 1, strideH: 2, depthMultiplier: 3,
    fusedActivationFunction: ActivationFunctionType.RELU, dilationWFactor: 1, dilationHFactor: 5},
  {type: 'Pool2DOptions', padding: Padding.VALID, strideW: 2, strideH: 2, filterWidth: 3, filterHeight: 5,
    fusedActivationFunction: ActivationFunctionType.RELU_N1_TO_1},
  {type: 'FullyConnectedOptions', fusedActivationFunction: ActivationFunctionType.TANH, weightsFormat: 1,
    keepNumDims: true, asymmetricQuantizeInputs: true, quantizedBiasType: TensorType.INT64},
  {type: 'SoftmaxOptions', beta: 0.5},
  {type: 'ConcatenationOptions', axis: -1, fusedActivationFunction: ActivationFunctionType.SIGN_BIT},
  {type: 'AddOptions', fusedActivationFunction: ActivationFunctionType.RELU, potScaleInt16: false},
  {type: 'SubOptions', fusedActivationFunction: ActivationFunctionType.RELU6, potScaleInt16: false},
  {type: 'MulOptions', fusedActivationFunction: ActivationFunctionType.RELU},
  {type: 'ReshapeOptions', newShape: [1, -1, 4]},
  {type: 'ReducerOptions', keepDims: true},
  {type: 'SqueezeOptions', squeezeDims: [1, 2]},
  {type: 'PadOptions'},
  {type: 'TransposeOptions'},
  {type: 'DequantizeOptions'},
  {type: 'QuantizeOptions'},
  {type: 'HardSwishOptions'},
];

/** The operator each options table belongs to (the first in OPTIONS_OF_OPERATOR). */
function operatorFor(options: BuiltinOptions): BuiltinOperatorName {
  return (Object.entries(OPTIONS_OF_OPERATOR) as Array<[BuiltinOperatorName, string]>)
      .find(([, table]) => table === options.type)![0];
}

export function kitchenSinkModel(): Model {
  const weights = Int8Array.from({length: 13}, (_, i) => i - 6);
  const tensors: Tensor[] = [
    {shape: [1, 13], type: TensorType.FLOAT32, buffer: 0, name: 'input', shapeSignature: [-1, 13]},
    {shape: [13], type: TensorType.INT8, buffer: 1, name: 'weights_per_channel',
      quantization: {min: [-1.5], max: [2.25], scale: Array.from({length: 13}, (_, i) => Math.fround(0.01 * (i + 1))),
        zeroPoint: Array(13).fill(0), quantizedDimension: 0}},
    {shape: [1, 3], type: TensorType.FLOAT32, buffer: 2, name: 'float_weights'},
    {shape: [4, 4], type: TensorType.FLOAT32, buffer: 3, name: 'sparse_weights', sparsity: {
      traversalOrder: [0, 1], blockMap: [], dimMetadata: [
        {format: 'DENSE', denseSize: 4},
        {format: 'SPARSE_CSR', denseSize: 0, arraySegments: [0, 1, 1, 2, 3], arrayIndices: [2, 0, 3]},
      ]}},
    {shape: [], type: TensorType.INT32, buffer: 0, name: 'state', isVariable: true},
    {shape: [2, 2], type: TensorType.INT16, buffer: 0, name: 'int16_activation',
      quantization: {scale: [Math.fround(1 / 32768)], zeroPoint: [0], quantizedDimension: 0}},
    {shape: [1, 13], type: TensorType.FLOAT32, buffer: 0, name: 'output'},
  ];
  const operatorCodes: OperatorCode[] = [];
  const operators: Operator[] = OPTIONS.map((options) => {
    operatorCodes.push({builtinCode: BuiltinOperator[operatorFor(options)], version: 2});
    return {opcodeIndex: operatorCodes.length - 1, inputs: [0, 1, -1], outputs: [6], builtinOptions: options};
  });
  // Ops without options, a code above 127 and a custom op.
  operatorCodes.push({builtinCode: BuiltinOperator.LOGISTIC, version: 1},
      {builtinCode: BuiltinOperator.CUMSUM, version: 1},
      {builtinCode: BuiltinOperator.CUSTOM, version: 1, customCode: 'MyCustomOp'});
  operators.push({opcodeIndex: OPTIONS.length, inputs: [0], outputs: [6]},
      {opcodeIndex: OPTIONS.length + 1, inputs: [0, 4], outputs: [6]},
      {opcodeIndex: OPTIONS.length + 2, inputs: [5], outputs: [6]});
  // An empty squeeze list and a reshape without new_shape must stay distinct from absent/present.
  operatorCodes.push({builtinCode: BuiltinOperator.SQUEEZE, version: 1}, {builtinCode: BuiltinOperator.RESHAPE, version: 1});
  operators.push({opcodeIndex: operatorCodes.length - 2, inputs: [0], outputs: [6],
    builtinOptions: {type: 'SqueezeOptions', squeezeDims: []}},
  {opcodeIndex: operatorCodes.length - 1, inputs: [0], outputs: [6], builtinOptions: {type: 'ReshapeOptions'}});
  return {
    version: 3,
    description: 'kitchen sink ✓',
    operatorCodes,
    subgraphs: [
      {tensors, inputs: [0], outputs: [6], operators, name: 'main'},
      {tensors: [{shape: [2], type: TensorType.BOOL, buffer: 4, name: 'flags'}], inputs: [], outputs: [0],
        operators: [], name: ''},
    ],
    buffers: [
      {data: new Uint8Array(0)},
      {data: new Uint8Array(weights.buffer)},
      {data: new Uint8Array(new Float32Array([0.5, -1, 2]).buffer)},
      {data: new Uint8Array(new Float32Array([1, 2, 3]).buffer)},
      {data: new Uint8Array([1, 0])},
      {data: new TextEncoder().encode('{"author": "tests"}')},
    ],
    signatureDefs: [
      {inputs: [{name: 'input', tensorIndex: 0}], outputs: [{name: 'output', tensorIndex: 6}],
        signatureKey: 'serving_default', subgraphIndex: 0},
      {inputs: [], outputs: [{name: 'flags', tensorIndex: 0}], signatureKey: 'flags', subgraphIndex: 1},
    ],
    metadata: [{name: 'min_runtime_version', buffer: 5}],
  };
}
