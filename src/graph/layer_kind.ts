/**
 * The one description of a layer class: its weights and their axes, how the
 * quantize scheme treats it, whether pruning and clustering act on it, its
 * kernel layout, and how it lowers to TFLite operators. Techniques, the
 * converter, the report and the CLI all read these records (see
 * layer_registry.ts); adding a layer type means adding a record.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import type {IrBuilder, IrTensor} from './ir.js';

type Layer = tfl.layers.Layer;

/** One weight of a layer class, named by the field holding its LayerVariable. */
export interface WeightSpec {
  /** The layer field, e.g. `'kernel'`. */
  attr: string;
  /** Axis of output channels/units (filter pruning removes along it). */
  outputAxis: number;
  /** Axis m-by-n pruning groups run along (the input dimension). */
  inputAxis: number;
  /** Pruned by `pruneLowMagnitude`. */
  prune?: boolean;
  /** Clustered by `clusterWeights`. */
  cluster?: boolean;
  /** `clusterPerChannel` clusters it per output channel (else per tensor). */
  clusterPerChannel?: boolean;
  /**
   * The weight seen as [..., channels] when its output channels span more
   * than one axis (a depthwise kernel [h, w, in, multiplier]).
   */
  channelShape?: (shape: number[]) => number[];
}

/**
 * Where QAT's default 8-bit scheme puts fake quantization:
 * - weighted: weights and activation (Dense, Conv2D...); `split` trains it
 *   as a DepthwiseConv2D and a 1x1 Conv2D, the ops TFLite runs;
 * - output: the output (Add, ReLU, pooling that averages...);
 *   `foldsIntoProducer` folds it into a weighted layer before it
 *   (BatchNormalization); `sharesInputRanges` takes over its inputs' output
 *   quantizers (Concatenate, whose int8 inputs share its range);
 * - byActivation: decided by the layer's activation (Activation, Softmax);
 * - passThrough: int8 in, same int8 out, nothing to quantize (Flatten...).
 */
export type QuantizeRule =
    {role: 'weighted', weightAttr: string, perAxis: boolean, split?: 'separable'}|
    {role: 'output', foldsIntoProducer?: boolean, sharesInputRanges?: boolean}|
    {role: 'byActivation'|'passThrough'};

/**
 * How QAT computes a layer from a given kernel, so the kernel can be folded
 * and fake-quantized before use (the layer's own `call` fuses bias and
 * activation, which BatchNorm folding must come between).
 */
export interface KernelLayout {
  /** Attribute of the layer that holds the kernel LayerVariable. */
  kernelAttr: string;
  /** The kernel viewed as [..., outChannels]. */
  toChannelsLast(kernel: tf.Tensor): tf.Tensor;
  /** Inverse of `toChannelsLast` for a kernel of `shape`. */
  fromChannelsLast(view: tf.Tensor, shape: number[]): tf.Tensor;
  /** The layer's output before bias and activation, for kernel `kernel`. */
  forward(layer: Layer, x: tf.Tensor, kernel: tf.Tensor): tf.Tensor;
}

/** What a lowering may use besides the layer and its input tensors. */
export interface LowerContext {
  ir: IrBuilder;
  /**
   * Values to use instead of the layer's own weights, by attribute (a
   * wrapper's inference weights: masked, clustered, folded, fake-quantized);
   * null stands for an absent weight (no bias).
   */
  weights?: ReadonlyMap<string, tf.Tensor|null>;
}

/** Lowers one layer call to TFLite operators in the float IR; returns its outputs. */
export type Lowering = (ctx: LowerContext, layer: Layer, inputs: IrTensor[]) => IrTensor[];

/** The description of one tfjs-layers class. */
export interface LayerKind {
  /** The weights the library knows the meaning of. */
  weights?: WeightSpec[];
  /** The activation the layer applies, for activation layers ('relu6', 'softmax'...). */
  activation?: (layer: Layer) => string;
  /** How the default 8-bit scheme quantizes it; absent: QAT rejects it. */
  quantize?: QuantizeRule;
  /** Present for layers whose forward pass QAT computes from a given kernel. */
  kernel?: KernelLayout;
  /** Present for layers the TFLite converter lowers. */
  lower?: Lowering;
  /**
   * Pruning leaves the layer's weights float (BatchNormalization,
   * DepthwiseConv2D) instead of rejecting a model holding it; weightless
   * layers with a record pass anyway.
   */
  pruningLeavesFloat?: boolean;
  /** The same for clustering (BatchNormalization, LayerNormalization, PReLU). */
  clusteringLeavesFloat?: boolean;
  /** The config key of its number of output channels, for layers filter pruning can shrink. */
  outputChannelsKey?: 'units'|'filters';
  /**
   * How the channels of a shrunk layer flow through it to the next
   * shrinkable one: per channel (BatchNorm, activations, Dropout), through
   * spatial pooling (an average only without 'same' padding, which would
   * average in zeros), or spread over positions by Flatten. Absent: filter
   * pruning stops before it and keeps the channels.
   */
  channelPassage?: 'perChannel'|'pooling'|'averagePooling'|'flatten';
  /**
   * Throws NotSupportedError for a configuration of the class no technique
   * handles (QAT checks it before wrapping; the lowering checks it itself).
   */
  checkConfig?: (layer: Layer) => void;
  /** The config with what tfjs-layers' `getConfig` leaves out put back (so copies and saves are whole). */
  completeConfig?: (layer: Layer, config: tf.serialization.ConfigDict) => tf.serialization.ConfigDict;
}
