/**
 * A layer or model already wrapped by an optimization technique is refused
 * by every wrapping function (naming the layer and how to strip it), while
 * the combined flows TFMOT supports, which strip between steps, still work.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';

const {sparsity, clustering, quantization} = tfmot;

beforeAll(async () => {
  await tfmot.backend.init();
});

const plain = () => tfl.sequential({layers: [
  tfl.layers.dense({units: 8, inputShape: [4], activation: 'relu', name: 'd1'}),
  tfl.layers.dense({units: 2, name: 'd2'}),
]});
const constant = (targetSparsity: number) => new sparsity.ConstantSparsity({targetSparsity, beginStep: 0});

/** The wrapped models, by technique, with the wrapper layer first in each and how to strip it. */
const WRAPPED: Array<[string, () => tfl.LayersModel, RegExp]> = [
  ['pruned', () => sparsity.pruneLowMagnitude(plain(), {pruningSchedule: constant(0.3)}),
    /layer 'prune_low_magnitude_d1' is already a PruneLowMagnitude around 'd1'; strip it with tfmot.sparsity.stripPruning/],
  ['clustered', () => clustering.clusterWeights(plain(), {numberOfClusters: 2}),
    /layer 'cluster_d1' is already a ClusterWeights around 'd1'; strip it with tfmot.clustering.stripClustering/],
  ['annotated', () => quantization.quantizeAnnotateModel(plain()),
    /layer 'quantize_annotate_d1' is already a QuantizeAnnotate around 'd1'; apply the annotation with quantizeApply/],
  ['QAT', () => quantization.quantizeModel(plain()), /is already (a QuantizeLayer|quantized)/],
];

/** Each wrapping function applied to a whole model. */
const TECHNIQUES: Array<[string, (m: tfl.LayersModel) => unknown]> = [
  ['pruneLowMagnitude', (m) => sparsity.pruneLowMagnitude(m, {pruningSchedule: constant(0.9)})],
  ['clusterWeights', (m) => clustering.clusterWeights(m, {numberOfClusters: 3})],
  ['quantizeModel', (m) => quantization.quantizeModel(m)],
  ['quantizeAnnotateModel', (m) => quantization.quantizeAnnotateModel(m)],
];

describe('wrapping a wrapped model', () => {
  for (const [kind, make, message] of WRAPPED) {
    for (const [fn, apply] of TECHNIQUES) {
      if (kind === 'annotated' && fn.startsWith('quantize')) {
        continue;  // legitimate: annotated layers keep their config (TFMOT's quantize_annotate_model)
      }
      if (kind === 'clustered' && fn === 'clusterWeights') {
        continue;  // its own message, tested in test/clustering
      }
      it(`${fn} of a ${kind} model is an error naming the wrapper`, () => {
        const wrapped = make();
        expect(() => apply(wrapped)).toThrow(kind === 'QAT' ? message : new RegExp(`${fn}: ${message.source}`));
        expect(() => apply(wrapped)).toThrow(tfmot.ValueError);
        wrapped.dispose();
      });
    }
  }

  it('pruning a pruned model again no longer keeps the first schedule silently', () => {
    const once = sparsity.pruneLowMagnitude(plain(), {pruningSchedule: constant(0.3)});
    expect(() => sparsity.pruneLowMagnitude(once, {pruningSchedule: constant(0.9)})).toThrow(
        /pruneLowMagnitude: layer 'prune_low_magnitude_d1'.*stripPruning first\. Combined optimization strips/);
    once.dispose();
  });

  it('wrapping one wrapped layer in another technique is an error', () => {
    const pruned = sparsity.pruneLowMagnitude(tfl.layers.dense({units: 3, name: 'single'}));
    expect(() => clustering.clusterWeights(pruned, {numberOfClusters: 2}))
        .toThrow(/clusterWeights: layer 'prune_low_magnitude_single' is already a PruneLowMagnitude/);
    expect(() => quantization.quantizeAnnotateLayer(pruned))
        .toThrow(/quantizeAnnotateLayer: layer 'prune_low_magnitude_single'.*stripPruning/);
    const clustered = clustering.clusterWeights(tfl.layers.dense({units: 3, name: 'other'}), {numberOfClusters: 2});
    expect(() => sparsity.pruneLowMagnitude(clustered))
        .toThrow(/pruneLowMagnitude: layer 'cluster_other' is already a ClusterWeights.*stripClustering/);
  });
});

describe('the combined flows TFMOT supports still work', () => {
  it('prune -> strip -> cluster with preserveSparsity -> strip -> PCQAT; prune -> strip -> PQAT', () => {
    const pruned = sparsity.stripPruning(sparsity.pruneLowMagnitude(plain(), {pruningSchedule: constant(0.5)}));
    const clustered = clustering.clusterWeights(pruned, {numberOfClusters: 3, preserveSparsity: true});
    const pcqat = quantization.quantizeApply(quantization.quantizeAnnotateModel(clustering.stripClustering(clustered)),
        new quantization.Default8BitClusterPreserveQuantizeScheme({preserveSparsity: true}));
    expect(pcqat.layers.map((l) => l.getClassName())).toContain('QuantizeWrapper');
    const pqat = quantization.quantizeApply(quantization.quantizeAnnotateModel(pruned),
        new quantization.Default8BitPrunePreserveQuantizeScheme());
    expect(pqat.layers.map((l) => l.getClassName())).toContain('QuantizeWrapper');
  });

  it('annotating a partly annotated model keeps the annotations, and quantizeModel takes it', () => {
    const input = tfl.input({shape: [4]});
    const annotated = quantization.quantizeAnnotateLayer(tfl.layers.dense({units: 3, name: 'a'}));
    const out = tfl.layers.dense({units: 2, name: 'b'}).apply(annotated.apply(input)) as tfl.SymbolicTensor;
    const model = tfl.model({inputs: input, outputs: out});
    expect(quantization.quantizeAnnotateModel(model).layers.filter((l) => l instanceof quantization.QuantizeAnnotate))
        .toHaveLength(2);
    expect(quantization.quantizeModel(model).layers.map((l) => l.getClassName())).toContain('QuantizeWrapper');
  });
});
