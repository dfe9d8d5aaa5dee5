/**
 * SeparableConv2D in QAT: TFLite runs it as DEPTHWISE_CONV_2D then a 1x1
 * CONV_2D with an int8 tensor between them, so QAT trains it as those two
 * layers, each quantized (TFMOT's SeparableConvQuantize transform does the
 * same). The float weights are split between them unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {NotSupportedError} from '../errors.js';
import {pair} from '../graph/layer_attributes.js';

type Layer = tfl.layers.Layer;

/** The depthwise and pointwise layers standing for `separable`. */
export interface SeparableSplit {
  depthwise: Layer;
  pointwise: Layer;
  /** Copies the separable layer's weights into both; call once both are built. */
  copyWeights: () => void;
}

export function splitSeparableConv(separable: Layer): SeparableSplit {
  const config = separable.getConfig();
  const dilation = pair(config['dilationRate'] as number|number[]|undefined ?? 1);
  if (dilation.some((d) => d !== 1)) {
    // tfjs's DepthwiseConv2D ignores dilation: the split would compute something else.
    throw new NotSupportedError(`Layer '${separable.name}': a dilated SeparableConv2D cannot be ` +
        `quantized (its QAT form is a DepthwiseConv2D, which tfjs runs undilated).`);
  }
  const useBias = config['useBias'] as boolean;
  // Serialized settings (regularizers, constraints) pass through as config dicts, as fromConfig takes them.
  const setting = (key: string) => config[key] as never;
  const depthwise = tfl.layers.depthwiseConv2d({
    name: `${separable.name}_depthwise`,
    trainable: separable.trainable,
    depthwiseRegularizer: setting('depthwiseRegularizer'),
    depthwiseConstraint: setting('depthwiseConstraint'),
    kernelSize: config['kernelSize'] as [number, number],
    strides: config['strides'] as [number, number],
    padding: config['padding'] as 'same'|'valid',
    dataFormat: config['dataFormat'] as 'channelsLast',
    // Not in tfjs's getConfig (see the SeparableConv2D record's completeConfig): read from the layer.
    depthMultiplier: (separable as unknown as {depthMultiplier: number}).depthMultiplier,
    useBias: false,
  });
  const pointwise = tfl.layers.conv2d({
    name: `${separable.name}_pointwise`,
    filters: config['filters'] as number,
    kernelSize: 1,
    dataFormat: config['dataFormat'] as 'channelsLast',
    useBias,
    activation: config['activation'] as 'linear',
    trainable: separable.trainable,
    kernelRegularizer: setting('pointwiseRegularizer'),
    kernelConstraint: setting('pointwiseConstraint'),
    biasRegularizer: setting('biasRegularizer'),
    biasConstraint: setting('biasConstraint'),
    activityRegularizer: setting('activityRegularizer'),
  });
  const copyWeights = () => {
    const [depthwiseKernel, pointwiseKernel, ...bias] = separable.getWeights();
    tf.tidy(() => {
      depthwise.setWeights([depthwiseKernel]);
      pointwise.setWeights([pointwiseKernel, ...bias]);
    });
  };
  return {depthwise, pointwise, copyWeights};
}
