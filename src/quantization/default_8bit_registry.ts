/**
 * The default 8-bit scheme's view of the layer kinds (TFMOT's default_8bit
 * registry): the role each layer's record gives it, checked against its
 * activation.
 */
import * as tfl from '@tensorflow/tfjs-layers';

import {NotSupportedError} from '../errors.js';
import type {QuantizeRule} from '../graph/layer_kind.js';
import {activationName, layerClasses, layerKind} from '../graph/layer_registry.js';
import {checkActivation, fixedOutputKind, isComposedActivation} from './activations.js';
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

/** Layer classes the default 8-bit scheme quantizes. */
export const SUPPORTED_LAYERS = layerClasses((kind) => kind.quantize != null);

/** Looks a layer up; unsupported classes get an error saying how to proceed. */
export function quantizeRole(layer: Layer): QuantizeRole {
  const entry = layerKind(layer)?.quantize;
  if (entry == null) {
    const note = layerKind(layer)?.quantizeNote;
    throw new NotSupportedError(
        `Layer '${layer.name}' of class ${layer.getClassName()} is not supported by the ` +
        `default 8-bit quantization scheme (supported: ${SUPPORTED_LAYERS.join(', ')}). ` +
        (note != null ? `${note} ` : '') +
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
  const entry = layerKind(layer)?.quantize;
  switch (role) {
    case 'weighted': {
      const {weightAttr, perAxis, weightsOnly} = entry as Extract<QuantizeRule, {role: 'weighted'}>;
      // A composed activation's input is a tensor of the int8 file too: always quantized.
      const composed = isComposedActivation(activationName(layer) ?? 'linear');
      return new Default8BitQuantizeConfig({
        weightAttrs: [weightAttr],
        activationAttrs: weightsOnly !== true && (quantizeActivation || composed) ? ['activation'] : [],
        quantizeOutput: weightsOnly !== true && composed && quantizeActivation,
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
