/**
 * QuantizeConfig: what to fake-quantize in one layer. The wrapper asks it for
 * the weights (by attribute), the activation and the outputs to quantize,
 * and with which quantizers.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {checkOptionKeys, formatValue, optionKeys, ValueError} from '../errors.js';
import {Preserve, PreservingQuantizer} from './preserving_quantizers.js';
import {FixedQuantizer, LastValueQuantizer, MovingAverageQuantizer, Quantizer} from './quantizers.js';

type Layer = tfl.layers.Layer;

/**
 * Says how a layer is quantized. Mirrors
 * tfmot.quantization.keras.QuantizeConfig. Implement it for a custom layer
 * and pass it to `quantizeAnnotateLayer(layer, config)`; register the class
 * with `tf.serialization.registerClass` so the quantized model saves and
 * loads.
 */
export abstract class QuantizeConfig extends tf.serialization.Serializable {
  /**
   * `[attribute, quantizer]` for each weight to fake-quantize. The attribute
   * names a field of the layer holding a LayerVariable that the layer reads
   * with `.read()` in `call` (e.g. 'kernel' for Dense).
   */
  abstract getWeightsAndQuantizers(layer: Layer): Array<[string, Quantizer]>;
  /**
   * `[attribute, quantizer]` for the activation function held in that field
   * (e.g. 'activation'): quantized after relu/linear, before softmax-like.
   */
  abstract getActivationsAndQuantizers(layer: Layer): Array<[string, Quantizer]>;
  /** Quantizers applied to the layer's output tensor, in order. */
  abstract getOutputQuantizers(layer: Layer): Quantizer[];
  /** The constructor arguments, saved in the wrapper's config so loading rebuilds the config. */
  abstract override getConfig(): tf.serialization.ConfigDict;
}

/** TFMOT's default 8-bit weight quantizer: symmetric, narrow [-127, 127]. */
export function default8BitWeightQuantizer(perAxis: boolean): Quantizer {
  return new LastValueQuantizer({numBits: 8, perAxis, symmetric: true, narrowRange: true});
}

/** TFMOT's default 8-bit activation quantizer: asymmetric, EMA of batch ranges. */
export function default8BitActivationQuantizer(): Quantizer {
  return new MovingAverageQuantizer(
      {numBits: 8, perAxis: false, symmetric: false, narrowRange: false});
}

/** Arguments of {@link Default8BitQuantizeConfig}. */
export interface Default8BitQuantizeConfigArgs {
  /** Weight attributes to quantize, e.g. ['kernel']. */
  weightAttrs: string[];
  /** Activation attributes to quantize, e.g. ['activation']. */
  activationAttrs: string[];
  /** Quantize the layer's output (layers without an activation: Add, ReLU...). */
  quantizeOutput: boolean;
  /** One weight range per output channel (Conv2D, DepthwiseConv2D). */
  perAxisWeights?: boolean;
  /** Keep sparsity and/or clusters of the weights through QAT (PQAT/CQAT/PCQAT). */
  preserve?: Preserve|null;
}

/**
 * The default 8-bit config, parameterized like TFMOT's
 * default_8bit_quantize_configs.Default8BitQuantizeConfig: weights get a
 * symmetric, narrow-range LastValueQuantizer (per output channel with
 * `perAxisWeights`), activations and outputs an asymmetric
 * MovingAverageQuantizer. Useful for a custom layer quantized like a
 * built-in one.
 */
export class Default8BitQuantizeConfig extends QuantizeConfig {
  /** Registered with tf.serialization (package 'Tfmot') so saved QAT models containing it load back. */
  static className = 'Default8BitQuantizeConfig';
  /** Weight attributes to quantize. */
  readonly weightAttrs: string[];
  /** Activation attributes to quantize. */
  readonly activationAttrs: string[];
  /** Whether the layer's output is quantized. */
  readonly quantizeOutput: boolean;
  /** One weight range per output channel. */
  readonly perAxisWeights: boolean;
  /** What the weight quantizers keep through QAT, or null. */
  readonly preserve: Preserve|null;

  /** @throws ValueError if `weightAttrs` or `activationAttrs` is not an array. */
  constructor(args: Default8BitQuantizeConfigArgs) {
    super();
    if (!Array.isArray(args?.weightAttrs) || !Array.isArray(args?.activationAttrs)) {
      throw new ValueError(
          'Default8BitQuantizeConfig expects {weightAttrs: string[], ' +
          'activationAttrs: string[], quantizeOutput: boolean}.');
    }
    checkOptionKeys(args, optionKeys<Default8BitQuantizeConfigArgs>({weightAttrs: true, activationAttrs: true,
      quantizeOutput: true, perAxisWeights: true, preserve: true}), 'Default8BitQuantizeConfig');
    this.weightAttrs = [...args.weightAttrs];
    this.activationAttrs = [...args.activationAttrs];
    this.quantizeOutput = Boolean(args.quantizeOutput);
    this.perAxisWeights = Boolean(args.perAxisWeights);
    this.preserve = args.preserve ?? null;
  }

  /** A fresh weight quantizer per attribute, wrapped in a PreservingQuantizer when `preserve` is set. */
  getWeightsAndQuantizers(): Array<[string, Quantizer]> {
    return this.weightAttrs.map((a) => {
      const quantizer = default8BitWeightQuantizer(this.perAxisWeights);
      return [a, this.preserve == null ? quantizer :
          new PreservingQuantizer({quantizer, preserve: this.preserve})];
    });
  }

  /** A fresh activation quantizer per attribute. */
  getActivationsAndQuantizers(): Array<[string, Quantizer]> {
    return this.activationAttrs.map((a) => [a, default8BitActivationQuantizer()]);
  }

  /** One activation quantizer if `quantizeOutput`, else none. */
  getOutputQuantizers(): Quantizer[] {
    return this.quantizeOutput ? [default8BitActivationQuantizer()] : [];
  }

  /** The five fields. */
  getConfig(): tf.serialization.ConfigDict {
    return {
      weightAttrs: this.weightAttrs,
      activationAttrs: this.activationAttrs,
      quantizeOutput: this.quantizeOutput,
      perAxisWeights: this.perAxisWeights,
      preserve: this.preserve,
    };
  }
}

/** Output range fixed by the int8 TFLite spec for softmax-like functions. */
export type FixedOutputKind = 'softmax'|'sigmoid'|'tanh';

/** [min, max] whose 8-bit grid is the TFLite fixed (scale, zero point). */
export const FIXED_OUTPUT_RANGES: Record<FixedOutputKind, [number, number]> = {
  softmax: [0, 255 / 256],  // scale 1/256, zero point -128
  sigmoid: [0, 255 / 256],  // scale 1/256, zero point -128
  tanh: [-1, 127 / 128],    // scale 1/128, zero point 0
};

/**
 * Quantizes only the output, to the fixed int8 range of softmax, sigmoid or
 * tanh, so training rounds exactly as the int8 kernel will.
 */
export class FixedOutputQuantizeConfig extends QuantizeConfig {
  /** Registered with tf.serialization (package 'Tfmot') so saved QAT models containing it load back. */
  static className = 'FixedOutputQuantizeConfig';
  /** The function whose fixed output range is used. */
  readonly kind: FixedOutputKind;

  /** @throws ValueError if `args.kind` is not 'softmax', 'sigmoid' or 'tanh'. */
  constructor(args: {kind: FixedOutputKind}) {
    super();
    checkOptionKeys(args, ['kind'], 'FixedOutputQuantizeConfig');
    if (!(args?.kind in FIXED_OUTPUT_RANGES)) {
      throw new ValueError(
          `FixedOutputQuantizeConfig: kind must be one of ` +
          `${Object.keys(FIXED_OUTPUT_RANGES).join(', ')}; received ${formatValue(args?.kind)}.`);
    }
    this.kind = args.kind;
  }

  /** None: only the output is quantized. */
  getWeightsAndQuantizers(): Array<[string, Quantizer]> {
    return [];
  }

  /** None: only the output is quantized. */
  getActivationsAndQuantizers(): Array<[string, Quantizer]> {
    return [];
  }

  /** A FixedQuantizer on the range of `kind` ([0, 255/256] or [-1, 127/128]). */
  getOutputQuantizers(): Quantizer[] {
    const [min, max] = FIXED_OUTPUT_RANGES[this.kind];
    return [new FixedQuantizer({numBits: 8, initMin: min, initMax: max, narrowRange: false})];
  }

  /** `{kind}`. */
  getConfig(): tf.serialization.ConfigDict {
    return {kind: this.kind};
  }
}

/**
 * Quantizes nothing: the layer computes in float inside a quantized model.
 * Mirrors TFMOT's default_8bit NoOpQuantizeConfig.
 */
export class NoOpQuantizeConfig extends QuantizeConfig {
  /** Registered with tf.serialization (package 'Tfmot') so saved QAT models containing it load back. */
  static className = 'NoOpQuantizeConfig';

  /** None. */
  getWeightsAndQuantizers(): Array<[string, Quantizer]> {
    return [];
  }

  /** None. */
  getActivationsAndQuantizers(): Array<[string, Quantizer]> {
    return [];
  }

  /** None. */
  getOutputQuantizers(): Quantizer[] {
    return [];
  }

  /** Empty: there is nothing to configure. */
  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

for (const cls of [Default8BitQuantizeConfig, FixedOutputQuantizeConfig, NoOpQuantizeConfig]) {
  tf.serialization.registerClass(cls, 'Tfmot');
}
