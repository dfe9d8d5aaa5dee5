/**
 * QuantizeConfig: what to fake-quantize in one layer. The wrapper asks it for
 * the weights (by attribute), the activation and the outputs to quantize,
 * and with which quantizers.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {ValueError} from '../errors.js';
import {Preserve, PreservingQuantizer} from './preserving_quantizers.js';
import {FixedQuantizer, LastValueQuantizer, MovingAverageQuantizer, Quantizer} from './quantizers.js';

type Layer = tfl.layers.Layer;

/**
 * Says how a layer is quantized. Implement it for a custom layer and pass it
 * to `quantizeAnnotateLayer(layer, config)`; register the class with
 * `tf.serialization.registerClass` so the quantized model saves and loads.
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

/** The default 8-bit config, parameterized like TFMOT's. */
export class Default8BitQuantizeConfig extends QuantizeConfig {
  static className = 'Default8BitQuantizeConfig';
  readonly weightAttrs: string[];
  readonly activationAttrs: string[];
  readonly quantizeOutput: boolean;
  readonly perAxisWeights: boolean;
  readonly preserve: Preserve|null;

  constructor(args: Default8BitQuantizeConfigArgs) {
    super();
    if (!Array.isArray(args?.weightAttrs) || !Array.isArray(args?.activationAttrs)) {
      throw new ValueError(
          'Default8BitQuantizeConfig expects {weightAttrs: string[], ' +
          'activationAttrs: string[], quantizeOutput: boolean}.');
    }
    this.weightAttrs = [...args.weightAttrs];
    this.activationAttrs = [...args.activationAttrs];
    this.quantizeOutput = Boolean(args.quantizeOutput);
    this.perAxisWeights = Boolean(args.perAxisWeights);
    this.preserve = args.preserve ?? null;
  }

  getWeightsAndQuantizers(): Array<[string, Quantizer]> {
    return this.weightAttrs.map((a) => {
      const quantizer = default8BitWeightQuantizer(this.perAxisWeights);
      return [a, this.preserve == null ? quantizer :
          new PreservingQuantizer({quantizer, preserve: this.preserve})];
    });
  }

  getActivationsAndQuantizers(): Array<[string, Quantizer]> {
    return this.activationAttrs.map((a) => [a, default8BitActivationQuantizer()]);
  }

  getOutputQuantizers(): Quantizer[] {
    return this.quantizeOutput ? [default8BitActivationQuantizer()] : [];
  }

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
  static className = 'FixedOutputQuantizeConfig';
  readonly kind: FixedOutputKind;

  constructor(args: {kind: FixedOutputKind}) {
    super();
    if (!(args?.kind in FIXED_OUTPUT_RANGES)) {
      throw new ValueError(
          `FixedOutputQuantizeConfig: kind must be one of ` +
          `${Object.keys(FIXED_OUTPUT_RANGES).join(', ')}; received ${args?.kind}.`);
    }
    this.kind = args.kind;
  }

  getWeightsAndQuantizers(): Array<[string, Quantizer]> {
    return [];
  }

  getActivationsAndQuantizers(): Array<[string, Quantizer]> {
    return [];
  }

  getOutputQuantizers(): Quantizer[] {
    const [min, max] = FIXED_OUTPUT_RANGES[this.kind];
    return [new FixedQuantizer({min, max})];
  }

  getConfig(): tf.serialization.ConfigDict {
    return {kind: this.kind};
  }
}

/** Quantizes nothing: the layer computes in float inside a quantized model. */
export class NoOpQuantizeConfig extends QuantizeConfig {
  static className = 'NoOpQuantizeConfig';

  getWeightsAndQuantizers(): Array<[string, Quantizer]> {
    return [];
  }

  getActivationsAndQuantizers(): Array<[string, Quantizer]> {
    return [];
  }

  getOutputQuantizers(): Quantizer[] {
    return [];
  }

  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

for (const cls of [Default8BitQuantizeConfig, FixedOutputQuantizeConfig, NoOpQuantizeConfig]) {
  tf.serialization.registerClass(cls, 'Tfmot');
}
