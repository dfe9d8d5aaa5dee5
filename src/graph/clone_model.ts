/**
 * Keras's `tf.keras.models.clone_model(model, clone_function=...)`, which
 * tfjs-layers lacks: how TFMOT's guides prune, cluster or annotate some
 * layers of a model and not others.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {describeValue, ValueError} from '../errors.js';
import {checkModel} from './model_graph.js';
import {cloneLayer} from './serialization.js';
import {transformModel} from './transform_model.js';

type Layer = tfl.layers.Layer;

/**
 * Copies `model` layer by layer. Each layer (InputLayers aside) is copied
 * with a copy of its weights and passed to `cloneFunction`, whose result
 * takes its place: the copy itself, a wrapper of it
 * (`sparsity.pruneLowMagnitude(layer, ...)`, `clustering.clusterWeights(layer,
 * ...)`, `quantization.quantizeAnnotateLayer(layer)`), or a new layer. Unlike
 * Keras, the input model never shares a variable with the result, so it
 * stays as it was however the copy is trained.
 *
 * @throws ValueError if `model` is not a built Sequential or functional
 *     model, or `cloneFunction` returns something other than a layer.
 *
 * ```ts
 * // Prune only the Dense layers (TFMOT's "prune some layers").
 * const pruning = tfmot.cloneModel(model, (layer) => layer.getClassName() === 'Dense' ?
 *     tfmot.sparsity.pruneLowMagnitude(layer) : layer);
 * ```
 */
export function cloneModel(model: tfl.LayersModel, cloneFunction: (layer: Layer) => Layer = (layer) => layer):
    tfl.LayersModel {
  checkModel(model, 'cloneModel');
  // Copies the result does not hold (the function made its own layer), or
  // all of them if the function fails: their variables are freed here.
  const copies: Array<{copy: Layer, kept: boolean}> = [];
  const freeCopies = (which: (kept: boolean) => boolean) => {
    for (const {copy} of copies.filter((c) => which(c.kept))) {
      copy.weights.forEach((variable) => variable.dispose());
    }
  };
  let clone: tfl.LayersModel;
  try {
    clone = transformModel(model, 'cloneModel', (layer) => {
      const copy = cloneLayer(layer);
      // Built and filled before cloneFunction sees it: wrappers such as
      // ClusterWeights initialize from the weights they wrap.
      copy.build(layer.inboundNodes[0].inputShapes);
      copy.built = true;
      tf.tidy(() => copy.setWeights(layer.getWeights()));
      const entry = {copy, kept: false};
      copies.push(entry);
      const result = cloneFunction(copy);
      if (!(result instanceof tfl.layers.Layer)) {
        throw new ValueError(`cloneModel: cloneFunction returned ${describeValue(result)} for layer ` +
            `'${layer.name}' (${layer.getClassName()}); it must return a layer, e.g. the one it was given.`);
      }
      entry.kept = result === copy || (result as {layer?: unknown}).layer === copy;
      // No weights to copy after the rebuild: the copy already holds them,
      // and a layer the function made keeps its own.
      return {layer: result};
    });
  } catch (e) {
    freeCopies(() => true);
    throw e;
  }
  freeCopies((kept) => !kept);
  return clone;
}
