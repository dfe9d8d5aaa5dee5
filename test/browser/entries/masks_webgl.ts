// Masks kept in variables (pruning masks, clustering's sparsity mask, the prune-preserving quantizer's mask) must
// save as float32 on webgl. A widening tf.cast there shares the bool input's data, which reads back as a Uint8Array:
// model.save() then wrote one byte per value and the saved model failed to load.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import * as tfmot from '../../../src/index.js';
import {runInPage} from '../../helpers/browser_entry.js';

function denseModel(): tfl.LayersModel {
  return tfl.sequential({layers: [
    tfl.layers.dense({units: 8, inputShape: [12], activation: 'relu',
      kernelInitializer: tfl.initializers.glorotUniform({seed: 1})}),
    tfl.layers.dense({units: 3, kernelInitializer: tfl.initializers.glorotUniform({seed: 2})}),
  ]});
}

/** Trains two steps, saves to memory, loads back: whether every weight came back equal. */
async function roundTrip(model: tfl.LayersModel, callbacks: tfl.CustomCallbackArgs[] = []) {
  model.compile({optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError'});
  const x = tf.randomNormal([8, 12], 0, 1, 'float32', 5);
  const y = tf.randomNormal([8, 3], 0, 1, 'float32', 6);
  await model.fit(x, y, {epochs: 2, batchSize: 8, verbose: 0,
    callbacks: callbacks as unknown as tfl.CustomCallbackArgs});
  let artifacts: tf.io.ModelArtifacts|undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
  }));
  const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
  const before = model.getWeights().map((w) => Array.from(w.dataSync()));
  const after = loaded.getWeights().map((w) => Array.from(w.dataSync()));
  const masks = model.weights.filter((w) => /mask/.test(w.name)).map((w) => w.name);
  tf.dispose([x, y]);
  loaded.dispose();
  return {equal: JSON.stringify(before) === JSON.stringify(after), masks, weightBytes: artifacts!.weightData
    instanceof ArrayBuffer ? artifacts!.weightData.byteLength : -1};
}

runInPage(async () => {
  const backend = await tfmot.backend.init({backend: 'webgl'});
  const bools = tf.notEqual(tf.tensor([0, 1, 2]), 0);
  // The trap itself, so this test notices if tfjs changes: a cast float32 tensor that reads back as bytes.
  const castReadsBytes = tf.cast(bools, 'float32').dataSync() instanceof Uint8Array;
  const schedule = () => new tfmot.sparsity.ConstantSparsity({targetSparsity: 0.5, beginStep: 0, frequency: 1});
  const results = {
    pruningMByN: await roundTrip(tfmot.sparsity.pruneLowMagnitude(denseModel(),
        {pruningSchedule: schedule(), sparsityMByN: [2, 4]}), [new tfmot.sparsity.UpdatePruningStep()]),
    pruningGlobal: await roundTrip(tfmot.sparsity.pruneLowMagnitude(denseModel(),
        {pruningSchedule: schedule(), scope: 'global'}), [new tfmot.sparsity.UpdatePruningStep()]),
    clusteringPreserveSparsity: await roundTrip(tfmot.clustering.clusterWeights(denseModel(),
        {numberOfClusters: 4, preserveSparsity: true})),
    prunePreservingQat: await roundTrip(tfmot.quantization.quantizeApply(
        tfmot.quantization.quantizeAnnotateModel(denseModel()),
        new tfmot.quantization.Default8BitPrunePreserveQuantizeScheme())),
  };
  return {backend, castReadsBytes, results};
});
