/**
 * quantizeApply: turns an annotated model into a QAT model. Annotated layers
 * become QuantizeWrappers (with BatchNorm folded in and ReLU/Concatenate
 * patterns applied), float values entering the quantized region pass a
 * QuantizeLayer, and weights are copied over.
 */
import * as tfl from '@tensorflow/tfjs-layers';

import {checkOptionKeys, NotSupportedError, ValueError} from '../errors.js';
import {checkConfigForms} from '../graph/check_config.js';
import {isLastAxis} from '../graph/config_axis.js';
import {applySymbolic, checkModel, LayerNode, ModelGraph, readGraph, rebuildModel, soleConsumer} from '../graph/model_graph.js';
import {fixedOutputKind} from './activations.js';
import {activationName, isReluLike, layerKind} from '../graph/layer_registry.js';
import {defaultQuantizeConfig, quantizeRole} from './default_8bit_registry.js';
import {cloneLayer} from '../graph/serialization.js';
import {checkNotWrapped} from '../graph/wrapper.js';
import {QuantizeAnnotate, quantizeAnnotateModel} from './quantize_annotate.js';
import {QuantizeConfig} from './quantize_config.js';
import {QuantizeLayer} from './quantize_layer.js';
import {QuantizeWrapper} from './quantize_wrapper.js';
import {Preserve} from './preserving_quantizers.js';
import {splitSeparableConv} from './separable_conv_split.js';
import {AllValuesQuantizer, MovingAverageQuantizer, Quantizer} from './quantizers.js';

type Layer = tfl.layers.Layer;
type SymbolicTensor = tfl.SymbolicTensor;

/**
 * A quantization scheme: the config for each annotated layer and the
 * quantizers for values entering the quantized region. Mirrors
 * tfmot.quantization.keras.default_8bit.Default8BitQuantizeScheme. Subclass
 * it to change how layers are quantized; the preserving schemes do.
 */
export class Default8BitQuantizeScheme {
  /**
   * Config for an annotated layer without a custom one; null means the layer
   * passes int8 values through unchanged. Throws for unsupported layers.
   */
  getQuantizeConfig(layer: Layer, quantizeActivation: boolean): QuantizeConfig|null {
    return defaultQuantizeConfig(layer, quantizeActivation, this.preserve());
  }

  /** What the weight quantizers keep through QAT (none by default). */
  protected preserve(): Preserve|null {
    return null;
  }

  /** Quantizer for a model input (TFMOT: all-values running range). */
  inputQuantizer(): Quantizer {
    return new AllValuesQuantizer({numBits: 8, perAxis: false, symmetric: false, narrowRange: false});
  }

  /** Quantizer for a float layer's output entering the quantized region. */
  boundaryQuantizer(): Quantizer {
    return new MovingAverageQuantizer({numBits: 8, perAxis: false, symmetric: false, narrowRange: false});
  }
}

/**
 * PQAT: QAT that keeps a pruned model's zeros. Mirrors
 * tfmot.experimental.combine.Default8BitPrunePreserveQuantizeScheme.
 *
 * ```ts
 * const pqat = tfmot.quantization.quantizeApply(
 *     tfmot.quantization.quantizeAnnotateModel(stripped),
 *     new tfmot.quantization.Default8BitPrunePreserveQuantizeScheme());
 * ```
 */
export class Default8BitPrunePreserveQuantizeScheme extends Default8BitQuantizeScheme {
  protected override preserve(): Preserve {
    return 'sparsity';
  }
}

/**
 * CQAT (and PCQAT with `preserveSparsity`): QAT that keeps a clustered
 * model's clusters. Mirrors
 * tfmot.experimental.combine.Default8BitClusterPreserveQuantizeScheme.
 *
 * ```ts
 * const pcqat = tfmot.quantization.quantizeApply(
 *     tfmot.quantization.quantizeAnnotateModel(strippedClustered),
 *     new tfmot.quantization.Default8BitClusterPreserveQuantizeScheme({preserveSparsity: true}));
 * ```
 */
export class Default8BitClusterPreserveQuantizeScheme extends Default8BitQuantizeScheme {
  /** Whether zeros are kept too (PCQAT). */
  readonly preserveSparsity: boolean;

  /**
   * CQAT, or PCQAT with `args.preserveSparsity`.
   *
   * @param args.preserveSparsity Keep zero weights zero as well (PCQAT), for
   *     a pruned model clustered with `preserveSparsity`; default false.
   */
  constructor(args: {preserveSparsity?: boolean} = {}) {
    super();
    checkOptionKeys(args, ['preserveSparsity'], 'Default8BitClusterPreserveQuantizeScheme');
    this.preserveSparsity = Boolean(args.preserveSparsity);
  }

  protected override preserve(): Preserve {
    return this.preserveSparsity ? 'clustersAndSparsity' : 'clusters';
  }
}

interface Plan {
  /** BatchNormalization layer -> the layer it folds into. */
  foldedInto: Map<Layer, Layer>;
  /** Layers whose output a following layer quantizes instead. */
  outputLeftToConsumer: Set<Layer>;
}

function annotation(layer: Layer): {inner: Layer, config: QuantizeConfig|null}|null {
  return layer instanceof QuantizeAnnotate ? {inner: layer.layer, config: layer.quantizeConfig} : null;
}

function usedOnce(graph: ModelGraph, layer: Layer): boolean {
  return graph.nodes.filter((n) => n.layer === layer).length === 1;
}

/** A layer folding into its producer (BatchNormalization) over the channel (last) axis, as folding needs. */
function isFoldableBatchNorm(layer: Layer, node: LayerNode): boolean {
  const rule = layerKind(layer)?.quantize;
  if (rule?.role !== 'output' || !rule.foldsIntoProducer) {
    return false;
  }
  return isLastAxis(layer, 'axis', node.inputs[0].shape.length);
}

/** Decides BatchNorm folding and where outputs are left to a consumer. */
function plan(graph: ModelGraph): Plan {
  const annotated = new Map<Layer, QuantizeConfig|null>();
  for (const node of graph.nodes) {
    const a = annotation(node.layer);
    if (a != null) {
      annotated.set(a.inner, a.config);
    }
  }
  const defaultAnnotated = (layer: Layer) => annotated.has(layer) && annotated.get(layer) == null;
  const foldedInto = new Map<Layer, Layer>();
  const outputLeftToConsumer = new Set<Layer>();
  for (const node of graph.nodes) {
    const layer = annotation(node.layer)?.inner;
    if (layer == null || !defaultAnnotated(layer) || !usedOnce(graph, node.layer)) {
      continue;
    }
    const role = quantizeRole(layer);
    let tail = node;
    const next = soleConsumer(graph, node);
    const nextLayer = next != null ? annotation(next.layer)?.inner : undefined;
    if (role === 'weighted' && activationName(layer) === 'linear' && next != null &&
        nextLayer != null && defaultAnnotated(nextLayer) && isFoldableBatchNorm(nextLayer, next) &&
        usedOnce(graph, next.layer)) {
      foldedInto.set(nextLayer, layer);
      tail = next;
    }
    const after = soleConsumer(graph, tail);
    const afterLayer = after != null ? annotation(after.layer)?.inner : undefined;
    if (afterLayer == null || !defaultAnnotated(afterLayer)) {
      continue;
    }
    const linearTail = tail !== node || activationName(layer) === 'linear';
    // A softmax/sigmoid/tanh activation keeps its pre-activation quantizer before a
    // Concatenate: TFLite needs that range, and the concat requantizes the fixed output.
    const fixedOutput = fixedOutputKind(activationName(layer) ?? 'linear') != null;
    if ((role === 'weighted' && linearTail && isReluLike(afterLayer)) ||
        ((role === 'weighted' || role === 'output') && !fixedOutput &&
         sharesInputRanges(afterLayer))) {
      outputLeftToConsumer.add(layer);
    }
  }
  return {foldedInto, outputLeftToConsumer};
}

/** True for a layer `quantizeApply` makes: a QuantizeWrapper or a QuantizeLayer. */
function isQatLayer(layer: Layer): boolean {
  return layer instanceof QuantizeWrapper || layer instanceof QuantizeLayer;
}

/** True if the model was made by quantizeModel/quantizeApply. */
export function isQatModel(model: tfl.LayersModel): boolean {
  return model.layers.some(isQatLayer);
}

function sharesInputRanges(layer: Layer): boolean {
  const rule = layerKind(layer)?.quantize;
  return rule?.role === 'output' && rule.sharesInputRanges === true;
}

function splitForQat(layer: Layer): boolean {
  const rule = layerKind(layer)?.quantize;
  return rule?.role === 'weighted' && rule.split === 'separable';
}

function checkNotQuantized(graph: ModelGraph): void {
  for (const node of graph.nodes) {
    if (isQatLayer(node.layer)) {
      throw new ValueError(
          `Model '${graph.model.name}' is already quantized (layer '${node.layer.name}' is a ` +
          `${node.layer.getClassName()}); quantize the float model only once.`);
    }
  }
}

/**
 * Makes a QAT model from a model annotated with `quantizeAnnotateLayer` /
 * `quantizeAnnotateModel`. The input model is not changed. Mirrors
 * tfmot.quantization.keras.quantize_apply: annotated layers become
 * QuantizeWrappers (a channel-last BatchNormalization that is the only
 * reader of a Conv1D, Conv2D, DepthwiseConv2D or Dense without activation is
 * folded into it), float values entering the quantized region pass a
 * QuantizeLayer, and weights are copied.
 *
 * @throws ValueError if no layer is annotated or the model is already
 *     quantized; NotSupportedError for an annotated layer the scheme cannot
 *     quantize without a custom QuantizeConfig.
 *
 * ```ts
 * const annotated = tfmot.quantization.quantizeAnnotateModel(model);
 * const qat = tfmot.quantization.quantizeApply(annotated);
 * qat.compile({optimizer: 'adam', loss: 'categoricalCrossentropy'});
 * ```
 */
export function quantizeApply(
    model: tfl.LayersModel,
    scheme: Default8BitQuantizeScheme = new Default8BitQuantizeScheme()): tfl.LayersModel {
  const graph = readGraph(checkModel(model, 'quantizeApply'));
  checkNotQuantized(graph);
  checkNotWrapped(graph.nodes.map((n) => (n.layer instanceof QuantizeAnnotate ? n.layer.layer : n.layer)),
      'quantizeApply');
  checkConfigForms(graph, 'quantizeApply');
  if (!graph.nodes.some((n) => n.layer instanceof QuantizeAnnotate)) {
    throw new ValueError(
        `quantizeApply: model '${model.name}' has no annotated layers. Use ` +
        `quantizeModel(model), or annotate layers with quantizeAnnotateLayer first.`);
  }
  const {foldedInto, outputLeftToConsumer} = plan(graph);
  const replacements = new Map<Layer, Layer>();
  /** Annotated layer -> the quantized layers standing for it, applied in order. */
  const quantizedChains = new Map<Layer, Layer[]>();
  const weightCopies: Array<() => void> = [];
  const quantizedTensors = new Set<SymbolicTensor>();
  const boundaryLayers = new Map<SymbolicTensor, SymbolicTensor>();

  const intoQuantizedRegion = (old: SymbolicTensor, fresh: SymbolicTensor) => {
    if (quantizedTensors.has(fresh)) {
      return fresh;
    }
    if (old.dtype === 'int32') {
      return fresh;  // Indices (into an Embedding): int32 in TFLite too, nothing to quantize.
    }
    let q = boundaryLayers.get(old);
    if (q == null) {
      const fromInput = graph.producer(old) == null;
      const layer = new QuantizeLayer({
        quantizer: fromInput ? scheme.inputQuantizer() : scheme.boundaryQuantizer(),
        name: `quantize_layer_${old.sourceLayer.name}`,
      });
      q = applySymbolic(layer, [fresh])[0];
      quantizedTensors.add(q);
      boundaryLayers.set(old, q);
    }
    return q;
  };

  const newModel = rebuildModel(graph, (node, inputs) => {
    const a = annotation(node.layer);
    if (a == null) {
      let layer = replacements.get(node.layer);
      if (layer == null) {
        const original = node.layer;
        const clone = cloneLayer(original);
        layer = clone;
        replacements.set(original, clone);
        weightCopies.push(() => clone.setWeights(original.getWeights()));
      }
      return applySymbolic(layer, inputs, node.callArgs);
    }
    const inner = a.inner;
    if (foldedInto.has(inner)) {
      // The BatchNorm is computed inside its producer's wrapper.
      for (const t of inputs) {
        quantizedTensors.add(t);
      }
      return inputs;
    }
    const qInputs = inputs.map((t, i) => intoQuantizedRegion(node.inputs[i], t));
    let chain = quantizedChains.get(node.layer);
    if (chain == null) {
      const options: MakeOptions = {
        quantizeActivation: !outputLeftToConsumer.has(inner),
        batchNorm: [...foldedInto].find(([, target]) => target === inner)?.[0] ?? null,
        weightCopies,
      };
      chain = splitForQat(inner) && a.config == null ?
          quantizedSeparablePair(inner, scheme, options) :
          [makeQuantizedLayer(inner, a.config, scheme, options)];
      quantizedChains.set(node.layer, chain);
    }
    const [first, ...rest] = chain;
    const outputs = rest.reduce((xs, layer) => applySymbolic(layer, xs),
        applySymbolic(first, qInputs, node.callArgs));
    outputs.forEach((t) => quantizedTensors.add(t));
    return outputs;
  });
  for (const copy of weightCopies) {
    copy();
  }
  for (const layer of newModel.layers) {
    if (layer instanceof QuantizeWrapper) {
      layer.initializeWeightRanges();
    }
  }
  return newModel;
}

interface MakeOptions {
  quantizeActivation: boolean;
  batchNorm: Layer|null;
  weightCopies: Array<() => void>;
}

/** A copy of the BatchNorm folded into a layer, if any, its weights copied with the others. */
function cloneFoldedBatchNorm(options: MakeOptions): Layer|null {
  const original = options.batchNorm;
  if (original == null) {
    return null;
  }
  const clone = cloneLayer(original);
  options.weightCopies.push(() => clone.setWeights(original.getWeights()));
  return clone;
}

function makeQuantizedLayer(
    inner: Layer, customConfig: QuantizeConfig|null, scheme: Default8BitQuantizeScheme,
    options: MakeOptions): Layer {
  const config = customConfig ?? scheme.getQuantizeConfig(inner, options.quantizeActivation);
  const clone = cloneLayer(inner);
  options.weightCopies.push(() => clone.setWeights(inner.getWeights()));
  const bnClone = cloneFoldedBatchNorm(options);
  if (config == null) {
    if (bnClone != null) {
      throw new NotSupportedError(`Internal: BatchNorm folded into pass-through '${inner.name}'.`);
    }
    return clone;
  }
  return new QuantizeWrapper({layer: clone, quantizeConfig: config, foldedBatchNorm: bnClone});
}

/**
 * A SeparableConv2D as its quantized depthwise and pointwise halves (see
 * separable_conv_split.ts); the pointwise half takes the activation, the
 * folded BatchNorm and the output quantizer.
 */
function quantizedSeparablePair(separable: Layer, scheme: Default8BitQuantizeScheme,
    options: MakeOptions): [Layer, Layer] {
  const {depthwise, pointwise, copyWeights} = splitSeparableConv(separable);
  options.weightCopies.push(copyWeights);
  const bnClone = cloneFoldedBatchNorm(options);
  const wrap = (layer: Layer, quantizeActivation: boolean, foldedBatchNorm: Layer|null) =>
    new QuantizeWrapper({layer, quantizeConfig: scheme.getQuantizeConfig(layer, quantizeActivation)!,
      foldedBatchNorm});
  return [wrap(depthwise, true, null), wrap(pointwise, options.quantizeActivation, bnClone)];
}

/**
 * Quantization-aware training model for a float model, with TFMOT's default
 * 8-bit scheme: `quantizeApply(quantizeAnnotateModel(model))`. Mirrors
 * tfmot.quantization.keras.quantize_model.
 *
 * @throws ValueError if the model is already quantized; NotSupportedError
 *     naming a layer the default scheme cannot quantize (a class not in
 *     `SUPPORTED_LAYERS`, an unsupported activation, a dilated SeparableConv2D).
 *
 * ```ts
 * const qat = tfmot.quantization.quantizeModel(model);
 * qat.compile({optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy']});
 * await qat.fit(xs, ys, {epochs: 1});
 * ```
 */
export function quantizeModel(model: tfl.LayersModel): tfl.LayersModel {
  const graph = readGraph(checkModel(model, 'quantizeModel'));
  checkNotQuantized(graph);
  checkNotWrapped(graph.nodes.map((n) => n.layer), 'quantizeModel', 'QuantizeAnnotate');
  checkConfigForms(graph, 'quantizeModel');
  for (const node of graph.nodes) {
    const a = annotation(node.layer);
    if (a == null || a.config == null) {
      quantizeRole(a?.inner ?? node.layer);
    }
  }
  // The annotated copy is only a step: dispose it, or the weights of its
  // cloned inner layers stay allocated (4 tensors for the tutorial CNN).
  const annotated = quantizeAnnotateModel(model);
  try {
    return quantizeApply(annotated);
  } finally {
    annotated.dispose();
  }
}
