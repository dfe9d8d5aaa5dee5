/**
 * QuantizeWrapper: runs a layer with fake-quantized weights, activation and
 * output, as its QuantizeConfig says; optionally with a BatchNormalization
 * folded into its kernel (so QAT trains exactly what the int8 file computes).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {describeValue, NotSupportedError, ValueError} from '../errors.js';
import {ActivationFn, checkActivation, QuantizeAwareActivation} from './activations.js';
import {batchNormScaleShift} from '../graph/batch_norm.js';
import {readWeight} from '../graph/layer_attributes.js';
import {layerClasses, layerKind} from '../graph/layer_registry.js';
import type {Replacement} from '../graph/transform_model.js';
import {QuantizeConfig} from './quantize_config.js';
import {callWithAttributes, weightValue} from '../graph/swap_attributes.js';
import {deserializeLayer, deserializeRegistered, serializeObject} from '../graph/serialization.js';
import {OptimizationWrapper} from '../graph/wrapper.js';
import {nudgedScales, Quantizer, QuantizerHost, QuantizerVars, trainedRange} from './quantizers.js';

type Layer = tfl.layers.Layer;
/** @inline */
type Kwargs = Record<string, unknown>;
type LayerFields = Record<string, unknown>;

/** Constructor arguments of {@link QuantizeWrapper}. */
export interface QuantizeWrapperArgs {
  /** The layer to quantize (not yet built, or built with its weights). */
  layer: Layer;
  /** What to quantize in it. */
  quantizeConfig: QuantizeConfig;
  /** A BatchNormalization that follows `layer`, folded into its kernel. */
  foldedBatchNorm?: Layer|null;
  /** Defaults to `quant_<layer name>`, as in TFMOT. */
  name?: string;
  /** Sets `trainable` of the layer, a folded BatchNorm and the wrapper's own variables. */
  trainable?: boolean;
}

interface QuantizerSlot {
  attr: string;
  quantizer: Quantizer;
  vars: QuantizerVars;
}

/**
 * Wraps a layer for quantization-aware training. Mirrors
 * tfmot.quantization.keras.QuantizeWrapper: the layer runs with its
 * weights, activation and output fake-quantized as its QuantizeConfig
 * says, and optionally with a following BatchNormalization folded into its
 * kernel, so training sees what the int8 file computes. Created by
 * `quantizeApply`; construct it directly only for custom pipelines.
 */
export class QuantizeWrapper extends OptimizationWrapper implements QuantizerHost {
  /** Registered with tf.serialization (package 'Tfmot') so saved QAT models containing it load back. */
  static className = 'QuantizeWrapper';
  /** What is quantized in the layer, and with which quantizers. */
  readonly quantizeConfig: QuantizeConfig;
  /** The BatchNormalization folded into the kernel, or null. */
  readonly foldedBatchNorm: Layer|null;
  private weightSlots: QuantizerSlot[] = [];
  private activationSlots: QuantizerSlot[] = [];
  private outputSlots: QuantizerSlot[] = [];

  /**
   * Wraps `args.layer`; the quantizers' variables are created when the
   * wrapper is built.
   *
   * @throws ValueError if `quantizeConfig` is not a QuantizeConfig;
   *     NotSupportedError for a folded BatchNorm on a layer other than
   *     Conv1D, Conv2D, DepthwiseConv2D or Dense.
   */
  constructor(args: QuantizeWrapperArgs) {
    super(args, 'QuantizeWrapper', 'quant_', ['quantizeConfig', 'foldedBatchNorm']);
    if (!(args.quantizeConfig instanceof QuantizeConfig)) {
      throw new ValueError(
          `QuantizeWrapper for layer '${args.layer.name}' expects quantizeConfig to be a ` +
          `QuantizeConfig; received ${describeValue(args.quantizeConfig)}.`);
    }
    this.quantizeConfig = args.quantizeConfig;
    this.foldedBatchNorm = args.foldedBatchNorm ?? null;
    if (this.foldedBatchNorm != null && layerKind(this.layer)?.kernel == null) {
      throw new NotSupportedError(
          `Layer '${this.layer.name}' (${this.layer.getClassName()}) cannot absorb a ` +
          `BatchNormalization; only ${layerClasses((k) => k.kernel != null).join(', ')} can.`);
    }
  }

  /** Adds a float32 variable of the wrapper, filled with `init`; quantizers call it from `build`. */
  addQuantizerWeight(name: string, shape: number[], init: number, trainable = false): tfl.LayerVariable {
    return this.addWeight(
        name, shape, 'float32', tfl.initializers.constant({value: init}), undefined, trainable);
  }

  /**
   * Builds the layer (and the folded BatchNorm), then the quantizers the
   * config names for its weights, activations and output.
   *
   * @throws ValueError if the config names a weight or activation the layer
   *     does not have, or an activation QAT cannot quantize.
   */
  override build(inputShape: tfl.Shape|tfl.Shape[]): void {
    super.build(inputShape);
    const outputShape = this.layer.computeOutputShape(inputShape) as tfl.Shape;
    const bn = this.foldedBatchNorm;
    if (bn != null && !bn.built) {
      bn.build(outputShape);
      bn.built = true;
    }
    const fields = this.layer as unknown as LayerFields;
    this.weightSlots = this.quantizeConfig.getWeightsAndQuantizers(this.layer).map(
        ([attr, quantizer]) => {
          const variable = fields[attr] as tfl.LayerVariable|undefined;
          if (variable == null || typeof variable.read !== 'function') {
            throw new ValueError(
                `QuantizeConfig for layer '${this.layer.name}' names weight '${attr}', ` +
                `but the layer has no such weight variable.`);
          }
          const shape = this.channelsLast(attr, variable.read()).shape;
          return {attr, quantizer, vars: quantizer.build(shape, attr, this)};
        });
    this.activationSlots = this.quantizeConfig.getActivationsAndQuantizers(this.layer).map(
        ([attr, quantizer]) => {
          const fn = fields[attr] as ActivationFn|undefined;
          if (fn == null || typeof fn.apply !== 'function') {
            throw new ValueError(
                `QuantizeConfig for layer '${this.layer.name}' names activation '${attr}', ` +
                `but the layer has no such activation.`);
          }
          checkActivation(fn.getClassName(), this.layer);
          return {attr, quantizer, vars: quantizer.build(outputShape as number[], attr, this)};
        });
    this.outputSlots = this.quantizeConfig.getOutputQuantizers(this.layer).map(
        (quantizer, i) => {
          const name = i === 0 ? 'output' : `output_${i}`;
          return {attr: name, quantizer, vars: quantizer.build(outputShape as number[], name, this)};
        });
    this.built = true;
  }

  /**
   * Runs the layer with quantized weights and activation, then the output
   * quantizers; ranges update only when `kwargs.training` is true.
   */
  override call(inputs: tf.Tensor|tf.Tensor[], kwargs: Kwargs): tf.Tensor|tf.Tensor[] {
    return tf.tidy(() => {
      const training = kwargs?.['training'] === true;
      let outputs = this.computesForward() ?
          this.callBuiltIn(inputs, training) : this.callSwapped(inputs, kwargs, training);
      for (const slot of this.outputSlots) {
        outputs = slot.quantizer.call(outputs, training, slot.vars);
      }
      return outputs;
    });
  }

  /**
   * Built-in kernel layers (Dense, Conv2D, DepthwiseConv2D) with the default
   * attributes are computed here: kernel (BatchNorm folded, quantized), bias,
   * then the activation with its quantizer.
   */
  private computesForward(): boolean {
    const layout = layerKind(this.layer)?.kernel;
    return layout != null &&
        this.weightSlots.every((s) => s.attr === layout.kernelAttr) &&
        this.activationSlots.every((s) => s.attr === 'activation');
  }

  private callBuiltIn(inputs: tf.Tensor|tf.Tensor[], training: boolean): tf.Tensor {
    const layout = layerKind(this.layer)!.kernel!;
    const fields = this.layer as unknown as LayerFields;
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const fold = this.foldedBatchNorm != null ? batchNormScaleShift(this.foldedBatchNorm) : null;
    const kernel = this.effectiveWeights(fold?.scale ?? null, training)
        .find((w) => w.attr === layout.kernelAttr)?.value ??
        (fields[layout.kernelAttr] as tfl.LayerVariable).read();
    let y = layout.forward(this.layer, x, kernel);
    const bias = this.effectiveBias(fold);
    if (bias != null) {
      y = tf.add(y, bias);
    }
    const slot = this.activationSlots[0];
    const activation = new QuantizeAwareActivation(
        fields['activation'] as ActivationFn, slot?.quantizer ?? null, slot?.vars ?? {}, training);
    return activation.apply(y);
  }

  /**
   * Any other layer runs its own `call` with the quantized weights and a
   * quantizing activation swapped into the attributes the config names.
   */
  private callSwapped(inputs: tf.Tensor|tf.Tensor[], kwargs: Kwargs, training: boolean):
      tf.Tensor {
    const fields = this.layer as unknown as LayerFields;
    const replacements: Array<[string, unknown]> = [
      ...this.effectiveWeights(null, training).map(
          (w): [string, unknown] => [w.attr, weightValue(w.value)]),
      ...this.activationSlots.map((slot): [string, unknown] => [slot.attr,
        new QuantizeAwareActivation(fields[slot.attr] as ActivationFn, slot.quantizer, slot.vars, training)]),
    ];
    return callWithAttributes(this.layer, replacements, inputs, kwargs) as tf.Tensor;
  }

  /**
   * The weights the wrapped layer computes with: BatchNorm folded in and
   * fake-quantized, as `{attr, value}`. The int8 exporter reads these too.
   */
  effectiveWeights(foldScale: tf.Tensor|null, training = false):
      Array<{
        /** The weight attribute, e.g. `'kernel'`. */
        attr: string,
        /** Its value as the layer computes with it, in the layer's own layout. */
        value: tf.Tensor,
      }> {
    const fields = this.layer as unknown as LayerFields;
    const layout = layerKind(this.layer)?.kernel;
    const attrs = new Set(this.weightSlots.map((s) => s.attr));
    if (foldScale != null && layout != null) {
      attrs.add(layout.kernelAttr);
    }
    return [...attrs].map((attr) => {
      const raw = (fields[attr] as tfl.LayerVariable).read();
      let view = this.channelsLast(attr, raw);
      if (foldScale != null && attr === layout?.kernelAttr) {
        view = tf.mul(view, foldScale);
      }
      const slot = this.weightSlots.find((s) => s.attr === attr);
      if (slot != null) {
        view = slot.quantizer.call(view, training, slot.vars);
      }
      return {attr, value: this.fromChannelsLast(attr, view, raw.shape)};
    });
  }

  /**
   * Sets the weight quantizers' ranges from the current weights, as a
   * training step would, so weight ranges are right from the start rather
   * than TFMOT's [-6, 6] placeholder. (Activation and input ranges still need
   * training batches, as in TFMOT.)
   */
  initializeWeightRanges(): void {
    tf.tidy(() => {
      const fold = this.foldedBatchNorm != null ? batchNormScaleShift(this.foldedBatchNorm) : null;
      const layout = layerKind(this.layer)?.kernel;
      const fields = this.layer as unknown as LayerFields;
      for (const slot of this.weightSlots) {
        let view = this.channelsLast(slot.attr, (fields[slot.attr] as tfl.LayerVariable).read());
        if (fold != null && slot.attr === layout?.kernelAttr) {
          view = tf.mul(view, fold.scale);
        }
        slot.quantizer.initialize(view, slot.vars);
      }
      this.effectiveWeights(fold?.scale ?? null, true);
    });
  }

  /** The bias the layer adds: (b - mean) * s + beta when BatchNorm is folded. */
  effectiveBias(fold: {scale: tf.Tensor, shift: tf.Tensor}|null): tf.Tensor|null {
    const bias = (this.layer as unknown as LayerFields)['bias'] as tfl.LayerVariable|null;
    if (fold == null) {
      return bias?.read() ?? null;
    }
    return bias != null ? tf.add(tf.mul(bias.read(), fold.scale), fold.shift) : fold.shift;
  }

  private channelsLast(attr: string, w: tf.Tensor): tf.Tensor {
    const layout = layerKind(this.layer)?.kernel;
    return layout?.kernelAttr === attr ? layout.toChannelsLast(w) : w;
  }

  private fromChannelsLast(attr: string, view: tf.Tensor, shape: number[]): tf.Tensor {
    const layout = layerKind(this.layer)?.kernel;
    return layout?.kernelAttr === attr ? layout.fromChannelsLast(view, shape) : view;
  }

  /**
   * The kernel as the int8 file holds it (BatchNorm folded, on the weight
   * quantizer's grid) and the bias the layer adds, for layers QAT computes
   * itself; others lower with their float weights.
   */
  override inferenceWeights(): Map<string, tf.Tensor|null> {
    const layout = layerKind(this.layer)?.kernel;
    if (layout == null) {
      return new Map();
    }
    const fold = this.foldedBatchNorm != null ? batchNormScaleShift(this.foldedBatchNorm) : null;
    const kernel = this.effectiveWeights(fold?.scale ?? null)
        .find((w) => w.attr === layout.kernelAttr)?.value ?? readWeight(this.layer, layout.kernelAttr)!;
    return new Map([[layout.kernelAttr, kernel], ['bias', this.effectiveBias(fold)]]);
  }

  /** The float weights: QAT trains them, and its quantized form is the TFLite file. */
  override strippedWeights(): tf.Tensor[] {
    return this.layer.weights.map((v) => v.read());
  }

  /** @throws NotSupportedError: a QAT layer has no plain float form; convert the model with TFLiteConverter. */
  override strip(): Replacement {
    throw new NotSupportedError(`Layer '${this.name}' is a QAT layer; it has no plain float form ` +
        `(export the model with tflite.TFLiteConverter).`);
  }

  /**
   * The trained ranges the int8 export takes: the kernel's per-channel
   * scales as the weight quantizer nudged them (zero point 0), and the
   * activation and output ranges; a range still at [0, 0] (no data seen)
   * is left out.
   */
  exportRanges(): {
    /** Per-channel (or one) scales of the kernel's symmetric int8 grid. */
    weightScales?: number[],
    /** The range of the activation's output. */
    activation?: [number, number],
    /** The range of the layer's output. */
    output?: [number, number],
  } {
    const layout = layerKind(this.layer)?.kernel;
    const weightVars = this.weightSlots.find((s) => s.attr === layout?.kernelAttr)?.vars;
    return {
      weightScales: weightVars?.min != null ? nudgedScales(weightVars) : undefined,
      activation: trainedRange(this.activationSlots.find((s) => s.attr === 'activation')?.vars),
      output: trainedRange(this.outputSlots.find((s) => s.attr === 'output')?.vars),
    };
  }

  /** Quantizer variables by slot (`kernel`, `activation`, `output`...). */
  quantizerVariables(): Record<string, QuantizerVars> {
    const all: Record<string, QuantizerVars> = {};
    for (const slot of [...this.weightSlots, ...this.activationSlots, ...this.outputSlots]) {
      all[slot.attr] = slot.vars;
    }
    return all;
  }

  /** The inner layer and the folded BatchNorm, if any. */
  override wrappedLayers(): Layer[] {
    const inner = super.wrappedLayers();
    return this.foldedBatchNorm != null ? [...inner, this.foldedBatchNorm] : inner;
  }

  /** The wrapper config plus the QuantizeConfig and folded BatchNorm as `{className, config}`. */
  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict =
        {...super.getConfig(), quantizeConfig: serializeObject(this.quantizeConfig)};
    if (this.foldedBatchNorm != null) {
      config['foldedBatchNorm'] = serializeObject(this.foldedBatchNorm);
    }
    return config;
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
      cls: tf.serialization.SerializableConstructor<T>,
      config: tf.serialization.ConfigDict): T {
    return OptimizationWrapper.fromConfigWith(cls, config, ({quantizeConfig, foldedBatchNorm}) => ({
      quantizeConfig: deserializeRegistered<QuantizeConfig>(
          quantizeConfig as tf.serialization.ConfigDict, 'QuantizeConfig'),
      foldedBatchNorm: foldedBatchNorm != null ?
          deserializeLayer(foldedBatchNorm as tf.serialization.ConfigDict) : null,
    }));
  }
}
tf.serialization.registerClass(QuantizeWrapper, 'Tfmot');
