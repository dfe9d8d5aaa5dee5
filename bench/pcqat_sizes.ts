/**
 * Collaborative optimization sizes: the MNIST tutorial model through prune
 * 50% -> 8 clusters per channel (kmeans++, sparsity kept) -> PCQAT -> int8
 * TFLite, gzipped, against the gzipped float32 file of its baseline. Two
 * pruning structures from each baseline (unstructured as in TFMOT's
 * tutorial, and the Dense kernel in blocks of 4 inputs), over several seeds,
 * since one run's ratio moves by about half a point with the seed.
 */
import {gzipSync} from 'node:zlib';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfmot from 'tfjs-model-optimization';

import type {BenchRow, BenchSection} from './report.js';
import {compileTutorial, median} from './timing.js';

/** The goal: the PCQAT int8 file gzips this many times smaller than the float32 baseline. */
export const PCQAT_GZIP_GOAL = 10;

const SEEDS = [1, 2, 3];
const NUM_TRAIN = 8000;
const NUM_TEST = 2000;
const BASELINE_EPOCHS = 3;

interface Recipe {
  label: string;
  /** blockSize of the Dense kernel. */
  denseBlock: [number, number];
}

const RECIPES: Recipe[] = [
  {label: 'unstructured', denseBlock: [1, 1]},
  {label: 'Dense in blocks of 4 inputs', denseBlock: [4, 1]},
];

type Data = ReturnType<typeof tfmot.data.loadMnist> & {labels: tf.Tensor};

const fitEpochs = (model: tfl.LayersModel, data: Data, epochs: number, callbacks: tfl.Callback[] = []) =>
  model.fit(data.train.xs, data.labels, {epochs, batchSize: 32, shuffle: false, verbose: 0, callbacks});

/** Prune -> cluster -> PCQAT from `baseline`; returns the int8 file. */
async function pcqatInt8(baseline: tfl.LayersModel, data: Data, recipe: Recipe, seed: number): Promise<Uint8Array> {
  const made: tfl.LayersModel[] = [];
  const keep = (m: tfl.LayersModel) => (made.push(m), m);
  try {
    // The conv is pruned weight by weight in both recipes (TFMOT prunes in
    // blocks only 2-D kernels); only the Dense kernel's structure changes.
    const pruning = keep(tfmot.cloneModel(baseline, (layer) => ['Conv2D', 'Dense'].includes(layer.getClassName()) ?
      tfmot.sparsity.pruneLowMagnitude(layer, {
        blockSize: layer.getClassName() === 'Dense' ? recipe.denseBlock : [1, 1],
        pruningSchedule: new tfmot.sparsity.ConstantSparsity({targetSparsity: 0.5, beginStep: 0})}) :
      layer));
    compileTutorial(pruning);
    await fitEpochs(pruning, data, 1, [new tfmot.sparsity.UpdatePruningStep()]);
    const clustering = keep(tfmot.clustering.clusterWeights(keep(tfmot.sparsity.stripPruning(pruning)), {
      numberOfClusters: 8, clusterCentroidsInit: 'KMEANS_PLUS_PLUS', preserveSparsity: true,
      clusterPerChannel: true, seed}));
    compileTutorial(clustering, 1e-4);
    await fitEpochs(clustering, data, 1);
    const pcqat = keep(tfmot.quantization.quantizeApply(
        tfmot.quantization.quantizeAnnotateModel(keep(tfmot.clustering.stripClustering(clustering))),
        new tfmot.quantization.Default8BitClusterPreserveQuantizeScheme({preserveSparsity: true})));
    compileTutorial(pcqat, 1e-4);
    await fitEpochs(pcqat, data, 1);
    const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(pcqat);
    converter.optimizations = [tfmot.tflite.Optimize.DEFAULT];
    return await converter.convert();
  } finally {
    made.forEach((m) => m.dispose());
  }
}

interface Outcome {
  ratio: number;
  /** LiteRT accuracy of the int8 file minus the float baseline's, in points. */
  accuracyDelta: number;
}

/** Runs the benchmark on the wasm backend. */
export async function pcqatSizes(): Promise<BenchSection> {
  await tfmot.backend.init({backend: 'wasm'});
  const outcomes = new Map<Recipe, Outcome[]>(RECIPES.map((r) => [r, []]));
  for (const seed of SEEDS) {
    const mnist = tfmot.data.loadMnist({numTrain: NUM_TRAIN, numTest: NUM_TEST, seed});
    const data: Data = {...mnist, labels: tfmot.data.oneHotLabels(mnist.train.ys)};
    const baseline = tfmot.data.mnistTutorialModel({seed});
    try {
      compileTutorial(baseline);
      await fitEpochs(baseline, data, BASELINE_EPOCHS);
      const baseFile = await tfmot.tflite.TFLiteConverter.fromLayersModel(baseline).convert();
      const baseGzipped = gzipSync(baseFile).length;
      const baseAccuracy = await tfmot.tflite.evaluateAccuracy(baseFile, data.test.xs, data.test.ys);
      for (const recipe of RECIPES) {
        const file = await pcqatInt8(baseline, data, recipe, seed);
        const accuracy = await tfmot.tflite.evaluateAccuracy(file, data.test.xs, data.test.ys);
        outcomes.get(recipe)!.push({ratio: baseGzipped / gzipSync(file).length,
          accuracyDelta: 100 * (accuracy - baseAccuracy)});
      }
    } finally {
      baseline.dispose();
      tf.dispose([data.train.xs, data.train.ys, data.test.xs, data.test.ys, data.labels]);
    }
  }
  const rows: BenchRow[] = [];
  const range = (xs: number[], digits: number) =>
    `${Math.min(...xs).toFixed(digits)} to ${Math.max(...xs).toFixed(digits)}`;
  for (const [recipe, runs] of outcomes) {
    const ratios = runs.map((o) => o.ratio);
    const deltas = runs.map((o) => o.accuracyDelta);
    const met = Math.min(...ratios) >= PCQAT_GZIP_GOAL;
    rows.push({name: `Baseline float32 / PCQAT int8, gzipped, ${recipe.label}`, value: median(ratios), unit: 'x',
      note: `median of ${SEEDS.length} seeds, range ${range(ratios, 1)}; goal >= ${PCQAT_GZIP_GOAL}x: ` +
          `${met ? 'met on every seed' : 'NOT met on every seed'}`});
    rows.push({name: `PCQAT int8 - float accuracy, ${recipe.label}`, value: median(deltas).toFixed(2),
      unit: 'points', note: `LiteRT on ${NUM_TEST} held-out digits; range ${range(deltas, 2)}`});
  }
  return {
    title: 'Collaborative optimization file sizes',
    description:
        `The MNIST tutorial CNN trained ${BASELINE_EPOCHS} epochs on ${NUM_TRAIN} digits, then pruned to 50% ` +
        `(ConstantSparsity, 1 epoch), clustered with 8 KMEANS_PLUS_PLUS centroids per channel keeping the ` +
        `zeros (1 epoch), fine-tuned with Default8BitClusterPreserveQuantizeScheme (1 epoch) and exported ` +
        `to int8 TFLite. The Dense kernel is pruned either weight by weight (TFMOT's tutorial) or in blocks ` +
        `of 4 consecutive input weights of one output (\`blockSize: [4, 1]\` through \`cloneModel\`), which ` +
        `lie next to each other in the file; the conv kernel weight by weight in both. ` +
        `Gzip is node:zlib at its default level; accuracy is LiteRT's on the int8 file minus LiteRT's on ` +
        `the baseline float32 file. Seeds ${SEEDS.join(', ')} set the digits, the initial weights and the ` +
        `centroid initialization.`,
    rows,
  };
}
