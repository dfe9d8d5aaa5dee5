/**
 * QuantizeLayer: fake-quantizes the tensor flowing through it. Placed after
 * model inputs (and wherever float values enter a quantized region), it
 * records the range the int8 model's input QUANTIZE op will use.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {checkOptionKeys, describeValue, ValueError} from '../errors.js';
import {LAYER_ARG_KEYS} from '../graph/wrapper.js';
import {AllValuesQuantizer, deserializeQuantizer, Quantizer, QuantizerHost, QuantizerVars, trainedRange} from './quantizers.js';
import {serializeObject} from '../graph/serialization.js';

/** Constructor arguments of {@link QuantizeLayer}. */
export interface QuantizeLayerArgs {
  /** Defaults to TFMOT's input quantizer: 8-bit, all-values range. */
  quantizer?: Quantizer;
  /** The layer's name; tfjs generates one if omitted. */
  name?: string;
}

/**
 * A layer that only fake-quantizes its input. Mirrors TFMOT's QuantizeLayer
 * (quantize_layer.py): `quantizeApply` puts one after
 * each model input and wherever a float value enters the quantized region,
 * so the range the int8 model's input QUANTIZE op uses is learned.
 */
export class QuantizeLayer extends tfl.layers.Layer implements QuantizerHost {
  /** Registered with tf.serialization (package 'Tfmot') so saved QAT models containing it load back. */
  static className = 'QuantizeLayer';
  /** The quantizer applied to the input. */
  readonly quantizer: Quantizer;
  private vars: QuantizerVars = {};

  /** @throws ValueError if `args.quantizer` is given but not a Quantizer. */
  constructor(args: QuantizeLayerArgs = {}) {
    checkOptionKeys(args, ['quantizer', ...LAYER_ARG_KEYS], 'QuantizeLayer');
    super({name: args.name});
    if (args.quantizer != null && !(args.quantizer instanceof Quantizer)) {
      throw new ValueError(`QuantizeLayer: quantizer must be a Quantizer; received ${describeValue(args.quantizer)}.`);
    }
    this.quantizer = args.quantizer ?? new AllValuesQuantizer(
        {numBits: 8, perAxis: false, symmetric: false, narrowRange: false});
  }

  /** Adds a float32 variable of the layer, filled with `init`; the quantizer calls it from `build`. */
  addQuantizerWeight(name: string, shape: number[], init: number, trainable = false): tfl.LayerVariable {
    return this.addWeight(
        name, shape, 'float32', tfl.initializers.constant({value: init}), undefined, trainable);
  }

  /** Creates the quantizer's variables (`input_min`, `input_max` for the default one). */
  override build(inputShape: tfl.Shape|tfl.Shape[]): void {
    this.vars = this.quantizer.build(inputShape as number[], 'input', this);
    this.built = true;
  }

  /** Fake-quantizes the input, updating the range when `kwargs.training` is true. */
  override call(inputs: tf.Tensor|tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return this.quantizer.call(x, kwargs?.['training'] === true, this.vars);
  }

  /** The trained input range the int8 file takes, or undefined while still [0, 0]. */
  exportRange(): [number, number]|undefined {
    return trainedRange(this.vars);
  }

  /** The range variables (`min`, `max`) this layer keeps. */
  quantizerVariables(): QuantizerVars {
    return this.vars;
  }

  /** The Layer config plus the quantizer as `{className, config}`. */
  override getConfig(): tf.serialization.ConfigDict {
    return {...super.getConfig(), quantizer: serializeObject(this.quantizer)};
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
      cls: tf.serialization.SerializableConstructor<T>,
      config: tf.serialization.ConfigDict): T {
    const {quantizer, ...rest} = config;
    return new cls({
      ...rest,
      quantizer: deserializeQuantizer(quantizer as tf.serialization.ConfigDict),
    });
  }
}
tf.serialization.registerClass(QuantizeLayer, 'Tfmot');
