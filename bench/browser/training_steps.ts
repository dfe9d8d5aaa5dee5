// Runs in Chromium (bench/browser_training.ts): times training steps of the MNIST tutorial model plain and under
// each wrapper, on the backends /params.json names, and returns the ms/step of every round.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import * as tfmot from '../../src/index.js';
import {fetchJson, runInPage} from '../../test/helpers/browser_entry.js';

interface Params {
  backends: Array<'webgl'|'wasm'>;
  batchSize: number;
  steps: number;
  rounds: number;
}

const TECHNIQUES = ['plain', 'qat', 'pruning', 'clustering'] as const;
type Technique = typeof TECHNIQUES[number];

function build(technique: Technique): {model: tfl.LayersModel, callbacks: tfl.Callback[]} {
  const plain = tfmot.data.mnistTutorialModel({seed: 1});
  let model: tfl.LayersModel = plain;
  const callbacks: tfl.Callback[] = [];
  if (technique === 'qat') {
    model = tfmot.quantization.quantizeModel(plain);
  } else if (technique === 'pruning') {
    // A mask update every step: the per-step cost the issue bounds.
    model = tfmot.sparsity.pruneLowMagnitude(plain, {pruningSchedule: new tfmot.sparsity.ConstantSparsity(
        {targetSparsity: 0.5, beginStep: 0, frequency: 1})});
    callbacks.push(new tfmot.sparsity.UpdatePruningStep());
  } else if (technique === 'clustering') {
    model = tfmot.clustering.clusterWeights(plain, {numberOfClusters: 16,
      clusterCentroidsInit: tfmot.clustering.CentroidInitialization.LINEAR});
  }
  model.compile({optimizer: 'adam', loss: tfmot.data.categoricalCrossentropyFromLogits});
  return {model, callbacks};
}

/** ms per step of one fit() epoch over `xs`. */
async function fitMsPerStep(model: tfl.LayersModel, callbacks: tfl.Callback[], xs: tf.Tensor, ys: tf.Tensor,
    batchSize: number): Promise<number> {
  const start = performance.now();
  await model.fit(xs, ys, {epochs: 1, batchSize, shuffle: false, verbose: 0, callbacks});
  return (performance.now() - start) / Math.ceil(xs.shape[0] / batchSize);
}

runInPage(async () => {
  const {backends, batchSize, steps, rounds} = await fetchJson<Params>('/params.json');
  const results: Record<string, Record<Technique, number[]>> = {};
  for (const backend of backends) {
    await tfmot.backend.init({backend, wasmPaths: '/tfjs-wasm/'});
    // Random digits: step time does not depend on the pixel values.
    const xs = tf.randomUniform([batchSize * steps, 28, 28, 1], 0, 1, 'float32', 1);
    const ys = tf.oneHot(tf.randomUniform([batchSize * steps], 0, 10, 'int32', 2), 10);
    const models = TECHNIQUES.map(build);
    const times = Object.fromEntries(TECHNIQUES.map((t) => [t, [] as number[]])) as Record<Technique, number[]>;
    // Warm-up epoch each: shader compilation, optimizer slots, JIT.
    for (const {model, callbacks} of models) {
      await fitMsPerStep(model, callbacks, xs, ys, batchSize);
    }
    for (let r = 0; r < rounds; r++) {
      // The order flips each round, so drift in machine speed hits all alike.
      const order = r % 2 === 0 ? [...TECHNIQUES.keys()] : [...TECHNIQUES.keys()].reverse();
      for (const i of order) {
        times[TECHNIQUES[i]].push(await fitMsPerStep(models[i].model, models[i].callbacks, xs, ys, batchSize));
      }
    }
    results[backend] = times;
    models.forEach(({model}) => model.dispose());
    tf.dispose([xs, ys]);
  }
  return results;
});
