/**
 * UnsortedSegmentSum for wasm: the gradient of gather (Embedding layers).
 */
import * as tf from '@tensorflow/tfjs-core';

import {computeWithTensors, KernelArgs} from './kernel_utils.js';

/**
 * out[s, ...] = sum of x[i, ...] over all i with segmentIds[i] == s.
 * wasm's ScatterNd adds duplicate indices, so one scatterND does it in
 * O(x.size); the cpu kernel's mask-per-segment loop is O(numSegments *
 * x.size), far too slow for a vocabulary. Ids outside [0, numSegments) are
 * dropped, as the cpu kernel does, by routing them to a spare last row.
 */
export function unsortedSegmentSum(
    {inputs, backend, attrs}: KernelArgs): tf.TensorInfo {
  const {x, segmentIds} = inputs as tf.UnsortedSegmentSumInputs;
  const {numSegments} = attrs as unknown as tf.UnsortedSegmentSumAttrs;
  return computeWithTensors(
      backend as tf.KernelBackend, [x, segmentIds], (xIn, idsIn) => {
        // segmentIds' shape is a prefix of x's shape; the rest is one slice.
        const sliceShape = xIn.shape.slice(idsIn.rank);
        const outShape = [numSegments, ...sliceShape];
        if (idsIn.size === 0 || tf.util.sizeFromShape(sliceShape) === 0) {
          return tf.zeros(outShape, xIn.dtype);
        }
        const updates = tf.reshape(xIn, [idsIn.size, ...sliceShape]);
        // Ids are few (one per gathered row) and wasm memory is host memory,
        // so checking them here is cheap and keeps scatterND in bounds.
        const ids = idsIn.dataSync() as Int32Array;
        if (ids.every((id) => id >= 0 && id < numSegments)) {
          return tf.scatterND(
              tf.reshape(idsIn, [ids.length, 1]), updates, outShape);
        }
        const routed = ids.map((id) => (id >= 0 && id < numSegments ? id : numSegments));
        const withSpare = tf.scatterND(
            tf.tensor2d(routed, [ids.length, 1], 'int32'), updates,
            [numSegments + 1, ...sliceShape]);
        return tf.slice(withSpare, 0, numSegments);
      });
}
