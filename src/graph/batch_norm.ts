/**
 * Folding a frozen BatchNormalization into the layer before it:
 *   w' = w * s,  b' = (b - mean) * s + beta,  s = gamma / sqrt(var + eps).
 * QAT quantizes w' (what the int8 kernel will hold), so training sees the
 * export's rounding. The moving statistics stay frozen during QAT fine-tuning
 * (as TFMOT does after its freeze_bn_delay), gamma and beta keep training.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

interface BatchNormFields {
  gamma: tfl.LayerVariable|null;
  beta: tfl.LayerVariable|null;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
  epsilon: number;
}

/** Per-channel multiplier `s` and shift `beta - mean * s` of a built BN layer. */
export function batchNormScaleShift(bn: tfl.layers.Layer): {scale: tf.Tensor, shift: tf.Tensor} {
  const f = bn as unknown as BatchNormFields;
  return tf.tidy(() => {
    const invStd = tf.rsqrt(tf.add(f.movingVariance.read(), f.epsilon));
    const scale = f.gamma != null ? tf.mul(f.gamma.read(), invStd) : invStd;
    const meanScaled = tf.mul(f.movingMean.read(), scale);
    const shift = f.beta != null ? tf.sub(f.beta.read(), meanScaled) : tf.neg(meanScaled);
    return {scale, shift};
  });
}
