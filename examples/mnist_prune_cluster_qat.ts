/**
 * Collaborative optimization of the MNIST tutorial model, following TFMOT's
 * "Pruning preserving quantization aware training (PCQAT)" example in TF.js:
 *
 *   1. train the float baseline;
 *   2. prune 50% of every kernel (ConstantSparsity, UpdatePruningStep), then
 *      stripPruning; once unstructured, as in TFMOT's tutorial, and once
 *      with the Dense kernel in blocks of 4 consecutive input weights of one
 *      output (blockSize [4, 1], TFLite's 1x4 block layout, applied with
 *      tfmot.cloneModel), whose zero runs gzip better;
 *   3. cluster the pruned model, 8 clusters per output channel of the conv
 *      (per tensor for Dense), KMEANS_PLUS_PLUS, preserveSparsity (0 stays
 *      a centroid, zeros stay zero), then stripClustering;
 *   4. PCQAT: quantizeApply(quantizeAnnotateModel(m),
 *      new Default8BitClusterPreserveQuantizeScheme({preserveSparsity: true})),
 *      quantization-aware fine-tuning that keeps both the zeros and the
 *      clusters;
 *   5. export the PCQAT model to an int8 TFLite file.
 *
 * Steps 2-5 run once per pruning structure. For each stage it prints
 * accuracy (tfjs, and LiteRT on the stage's TFLite file: float32 for 1-3,
 * int8 for 4), kernel sparsity and the most distinct
 * values in one output channel (from tfmot.report of the file), the file's
 * raw and gzipped sizes and the gzipped ratio to the float32 baseline.
 *
 * Run it with `npm run example:pcqat` (builds the package, then runs this
 * file; about two minutes). Files go to examples/out/mnist_prune_cluster_qat/.
 * LiteRT.js (@litertjs/core) is a devDependency used only to check them.
 */

import * as tfl from '@tensorflow/tfjs-layers';
import * as tfmot from 'tfjs-model-optimization';

import {compileForLogits, convertAndRun, Digits, FileSpec, fitDigits, loadDigits, NUM_TEST, outDir, percent,
  printTable, seconds, tfjsAccuracy, trainBaseline} from './common.js';

const SEED = 17;
const BASELINE_EPOCHS = 5;
const OUT_DIR = outDir('mnist_prune_cluster_qat');

async function main(): Promise<void> {
  const digits = await loadDigits(SEED);
  const {test} = digits;
  console.log(digits.summary);

  // 1. The float baseline.
  const t0 = performance.now();
  const baseline = await trainBaseline(digits, SEED, BASELINE_EPOCHS, 1e-3);
  console.log(`1. baseline: ${BASELINE_EPOCHS} epochs in ${seconds(t0)}`);
  const stages: FileSpec[] = [stageFile('baseline', baseline, false)];
  const models: tfl.LayersModel[] = [baseline];
  for (const recipe of RECIPES) {
    const made = await pruneClusterQat(baseline, digits, recipe);
    stages.push(...made.stages);
    models.push(...made.models);
  }

  // The files: float32 for the float stages, int8 for PCQAT (its learned
  // ranges; no representative dataset).
  const files = await convertAndRun(stages, OUT_DIR, digits);
  const reports = files.map((f) => tfmot.report(f.bytes));
  const rows = stages.map((stage, i) => {
    const kernels = reports[i].layers.flatMap((l) => l.weights).filter((w) => w.maxDistinctPerChannel != null);
    const kernelParams = kernels.reduce((n, k) => n + k.params, 0);
    const kernelZeros = kernels.reduce((n, k) => n + k.zeros, 0);
    return [stage.name, percent(tfjsAccuracy(stage.model, test.xs, test.ys)), percent(files[i].liteRtAccuracy),
      files[i].mode, percent(kernelZeros / kernelParams),
      String(Math.max(...kernels.map((k) => k.maxDistinctPerChannel!))), String(files[i].bytes.length),
      String(files[i].gzippedBytes), files[i].gzipGain];
  });

  console.log(`\ntfmot.report of the last PCQAT int8 file:\n${tfmot.formatReport(reports[reports.length - 1])}`);
  console.log(`\nPer stage (files in ${OUT_DIR}):`);
  printTable(['stage', 'tfjs acc', 'LiteRT acc', 'file', 'kernel zeros', 'max distinct/channel', 'bytes', 'gzipped',
    'gzip vs baseline'], rows, {indent: '  '});
  console.log(`\n"kernel zeros" and "max distinct/channel" are read from each stage's file (CONV_2D and ` +
      `FULLY_CONNECTED weights, output channels along axis 0); "LiteRT acc" runs that file on the same ` +
      `${NUM_TEST} digits.`);

  digits.dispose();
  for (const m of models) {
    m.dispose();
  }
}

/** How step 2 prunes the Dense kernel: TFMOT's tutorial (unstructured) or in blocks. */
interface Recipe {
  label: string;
  denseBlock: [number, number];
}

const RECIPES: Recipe[] = [
  {label: 'unstructured', denseBlock: [1, 1]},
  // [rows, cols] of the kernel seen as inputs x outputs: 4 consecutive
  // inputs of one output, which lie next to each other in the file.
  {label: 'Dense in blocks of 4', denseBlock: [4, 1]},
];

const stageFile = (name: string, model: tfl.LayersModel, int8: boolean): FileSpec => ({name, model,
  configure: int8 ? (c) => c.optimizations = [tfmot.tflite.Optimize.DEFAULT] : undefined,
  fileName: `${name.replace(/[^a-z0-9]+/gi, '_')}_${int8 ? 'int8' : 'float32'}.tflite`});

/** Steps 2-4 from the baseline; returns the stages to convert and every model made. */
async function pruneClusterQat(baseline: tfl.LayersModel, digits: Digits, recipe: Recipe):
    Promise<{stages: FileSpec[], models: tfl.LayersModel[]}> {
  const fit = async (model: tfl.LayersModel, epochs: number, callbacks: tfl.Callback[] = []) => {
    const t0 = performance.now();
    await fitDigits(model, digits, epochs, {callbacks});
    return seconds(t0);
  };
  // 2. Prune: 50% of each kernel from the first step on; UpdatePruningStep
  // advances the step and re-applies the masks after every batch.
  // cloneModel passes each layer through the function, as Keras's
  // clone_model does in TFMOT's guides: the conv is always pruned weight by
  // weight (TFMOT prunes in blocks only 2-D kernels), the Dense per recipe.
  const pruning = tfmot.cloneModel(baseline, (layer) => ['Conv2D', 'Dense'].includes(layer.getClassName()) ?
    tfmot.sparsity.pruneLowMagnitude(layer, {
      blockSize: layer.getClassName() === 'Dense' ? recipe.denseBlock : [1, 1],
      pruningSchedule: new tfmot.sparsity.ConstantSparsity({targetSparsity: 0.5, beginStep: 0})}) :
    layer);
  compileForLogits(pruning, 1e-3);
  const pruneTime = await fit(pruning, 1, [new tfmot.sparsity.UpdatePruningStep()]);
  const pruned = tfmot.sparsity.stripPruning(pruning);
  console.log(`${recipe.label}: 2. pruned 50%: 1 epoch in ${pruneTime}`);

  // 3. Cluster with sparsity preserved: each conv output channel gets its own
  // 8 centroids (one pinned at 0), the Dense kernel 8 in all.
  const clustering = tfmot.clustering.clusterWeights(pruned, {
    numberOfClusters: 8,
    clusterCentroidsInit: tfmot.clustering.CentroidInitialization.KMEANS_PLUS_PLUS,
    preserveSparsity: true,
    clusterPerChannel: true,
    seed: SEED,
  });
  compileForLogits(clustering, 1e-4);
  const clusterTime = await fit(clustering, 1);
  const clustered = tfmot.clustering.stripClustering(clustering);
  console.log(`${recipe.label}: 3. clustered (8 per channel, sparsity kept): 1 epoch in ${clusterTime}`);

  // 4. PCQAT: the scheme's weight quantizers keep the zero mask and the
  // cluster of every weight; only the centroids (and ranges) train.
  const pcqat = tfmot.quantization.quantizeApply(
      tfmot.quantization.quantizeAnnotateModel(clustered),
      new tfmot.quantization.Default8BitClusterPreserveQuantizeScheme({preserveSparsity: true}));
  compileForLogits(pcqat, 1e-4);
  console.log(`${recipe.label}: 4. PCQAT: 1 epoch in ${await fit(pcqat, 1)}`);

  return {
    stages: [
      stageFile(`${recipe.label}: pruned 50%`, pruned, false),
      stageFile(`${recipe.label}: pruned + clustered`, clustered, false),
      stageFile(`${recipe.label}: PCQAT`, pcqat, true),
    ],
    models: [pruning, pruned, clustering, clustered, pcqat],
  };
}

await main();
