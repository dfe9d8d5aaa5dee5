/**
 * Weight quantizers for collaborative optimization: QAT that keeps what
 * pruning and clustering achieved (TFMOT's PQAT, CQAT, PCQAT). Each wraps
 * the ordinary weight quantizer and changes what it is given:
 * - sparsity: w * mask, the mask fixed from w != 0 when QAT starts;
 * - clusters: every weight is its cluster's centroid (the distinct values of
 *   the clustered weight when QAT starts), the centroids train, so the
 *   number of distinct values cannot grow; with sparsity, 0 stays pinned.
 */
import * as tf from '@tensorflow/tfjs-core';

import {floatMask} from '../backend/float_mask.js';
import {checkOptionKeys, checkStringUnion, optionKeys} from '../errors.js';
import {deserializeQuantizer, Quantizer, QuantizerHost, QuantizerVars} from './quantizers.js';
import {serializeObject} from '../graph/serialization.js';

export const VALID_PRESERVE = ['sparsity', 'clusters', 'clustersAndSparsity'] as const;
/**
 * What a preserving quantizer keeps through QAT: a pruned model's zeros
 * (PQAT), a clustered model's clusters (CQAT) or both (PCQAT).
 *
 * @useDeclaredType
 */
export type Preserve = typeof VALID_PRESERVE[number];

/** Arguments of {@link PreservingQuantizer}. */
export interface PreservingQuantizerArgs {
  /** The quantizer applied after preservation (the default 8-bit weight quantizer). */
  quantizer: Quantizer;
  /** What to keep. */
  preserve: Preserve;
}

/**
 * Wraps a weight quantizer so QAT keeps sparsity and/or clusters: weights
 * that are zero when QAT starts stay zero, and every weight stays its
 * cluster's centroid while the centroids train. The counterpart of the
 * quantizers of TFMOT's tfmot.experimental.combine schemes; the preserving
 * schemes ({@link Default8BitPrunePreserveQuantizeScheme},
 * {@link Default8BitClusterPreserveQuantizeScheme}) create it.
 */
export class PreservingQuantizer extends Quantizer {
  /** Registered with tf.serialization (package 'Tfmot') so saved QAT models containing it load back. */
  static className = 'PreservingQuantizer';
  /** The quantizer applied to the preserved weight. */
  readonly quantizer: Quantizer;
  /** What it keeps. */
  readonly preserve: Preserve;

  /**
   * `args.quantizer` may also be its `{className, config}` (as in a saved config).
   *
   * @throws ValueError if `preserve` is not one of 'sparsity', 'clusters',
   *     'clustersAndSparsity'.
   */
  constructor(args: PreservingQuantizerArgs) {
    super();
    checkOptionKeys(args, optionKeys<PreservingQuantizerArgs>({quantizer: true, preserve: true}),
        'PreservingQuantizer');
    this.quantizer = args.quantizer instanceof Quantizer ? args.quantizer :
        deserializeQuantizer(args.quantizer as unknown as tf.serialization.ConfigDict);
    this.preserve = checkStringUnion(args.preserve, VALID_PRESERVE, 'preserve');
  }

  private get keepsClusters(): boolean {
    return this.preserve !== 'sparsity';
  }

  private get keepsZeros(): boolean {
    return this.preserve !== 'clusters';
  }

  /**
   * The inner quantizer's variables plus a sparsity mask and/or centroids,
   * cluster indices and a centroid mask (sized for every value distinct,
   * since shapes are fixed before the weights are known).
   */
  build(shape: number[], name: string, host: QuantizerHost): QuantizerVars {
    const vars = this.quantizer.build(shape, name, host);
    const size = shape.reduce((a, b) => a * b, 1);
    if (this.keepsZeros) {
      vars['sparsity_mask'] = host.addQuantizerWeight(`${name}_sparsity_mask`, shape, 1);
    }
    if (this.keepsClusters) {
      // Sized for the worst case (all values distinct): variable shapes are
      // fixed at build time, before the clustered weights are known.
      vars['centroids'] = host.addQuantizerWeight(`${name}_centroids`, [size], 0, true);
      vars['cluster_index'] = host.addQuantizerWeight(`${name}_cluster_index`, shape, 0);
      vars['centroid_mask'] = host.addQuantizerWeight(`${name}_centroid_mask`, [size], 1);
    }
    return vars;
  }

  /**
   * Records what to keep from the weight as QAT starts: the mask of its
   * non-zeros, and its distinct values as centroids with each element's
   * cluster index (0 pinned when zeros are kept too).
   */
  override initialize(x: tf.Tensor, vars: QuantizerVars): void {
    tf.tidy(() => {
      if (this.keepsZeros) {
        vars['sparsity_mask'].write(floatMask(tf.notEqual(x, 0)));
      }
      if (this.keepsClusters) {
        const values = x.dataSync();
        const distinct = [...new Set(values)].sort((a, b) => a - b);
        const position = new Map(distinct.map((v, i) => [v, i]));
        const centroids = new Float32Array(values.length);
        centroids.set(distinct);
        const pinned = Float32Array.from(centroids, (v, i) => i < distinct.length &&
            this.keepsZeros && v === 0 ? 0 : 1);
        vars['centroids'].write(tf.tensor1d(centroids));
        vars['centroid_mask'].write(tf.tensor1d(pinned));
        vars['cluster_index'].write(tf.tensor(Float32Array.from(values, (v) => position.get(v)!), x.shape));
      }
    });
  }

  /** Rebuilds the weight from its centroids and/or mask, then applies the inner quantizer. */
  call(x: tf.Tensor, training: boolean, vars: QuantizerVars): tf.Tensor {
    return tf.tidy(() => {
      let w = x;
      if (this.keepsClusters) {
        const index = tf.cast(vars['cluster_index'].read(), 'int32');
        // Pinned centroids (the 0 with sparsity) are 0 and get no gradient.
        const centroids = tf.mul(vars['centroids'].read(), vars['centroid_mask'].read());
        w = tf.reshape(tf.gather(centroids, tf.reshape(index, [-1])), x.shape);
      }
      if (this.keepsZeros) {
        w = tf.mul(w, vars['sparsity_mask'].read());
      }
      return this.quantizer.call(w, training, vars);
    });
  }

  /** The inner quantizer as `{className, config}`, and `preserve`. */
  getConfig(): tf.serialization.ConfigDict {
    return {quantizer: serializeObject(this.quantizer), preserve: this.preserve};
  }
}
tf.serialization.registerClass(PreservingQuantizer, 'Tfmot');
