/**
 * Weight clustering as a differentiable op: every weight snaps to its
 * nearest centroid (re-assigned on each call); the gradient reaches the
 * centroids (summed over their members) and passes straight through to the
 * original weights, as in TFMOT.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The weight viewed as [channels, weights per channel] (channels = 1 if not per channel). */
export function channelView(w: tf.Tensor, perChannel: boolean): tf.Tensor2D {
  if (!perChannel) {
    return tf.reshape(w, [1, w.size]);
  }
  const channels = w.shape[w.rank - 1];
  return tf.transpose(tf.reshape(w, [w.size / channels, channels])) as tf.Tensor2D;
}

/** Inverse of {@link channelView}. */
export function fromChannelView(view: tf.Tensor2D, shape: number[], perChannel: boolean): tf.Tensor {
  return perChannel ? tf.reshape(tf.transpose(view), shape) : tf.reshape(view, shape);
}

/** Index of the nearest centroid of each weight: view [C, M], centroids [C, n] -> [C, M]. */
export function assignClusters(view: tf.Tensor2D, centroids: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.argMin(
      tf.abs(tf.sub(tf.expandDims(view, 2), tf.expandDims(centroids, 1))), 2) as tf.Tensor2D);
}

/** Inputs of {@link clusteredWeights} besides the weight and centroids. */
export interface ClusterOptions {
  perChannel: boolean;
  /** 0 where a weight must stay zero (preserveSparsity), same shape as the weight. */
  sparsityMask?: tf.Tensor;
  /** 0 for centroids that must not move (the pinned 0), shape [C, n]. */
  centroidMask?: tf.Tensor;
  /** 'AVG' divides each centroid's summed gradient by its number of members. */
  gradientAggregation?: 'SUM'|'AVG';
}

/**
 * The clustered weight: each element replaced by its nearest centroid
 * (times the sparsity mask). Gradients: straight-through to `w` (masked),
 * summed (or averaged) per cluster to `centroids`.
 */
export function clusteredWeights(w: tf.Tensor, centroids: tf.Tensor2D, options: ClusterOptions): tf.Tensor {
  const [channels, n] = centroids.shape;
  const op = tf.customGrad((...args: Array<tf.Tensor|tf.GradSaveFunc>) => {
    const [weights, cents] = args as [tf.Tensor, tf.Tensor2D];
    const save = args[2] as tf.GradSaveFunc;
    const view = channelView(weights, options.perChannel);
    const indices = assignClusters(view, cents);
    // Index into the flattened [C * n] centroids. Channel offsets are added
    // in float32 (exact here): a broadcasting int32 add is much slower on wasm.
    const flat = channels === 1 ? indices : tf.cast(tf.add(tf.cast(indices, 'float32'),
        tf.reshape(tf.range(0, channels * n, n), [channels, 1])), 'int32');
    let value = fromChannelView(
        tf.reshape(tf.gather(tf.reshape(cents, [-1]), tf.reshape(flat, [-1])), view.shape) as tf.Tensor2D,
        weights.shape, options.perChannel);
    if (options.sparsityMask != null) {
      value = tf.mul(value, options.sparsityMask);
    }
    save([flat]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const masked = options.sparsityMask != null ? tf.mul(dy, options.sparsityMask) : dy;
        const dyView = tf.reshape(channelView(masked, options.perChannel), [-1]);
        // Summed per centroid by scatterND, which adds duplicate indices on
        // every backend; the indices come from argMin, so they are in range.
        // (unsortedSegmentSum's wasm kernel reads its ids back to check them,
        // a readback of every weight's cluster each step.)
        const ids = tf.reshape(saved[0], [-1, 1]);
        let dc: tf.Tensor = tf.reshape(tf.scatterND(ids, dyView, [channels * n]), [channels, n]);
        if (options.gradientAggregation === 'AVG') {
          // Members per centroid, zero weights included (as TFMOT's bincount of
          // the assignments); an empty cluster gets 0, not NaN.
          const members = tf.reshape(tf.scatterND(ids, tf.onesLike(dyView), [channels * n]), [channels, n]);
          dc = tf.divNoNan(dc, members);
        }
        if (options.centroidMask != null) {
          dc = tf.mul(dc, options.centroidMask);
        }
        // Masked weights stay exactly zero (TFMOT multiplies them by the mask first).
        return [masked, dc];
      },
    };
  });
  return op(w, centroids);
}
