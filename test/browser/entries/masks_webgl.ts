// Masks kept in variables (pruning masks, clustering's sparsity mask, the prune-preserving quantizer's mask) must
// save as float32 on webgl. A widening tf.cast there shares the bool input's data, which reads back as a Uint8Array:
// model.save() then wrote one byte per value and the saved model failed to load.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import * as tfmot from '../../../src/index.js';
import {deviceMasks} from '../../../src/pruning/device_masks.js';
import {expandMask, makeUnits, MaskStructure, selectUnits} from '../../../src/pruning/masks.js';
import {runInPage} from '../../helpers/browser_entry.js';

/**
 * Device masks on webgl against the JS reference, on tie-heavy weights (multiples of 1/4) of three tensors, per
 * tensor and global: how many mask values differ, per structure.
 */
function masksAgainstReference(): Record<string, number> {
  const shapes = [[12, 7], [3, 3, 4, 6], [10, 6]];
  const axes = [1, 3, 1];
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const values = shapes.map((s) => Float32Array.from({length: s.reduce((a, b) => a * b)},
      () => Math.round((random() * 2 - 1) * 4) / 4));
  const unstructured: MaskStructure = {blockSize: [1, 1], blockPooling: 'AVG', mByN: null, structure: 'unstructured'};
  const structures: Record<string, MaskStructure> = {unstructured, blocks: {...unstructured, blockSize: [2, 2]},
    filters: {...unstructured, structure: 'filters'}};
  const differences: Record<string, number> = {};
  for (const [name, s] of Object.entries(structures)) {
    for (const global of [false, true]) {
      const units = values.map((v, i) => makeUnits(v, shapes[i], axes[i], s));
      const keeps = global ? selectUnits(units, 0.6, s.structure === 'filters') :
        units.map((u) => selectUnits([u], 0.6)[0]);
      const expected = units.map((u, i) => expandMask(u, keeps[i]));
      const actual = tf.tidy(() => deviceMasks(values.map((v, i) => ({value: tf.tensor(v, shapes[i]),
        outputAxis: axes[i]})), s, 0.6, global).map(({mask}) => mask.dataSync()));
      differences[`${name}${global ? ' global' : ''}`] =
          expected.reduce((n, e, i) => n + e.filter((v, j) => v !== actual[i][j]).length, 0);
    }
  }
  return differences;
}

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
  return {backend, castReadsBytes, results, maskDifferences: masksAgainstReference()};
});
