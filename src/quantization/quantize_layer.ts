/**
 * QuantizeLayer: fake-quantizes the tensor flowing through it. Placed after
 * model inputs (and wherever float values enter a quantized region), it
 * records the range the int8 model's input QUANTIZE op will use.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {ValueError} from '../errors.js';
import {AllValuesQuantizer, deserializeQuantizer, Quantizer, QuantizerHost, QuantizerVars, serializeObject} from './quantizers.js';

/** Constructor arguments of {@link QuantizeLayer}. */
export interface QuantizeLayerArgs {
  /** Defaults to TFMOT's input quantizer: 8-bit, all-values range. */
  quantizer?: Quantizer;
  name?: string;
}

/** A layer that only fake-quantizes its input. */
export class QuantizeLayer extends tfl.layers.Layer implements QuantizerHost {
  static className = 'QuantizeLayer';
  readonly quantizer: Quantizer;
  private vars: QuantizerVars = {};

  constructor(args: QuantizeLayerArgs = {}) {
    super({name: args.name});
    if (args.quantizer != null && !(args.quantizer instanceof Quantizer)) {
      throw new ValueError(`QuantizeLayer: quantizer must be a Quantizer; received ${args.quantizer}.`);
    }
    this.quantizer = args.quantizer ?? new AllValuesQuantizer(
        {numBits: 8, perAxis: false, symmetric: false, narrowRange: false});
  }

  addQuantizerWeight(name: string, shape: number[], init: number, trainable = false): tfl.LayerVariable {
    return this.addWeight(
        name, shape, 'float32', tfl.initializers.constant({value: init}), undefined, trainable);
  }

  override build(inputShape: tfl.Shape|tfl.Shape[]): void {
    this.vars = this.quantizer.build(inputShape as number[], 'input', this);
    this.built = true;
  }

  override call(inputs: tf.Tensor|tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return this.quantizer.call(x, kwargs?.['training'] === true, this.vars);
  }

  /** The range variables (`min`, `max`) this layer keeps. */
  quantizerVariables(): QuantizerVars {
    return this.vars;
  }

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
