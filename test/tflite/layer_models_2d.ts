/**
 * 2-D layers of segmentation and vision decoders (Conv2DTranspose,
 * UpSampling2D, Cropping2D) on 28x28x1 digits, seeded; spread into LAYER_MODELS.
 */
import * as tfl from '@tensorflow/tfjs-layers';

import {apply, digitsModel} from './models.js';


/**
 * A small U-Net: down by a strided Conv2D and MaxPooling2D, up by
 * UpSampling2D and Conv2DTranspose, skips concatenated (the last one the
 * input itself), cropped; kept at 14x14 mostly so QAT trains fast.
 */
export function smallUnet(seed = 21): tfl.LayersModel {
  return digitsModel(seed, (x, k) => {
    const c1 = apply(tfl.layers.conv2d({filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu',
      kernelInitializer: k()}), x);
    const c2 = apply(tfl.layers.conv2d({filters: 4, kernelSize: 3, padding: 'same', activation: 'relu',
      kernelInitializer: k()}), apply(tfl.layers.maxPooling2d({poolSize: 2}), c1));
    const up2 = apply(tfl.layers.upSampling2d({size: [2, 2]}), c2);
    const d2 = apply(tfl.layers.conv2d({filters: 4, kernelSize: 3, padding: 'same', activation: 'relu',
      kernelInitializer: k()}), apply(tfl.layers.concatenate(), [c1, up2]));
    const up1 = apply(tfl.layers.conv2dTranspose({filters: 3, kernelSize: 3, strides: 2, padding: 'same',
      activation: 'relu', kernelInitializer: k()}), d2);
    const merged = apply(tfl.layers.concatenate(), [x, up1]);
    const cropped = apply(tfl.layers.cropping2D({cropping: [[1, 3], [2, 0]]}), merged);
    // Per-pixel scores of 2 classes.
    return apply(tfl.layers.conv2d({filters: 2, kernelSize: 1, kernelInitializer: k()}), cropped);
  });
}

export const LAYER_MODELS_2D: Record<string, () => tfl.LayersModel> = {
  'U-Net: Conv2DTranspose (same, relu), UpSampling2D, Concatenate skips, Cropping2D': () => smallUnet(),
  'Conv2DTranspose (valid, uneven strides) + BatchNormalization, UpSampling2D bilinear': () => digitsModel(22, (x, k) => {
    x = apply(tfl.layers.conv2d({filters: 16, kernelSize: 3, strides: 2, activation: 'relu',
      kernelInitializer: k()}), x);
    // 13x13 -> 27x15: valid padding adds max(kernel - stride, 0). 1152 weights: enough for dynamic
    // range to quantize them, were TRANSPOSE_CONV not left float there.
    x = apply(tfl.layers.conv2dTranspose({filters: 8, kernelSize: 3, strides: [2, 1], padding: 'valid',
      useBias: false, kernelInitializer: k()}), x);
    x = apply(tfl.layers.batchNormalization(), x);
    x = apply(tfl.layers.reLU(), x);
    x = apply(tfl.layers.upSampling2d({size: [1, 2], interpolation: 'bilinear'}), x);
    x = apply(tfl.layers.cropping2D({cropping: [[0, 1], [3, 3]]}), x);
    x = apply(tfl.layers.flatten(), x);
    return apply(tfl.layers.dense({units: 10, kernelInitializer: k()}), x);
  }),
};
