/**
 * Where fake quantization goes around an activation function. TFLite fuses
 * relu/relu6 into the op before them, so those quantize after the function;
 * softmax/sigmoid/tanh are separate int8 ops with fixed output parameters,
 * so their input is quantized and their output snapped to the fixed grid.
 * The composed ones (elu, gelu, swish...) are separate ops too: their input
 * is quantized here and their output by the layer's output quantizer (as
 * TFMOT quantizes swish's output), both being tensors of the int8 file.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {NotSupportedError} from '../errors.js';
import {COMPOSED_ACTIVATION_NAMES} from '../graph/activation_functions.js';
import {FIXED_OUTPUT_RANGES, FixedOutputKind} from './quantize_config.js';
import {FixedQuantizer, Quantizer, QuantizerVars} from './quantizers.js';

/** Activations quantized after the function (fused into the op in TFLite). */
export const QUANTIZE_AFTER_ACTIVATIONS = ['linear', 'relu', 'relu6'] as const;
/** Activations quantized before the function, with fixed int8 outputs. */
export const FIXED_OUTPUT_ACTIVATIONS = ['softmax', 'sigmoid', 'tanh'] as const;
/** Activations lowered to their own ops: input and output quantized. */
export const COMPOSED_QAT_ACTIVATIONS: readonly string[] = COMPOSED_ACTIVATION_NAMES;

/** True for an activation quantized on both sides (see COMPOSED_QAT_ACTIVATIONS). */
export const isComposedActivation = (name: string) => COMPOSED_QAT_ACTIVATIONS.includes(name);

/** The tfjs-layers activation object (`layer.activation`). */
export interface ActivationFn {
  apply(x: tf.Tensor): tf.Tensor;
  getClassName(): string;
}

/** Throws unless QAT and the int8 export support the activation `name` of `layer`. */
export function checkActivation(name: string, layer: tfl.layers.Layer): void {
  const known: readonly string[] =
      [...QUANTIZE_AFTER_ACTIVATIONS, ...FIXED_OUTPUT_ACTIVATIONS, ...COMPOSED_QAT_ACTIVATIONS].sort();
  if (!known.includes(name)) {
    throw new NotSupportedError(
        `Layer '${layer.name}' of class ${layer.getClassName()} uses activation '${name}', ` +
        `which int8 quantization does not support; supported: ${known.join(', ')}. Use a ` +
        `supported activation, leave this layer out of quantizeAnnotateLayer (it stays ` +
        `float), or pass a custom QuantizeConfig for it: quantizeAnnotateLayer(layer, config).`);
  }
}

/** Fixed-grid kind of a softmax-like activation, or null. */
export function fixedOutputKind(name: string): FixedOutputKind|null {
  return (FIXED_OUTPUT_ACTIVATIONS as readonly string[]).includes(name) ?
      name as FixedOutputKind : null;
}

/**
 * Applies a layer's activation with fake quantization around it. Also stands
 * in for the activation inside a layer's own `call`: its class name is not a
 * fusable one, so Dense/Conv2D call `apply` on it.
 */
export class QuantizeAwareActivation implements ActivationFn {
  constructor(
      private readonly inner: ActivationFn,
      private readonly quantizer: Quantizer|null,
      private readonly vars: QuantizerVars,
      private readonly training: boolean) {}

  getClassName(): string {
    return 'QuantizeAwareActivation';
  }

  apply(x: tf.Tensor): tf.Tensor {
    let y = x;
    if (this.quantizer == null) {
      return this.inner.apply(y);
    }
    const name = this.inner.getClassName();
    if (isComposedActivation(name)) {
      // The output quantizer of the wrapper follows (defaultQuantizeConfig adds it).
      return this.inner.apply(this.quantizer.call(y, this.training, this.vars));
    }
    const fixedKind = fixedOutputKind(name);
    if (fixedKind == null) {
      return this.quantizer.call(this.inner.apply(y), this.training, this.vars);
    }
    y = this.quantizer.call(y, this.training, this.vars);
    const [min, max] = FIXED_OUTPUT_RANGES[fixedKind];
    return new FixedQuantizer({numBits: 8, initMin: min, initMax: max, narrowRange: false})
        .call(this.inner.apply(y));
  }
}
