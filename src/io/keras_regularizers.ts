/**
 * Keras' `L1` and `L2` regularizer classes, which tfjs-layers lacks (it
 * registers only `L1L2`): a model converted from Keras with
 * `kernel_regularizer: {class_name: 'L2', config: {l2: 1e-4}}` fails to load
 * with `Unknown regularizer: L2` without them. Registered when this package
 * is imported; they compute as tfjs' L1L2 with the other factor 0 and save
 * back under their Keras names.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {checkOptionKeys} from '../errors.js';

/** tfjs-layers' L1L2 instance: Keras' penalty with both factors. */
interface L1L2Instance extends tf.serialization.Serializable {
  /** The L1 factor (0 for L2). */
  l1: number;
  /** The L2 factor (0 for L1). */
  l2: number;
  /** The penalty of a weight tensor. */
  apply(x: tf.Tensor): tf.Scalar;
}
type L1L2Constructor = new (args: {l1: number, l2: number}) => L1L2Instance;

// tfjs-layers exports L1L2 only through its factory; its instances give the class.
const L1L2 = tfl.regularizers.l1l2({l1: 0, l2: 0}).constructor as L1L2Constructor;

/** Keras' default factor for L1() and L2(). */
const KERAS_DEFAULT = 0.01;

/** The one factor of L1 or L2 (Keras' config has no other key), or the default. */
function checkedFactor(args: {l1?: number|null, l2?: number|null}|undefined, key: 'l1'|'l2'): number {
  // tfjs' deserialization adds `customObjects` to every config it hands fromConfig.
  checkOptionKeys(args, [key, 'customObjects'], key.toUpperCase());
  return args?.[key] ?? KERAS_DEFAULT;
}

/** Keras' `L1`: l1 * sum(|x|). */
export class L1 extends L1L2 {
  /** Registered under Keras' class name, so Keras-converted models load and save back. */
  static readonly className = 'L1';

  /**
   * Keras' `L1(l1=...)`.
   *
   * @param args.l1 The factor; default 0.01, as in Keras.
   */
  constructor(args: {l1?: number|null} = {}) {
    super({l1: checkedFactor(args, 'l1'), l2: 0});
  }

  /** `{l1}`, as Keras writes it. */
  override getConfig(): tf.serialization.ConfigDict {
    return {l1: this.l1};
  }

  /** Builds one from its config. */
  static fromConfig<T extends tf.serialization.Serializable>(
      cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls(config);
  }
}

/** Keras' `L2`: l2 * sum(x^2). */
export class L2 extends L1L2 {
  /** Registered under Keras' class name, so Keras-converted models load and save back. */
  static readonly className = 'L2';

  /**
   * Keras' `L2(l2=...)`.
   *
   * @param args.l2 The factor; default 0.01, as in Keras.
   */
  constructor(args: {l2?: number|null} = {}) {
    super({l1: 0, l2: checkedFactor(args, 'l2')});
  }

  /** `{l2}`, as Keras writes it. */
  override getConfig(): tf.serialization.ConfigDict {
    return {l2: this.l2};
  }

  /** Builds one from its config. */
  static fromConfig<T extends tf.serialization.Serializable>(
      cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls(config);
  }
}

tf.serialization.registerClass(L1);
tf.serialization.registerClass(L2);
