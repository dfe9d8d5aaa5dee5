/**
 * The default 8-bit registry: one flat table saying how each built-in layer
 * class takes part in QAT (TFMOT's default_8bit registry, in one map).
 */
import * as tfl from '@tensorflow/tfjs-layers';

import {NotSupportedError} from '../errors.js';
import {checkActivation, fixedOutputKind} from './activations.js';
import {Preserve} from './preserving_quantizers.js';
import {Default8BitQuantizeConfig, FixedOutputQuantizeConfig, QuantizeConfig} from './quantize_config.js';

type Layer = tfl.layers.Layer;

/**
 * - weighted: weights and activation fake-quantized (Dense, Conv2D...);
 * - output: output fake-quantized (Add, ReLU, pooling that averages...);
 * - fixedOutput: output snapped to softmax/sigmoid/tanh's fixed int8 grid;
 * - passThrough: int8 in, same int8 out, nothing to quantize (Flatten...).
 */
export type QuantizeRole = 'weighted'|'output'|'fixedOutput'|'passThrough';

interface WeightedEntry {
  role: 'weighted';
  weightAttr: string;
  perAxis: boolean;
}
type Entry = WeightedEntry|{role: 'output'|'passThrough'}|{role: 'byActivation'};

const REGISTRY: Record<string, Entry> = {
  Dense: {role: 'weighted', weightAttr: 'kernel', perAxis: false},
  Conv2D: {role: 'weighted', weightAttr: 'kernel', perAxis: true},
  DepthwiseConv2D: {role: 'weighted', weightAttr: 'depthwiseKernel', perAxis: true},
  // Quantized as a DepthwiseConv2D and a 1x1 Conv2D (separable_conv_split.ts).
  SeparableConv2D: {role: 'weighted', weightAttr: 'pointwiseKernel', perAxis: true},
  ReLU: {role: 'output'},
  Add: {role: 'output'},
  Multiply: {role: 'output'},
  Concatenate: {role: 'output'},
  AveragePooling2D: {role: 'output'},
  GlobalAveragePooling2D: {role: 'output'},
  UpSampling2D: {role: 'output'},
  BatchNormalization: {role: 'output'},
  Activation: {role: 'byActivation'},
  Softmax: {role: 'byActivation'},
  Flatten: {role: 'passThrough'},
  Reshape: {role: 'passThrough'},
  Dropout: {role: 'passThrough'},
  MaxPooling2D: {role: 'passThrough'},
  GlobalMaxPooling2D: {role: 'passThrough'},
  ZeroPadding2D: {role: 'passThrough'},
  Cropping2D: {role: 'passThrough'},
  Permute: {role: 'passThrough'},
};

/** Layer classes the default 8-bit scheme quantizes. */
export const SUPPORTED_LAYERS = Object.keys(REGISTRY);

/** The activation function name of a layer ('relu', 'softmax', ...), if any. */
export function activationName(layer: Layer): string|null {
  if (layer.getClassName() === 'Softmax') {
    return 'softmax';
  }
  if (layer.getClassName() === 'ReLU') {
    const maxValue = (layer.getConfig()['maxValue'] ?? null) as number|null;
    return maxValue == null ? 'relu' : maxValue === 6 ? 'relu6' : `relu(maxValue=${maxValue})`;
  }
  const fn = (layer as unknown as {activation?: {getClassName(): string}}).activation;
  return fn?.getClassName() ?? null;
}

/** True for a ReLU/ReLU6 layer or an Activation layer applying one. */
export function isReluLike(layer: Layer): boolean {
  const cls = layer.getClassName();
  const act = activationName(layer);
  return (cls === 'ReLU' || cls === 'Activation') && (act === 'relu' || act === 'relu6');
}

/** Looks a layer up; unsupported classes get an error saying how to proceed. */
export function quantizeRole(layer: Layer): QuantizeRole {
  const entry = REGISTRY[layer.getClassName()];
  if (entry == null) {
    throw new NotSupportedError(
        `Layer '${layer.name}' of class ${layer.getClassName()} is not supported by the ` +
        `default 8-bit quantization scheme (supported: ${SUPPORTED_LAYERS.join(', ')}). ` +
        `Annotate only the other layers with quantizeAnnotateLayer and call ` +
        `quantizeApply, or pass a custom QuantizeConfig for this layer: ` +
        `quantizeAnnotateLayer(layer, config).`);
  }
  if (entry.role === 'weighted') {
    checkActivation(activationName(layer) ?? 'linear', layer);
  }
  if (entry.role !== 'byActivation') {
    return entry.role;
  }
  const act = activationName(layer) ?? 'linear';
  checkActivation(act, layer);
  return fixedOutputKind(act) != null ? 'fixedOutput' : 'output';
}

/**
 * The default QuantizeConfig for a layer of a role. `quantizeActivation`
 * false leaves the output to a following layer (ReLU after Conv2D, inputs of
 * a Concatenate).
 */
export function defaultQuantizeConfig(layer: Layer, quantizeActivation: boolean,
    preserve: Preserve|null = null): QuantizeConfig|null {
  const role = quantizeRole(layer);
  const entry = REGISTRY[layer.getClassName()];
  switch (role) {
    case 'weighted': {
      const {weightAttr, perAxis} = entry as WeightedEntry;
      return new Default8BitQuantizeConfig({
        weightAttrs: [weightAttr],
        activationAttrs: quantizeActivation ? ['activation'] : [],
        quantizeOutput: false,
        perAxisWeights: perAxis,
        preserve,
      });
    }
    case 'output':
      return quantizeActivation ?
          new Default8BitQuantizeConfig(
              {weightAttrs: [], activationAttrs: [], quantizeOutput: true}) :
          null;
    case 'fixedOutput':
      return new FixedOutputQuantizeConfig(
          {kind: fixedOutputKind(activationName(layer) ?? '')!});
    case 'passThrough':
      return null;
  }
}
