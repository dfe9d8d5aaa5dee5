/**
 * Annotation marks the layers `quantizeApply` will quantize, optionally with a
 * custom QuantizeConfig. The annotation layer computes exactly what the
 * inner layer does, so an annotated model still trains and predicts in float.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {describeValue, ValueError} from '../errors.js';
import {QuantizeConfig} from './quantize_config.js';
import {deserializeRegistered, serializeObject} from '../graph/serialization.js';
import {transformModel, wrapCopyOf} from '../graph/transform_model.js';
import {checkModel} from '../graph/model_graph.js';
import {checkNotWrapped, OptimizationWrapper} from '../graph/wrapper.js';

type Layer = tfl.layers.Layer;

/** Constructor arguments of {@link QuantizeAnnotate}. */
export interface QuantizeAnnotateArgs {
  /** The layer to be quantized. */
  layer: Layer;
  /** How to quantize it; omit for the scheme's default config. */
  quantizeConfig?: QuantizeConfig|null;
  /** Defaults to `quantize_annotate_<layer name>`, as in TFMOT. */
  name?: string;
}

/**
 * A pass-through wrapper recording that its layer should be quantized.
 * Mirrors TFMOT's QuantizeAnnotate (quantize_annotate.py); it computes
 * exactly what its layer does, so an annotated model still trains and
 * predicts in float until `quantizeApply`.
 */
export class QuantizeAnnotate extends OptimizationWrapper {
  /** Registered with tf.serialization (package 'Tfmot') so saved annotated models load back. */
  static className = 'QuantizeAnnotate';
  /** The custom config to quantize the layer with, or null for the scheme's default. */
  readonly quantizeConfig: QuantizeConfig|null;

  /**
   * Wraps `args.layer`.
   *
   * @throws ValueError if the layer is already annotated or `quantizeConfig`
   *     is not a QuantizeConfig.
   */
  constructor(args: QuantizeAnnotateArgs) {
    if (args?.layer instanceof QuantizeAnnotate) {
      throw new ValueError(`Layer '${args.layer.layer.name}' is already annotated.`);
    }
    super(args, 'quantizeAnnotateLayer', 'quantize_annotate_', ['quantizeConfig']);
    if (args.quantizeConfig != null && !(args.quantizeConfig instanceof QuantizeConfig)) {
      throw new ValueError(
          `quantizeAnnotateLayer: quantizeConfig for layer '${args.layer.name}' must be a ` +
          `QuantizeConfig; received ${describeValue(args.quantizeConfig)}.`);
    }
    this.quantizeConfig = args.quantizeConfig ?? null;
  }

  /** Runs the inner layer unchanged. */
  override call(inputs: tf.Tensor|tf.Tensor[], kwargs: Record<string, unknown>):
      tf.Tensor|tf.Tensor[] {
    return this.layer.call(inputs, kwargs);
  }

  /** The wrapper config plus the custom QuantizeConfig, if any, as `{className, config}`. */
  override getConfig(): tf.serialization.ConfigDict {
    const config = super.getConfig();
    if (this.quantizeConfig != null) {
      config['quantizeConfig'] = serializeObject(this.quantizeConfig);
    }
    return config;
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
      cls: tf.serialization.SerializableConstructor<T>,
      config: tf.serialization.ConfigDict): T {
    return OptimizationWrapper.fromConfigWith(cls, config, ({quantizeConfig}) => ({
      quantizeConfig: quantizeConfig == null ? null : deserializeRegistered<QuantizeConfig>(
          quantizeConfig as tf.serialization.ConfigDict, 'QuantizeConfig'),
    }));
  }
}
tf.serialization.registerClass(QuantizeAnnotate, 'Tfmot');

/**
 * Marks a layer to be quantized by `quantizeApply`, with the default scheme's
 * config or `quantizeConfig` (required for layers the scheme does not know).
 * Mirrors tfmot.quantization.keras.quantize_annotate_layer.
 *
 * ```ts
 * const model = tf.sequential({layers: [
 *   tfmot.quantization.quantizeAnnotateLayer(tf.layers.dense({units: 4, inputShape: [8]})),
 *   tf.layers.dense({units: 2}),  // stays float
 * ]});
 * const qat = tfmot.quantization.quantizeApply(model);
 * ```
 */
export function quantizeAnnotateLayer(layer: Layer, quantizeConfig?: QuantizeConfig):
    QuantizeAnnotate {
  return new QuantizeAnnotate({layer, quantizeConfig});
}

/**
 * Annotates every layer of a Sequential or functional model for quantization.
 * Weights are copied; the input model is not changed. Layers already
 * annotated keep their QuantizeConfig. Mirrors
 * tfmot.quantization.keras.quantize_annotate_model.
 *
 * @throws ValueError for a model with pruning or clustering wrappers, or a
 *     QAT model: strip it first (PQAT/CQAT quantize the stripped model with
 *     a preserving scheme).
 *
 * ```ts
 * const qat = tfmot.quantization.quantizeApply(
 *     tfmot.quantization.quantizeAnnotateModel(model));
 * ```
 */
export function quantizeAnnotateModel(model: tfl.LayersModel): tfl.LayersModel {
  checkNotWrapped(checkModel(model, 'quantizeAnnotateModel').layers, 'quantizeAnnotateModel', 'QuantizeAnnotate');
  return transformModel(model, 'quantizeAnnotateModel', (layer) => {
    const inner = layer instanceof QuantizeAnnotate ? layer.layer : layer;
    const config = layer instanceof QuantizeAnnotate ? layer.quantizeConfig : null;
    return wrapCopyOf(inner, (copy) => new QuantizeAnnotate({layer: copy, quantizeConfig: config ?? undefined}));
  });
}
