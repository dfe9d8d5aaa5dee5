/** Converter setups more than one test file uses. */
import type * as tfl from '@tensorflow/tfjs-layers';

import * as tfmot from '../../src/index.js';

/** Full-integer (int8) conversion calibrated on `dataset`. */
export function int8Converter(model: tfl.LayersModel,
    dataset: tfmot.tflite.RepresentativeDataset): tfmot.tflite.TFLiteConverter {
  const c = tfmot.tflite.TFLiteConverter.fromLayersModel(model);
  c.optimizations = ['DEFAULT'];
  c.representativeDataset = dataset;
  return c;
}
