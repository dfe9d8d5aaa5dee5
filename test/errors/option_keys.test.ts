/**
 * Every options object of the public API rejects keys it does not read (a
 * Python spelling or a typo would otherwise silently take the default), and
 * received values read as JavaScript prints them (NaN, not null).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import {beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {checkOptionKeys, checkInteger, checkStringUnion, describeValue, formatValue, suggestKey} from '../../src/errors.js';

const q = tfmot.quantization;
const rangeArgs = {numBits: 8, perAxis: false, symmetric: false, narrowRange: false};
const series = [{name: 's', points: [[0, 1], [1, 2]] as Array<[number, number]>}];
const constant = {targetSparsity: 0.5, beginStep: 0};
const dense = () => tfl.sequential({layers: [tfl.layers.dense({units: 4, inputShape: [3]})]});

/**
 * Each public function or class taking an options object, called with one
 * unknown key: [name, call, the key, the hint expected (or null)].
 */
const OPTION_TAKERS: Array<[string, () => unknown, string, string|null]> = [
  ['backend.init', () => tfmot.backend.init({back_end: 'cpu'} as never), 'back_end', 'backend'],
  ['backend.registerWasmTrainingKernels',
    () => tfmot.backend.registerWasmTrainingKernels({fast_conv_input_gradient: false} as never),
    'fast_conv_input_gradient', 'fastConvInputGradient'],
  ['callbacks.ProgressBar', () => new tfmot.callbacks.ProgressBar({throttle_ms: 5} as never), 'throttle_ms', 'throttleMs'],
  ['callbacks.progressLogger', () => tfmot.callbacks.progressLogger({interval_ms: 5} as never), 'interval_ms',
    'intervalMs'],
  ['callbacks.PruningSummaries', () => new tfmot.callbacks.PruningSummaries({log_dir: '/tmp/x'} as never),
    'log_dir', 'logDir'],
  ['clustering.initCentroids', () => tfmot.clustering.initCentroids([1, 2, 3], 2,
      {method: 'LINEAR', preserveSparsity: false, preserve_sparsity: true} as never), 'preserve_sparsity',
  'preserveSparsity'],
  ['clustering.clusterWeights', () => tfmot.clustering.clusterWeights(dense(),
      {numberOfClusters: 2, cluster_per_channel: true} as never), 'cluster_per_channel', 'clusterPerChannel'],
  ['data.loadMnist', () => tfmot.data.loadMnist({num_train: 5} as never), 'num_train', 'numTrain'],
  ['data.mnistTutorialModel', () => tfmot.data.mnistTutorialModel({sead: 1} as never), 'sead', 'seed'],
  ['io.L1', () => new tfmot.io.L1({l2: 1} as never), 'l2', null],
  ['io.L2', () => new tfmot.io.L2({L2: 1} as never), 'L2', 'l2'],
  ['plot.lineChart', () => tfmot.plot.lineChart({series, x_label: 'step'} as never), 'x_label', 'xLabel'],
  ['plot.scatterChart', () => tfmot.plot.scatterChart({series: [{...series[0], colour: 'red'}]} as never),
    'colour', null],
  ['quantization.AllValuesQuantizer', () => new q.AllValuesQuantizer({...rangeArgs, num_bits: 8} as never),
    'num_bits', 'numBits'],
  ['quantization.LastValueQuantizer', () => new q.LastValueQuantizer({...rangeArgs, narow_range: true} as never),
    'narow_range', 'narrowRange'],
  ['quantization.MovingAverageQuantizer', () => new q.MovingAverageQuantizer({...rangeArgs, ema_decay: 0.9} as never),
    'ema_decay', 'emaDecay'],
  ['quantization.FixedQuantizer',
    () => new q.FixedQuantizer({numBits: 8, init_min: -1, initMax: 1, narrowRange: false} as never), 'init_min',
    'initMin'],
  ['quantization.Default8BitQuantizeConfig', () => new q.Default8BitQuantizeConfig(
      {weightAttrs: [], activationAttrs: [], quantizeOutput: false, per_axis_weights: true} as never),
  'per_axis_weights', 'perAxisWeights'],
  ['quantization.FixedOutputQuantizeConfig', () => new q.FixedOutputQuantizeConfig(
      {kind: 'softmax', kinds: 'tanh'} as never), 'kinds', 'kind'],
  ['quantization.Default8BitClusterPreserveQuantizeScheme',
    () => new q.Default8BitClusterPreserveQuantizeScheme({preserve_sparsity: true} as never), 'preserve_sparsity',
    'preserveSparsity'],
  ['quantization.PreservingQuantizer', () => new q.PreservingQuantizer(
      {quantizer: new q.LastValueQuantizer(rangeArgs), preserve: 'sparsity', preserv: 'clusters'} as never),
  'preserv', 'preserve'],
  ['sparsity.ConstantSparsity', () => new tfmot.sparsity.ConstantSparsity({...constant, end_step: 9} as never),
    'end_step', 'endStep'],
  ['sparsity.PolynomialDecay', () => new tfmot.sparsity.PolynomialDecay({initialSparsity: 0, finalSparsity: 0.5,
    beginStep: 0, endStep: 9, begin_step: 2} as never), 'begin_step', 'beginStep'],
  ['sparsity.PruningSummaries', () => new tfmot.sparsity.PruningSummaries({logdir: '/tmp/x'} as never), 'logdir',
    'logDir'],
  ['sparsity.pruneLowMagnitude', () => tfmot.sparsity.pruneLowMagnitude(dense(),
      {pruning_schedule: new tfmot.sparsity.ConstantSparsity(constant)} as never), 'pruning_schedule',
  'pruningSchedule'],
  // The wrapper layers take their options, `layer` and tfjs' LayerArgs (their saved config comes back this way).
  ['clustering.ClusterWeights', () => new tfmot.clustering.ClusterWeights(
      {layer: tfl.layers.dense({units: 2}), numberOfClusters: 2, number_of_clusters: 3} as never),
  'number_of_clusters', 'numberOfClusters'],
  ['sparsity.PruneLowMagnitude', () => new tfmot.sparsity.PruneLowMagnitude(
      {layer: tfl.layers.dense({units: 2}), block_size: [1, 2]} as never), 'block_size', 'blockSize'],
  ['quantization.QuantizeAnnotate', () => new q.QuantizeAnnotate(
      {layer: tfl.layers.dense({units: 2}), quantize_config: null} as never), 'quantize_config', 'quantizeConfig'],
  ['quantization.QuantizeWrapper', () => new q.QuantizeWrapper({layer: tfl.layers.dense({units: 2}),
    quantizeConfig: new q.Default8BitQuantizeConfig({weightAttrs: ['kernel'], activationAttrs: [],
      quantizeOutput: false}), folded_batch_norm: null} as never), 'folded_batch_norm', 'foldedBatchNorm'],
  ['quantization.QuantizeLayer', () => new q.QuantizeLayer({quantiser: new q.AllValuesQuantizer(rangeArgs)} as never),
    'quantiser', 'quantizer'],
  ['tflite.Interpreter', () => tfmot.tflite.Interpreter.create(new Uint8Array(8), {num_threads: 2} as never),
    'num_threads', 'numThreads'],
  ['io.fileSystem', () => tfmot.io.fileSystem('/tmp/m', {max_weight_bytes: 2} as never), 'max_weight_bytes',
    'maxWeightBytes'],
  ['io.FileSystemHandler', () => new tfmot.io.FileSystemHandler('/tmp/m', {maxWeightByte: 2} as never),
    'maxWeightByte', 'maxWeightBytes'],
];

/** Callbacks that take no arguments: any argument is an error. */
const NO_ARGUMENTS: Array<[string, () => unknown]> = [
  ['callbacks.UpdatePruningStep', () => new (tfmot.callbacks.UpdatePruningStep as new (a: unknown) => unknown)(
      {log_dir: '/tmp'})],
  ['sparsity.UpdatePruningStep', () => new (tfmot.sparsity.UpdatePruningStep as new (a: unknown) => unknown)({})],
];

/** Public functions and classes without an options object, and why. */
const WITHOUT_OPTIONS: Record<string, string> = {
  'clustering.stripClustering': 'a model only',
  'data.oneHotLabels': 'positional',
  'data.categoricalCrossentropyFromLogits': 'positional',
  'plot.escapeXml': 'a string',
  'tflite.setLiteRtWasmPath': 'a URL',
  'plot.htmlTable': 'positional',
  'plot.textTable': 'positional',
  'quantization.fakeQuantWithMinMaxVars': 'positional',
  'quantization.nudge': 'positional',
  'quantization.Quantizer': 'abstract',
  'quantization.NoOpQuantizeConfig': 'no arguments',
  'quantization.QuantizeConfig': 'abstract',
  'quantization.quantizeAnnotateLayer': 'a layer and a QuantizeConfig',
  'quantization.quantizeAnnotateModel': 'a model only',
  'quantization.Default8BitPrunePreserveQuantizeScheme': 'no arguments',
  'quantization.Default8BitQuantizeScheme': 'no arguments',
  'quantization.quantizeApply': 'a model and a scheme',
  'quantization.quantizeModel': 'a model only',
  'sparsity.PruningSchedule': 'abstract',
  'sparsity.getSparsity': 'a model only',
  'sparsity.stripPruning': 'a model only',
  'summary.createSummaryWriter': 'a path only',
  'tflite.TFLiteConverter': 'settings are properties, checked at convert() (test/tflite/converter_errors)',
  'tflite.formatSummary': 'a summary only',
  'tflite.inspect': 'positional',
  'tflite.evaluateAccuracy': 'positional',
  'tflite.LiteRtCrash': 'an error class',
  'tflite.LiteRtError': 'an error class',
  'tflite.readModel': 'bytes only',
  'tflite.writeModel': 'a schema object only',
  'NotSupportedError': 'an error class',
  'ValueError': 'an error class',
  'cloneModel': 'a model and a function',
  'report': 'a model or bytes',
  'formatReport': 'a report only',
};

/** `namespace.name` of every function and class the package exports. */
function publicCallables(): string[] {
  const names: string[] = [];
  for (const [ns, value] of Object.entries(tfmot)) {
    if (typeof value === 'function') {
      names.push(ns);
    } else if (value != null && typeof value === 'object') {
      for (const [key, member] of Object.entries(value)) {
        if (typeof member === 'function') {
          names.push(`${ns}.${key}`);
        }
      }
    }
  }
  return names;
}

/** The error `fn` throws or rejects with (fails the test if there is none). */
async function failure(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

beforeAll(async () => {
  await tfmot.backend.init();
});

describe('unknown option keys', () => {
  it('every exported function and class is listed as taking options (checked) or not', () => {
    const listed = new Set([...OPTION_TAKERS.map(([n]) => n), ...NO_ARGUMENTS.map(([n]) => n),
      ...Object.keys(WITHOUT_OPTIONS)]);
    const unlisted = publicCallables().filter((n) => !listed.has(n));
    // A new export lands here: add it to OPTION_TAKERS (after calling checkOptionKeys in it) or WITHOUT_OPTIONS.
    expect(unlisted).toEqual([]);
    const gone = [...listed].filter((n) => !publicCallables().includes(n));
    expect(gone).toEqual([]);
  });

  it.each(OPTION_TAKERS)('%s rejects an unknown key, naming it and the likely key', async (name, call, key, hint) => {
    const error = await failure(call);
    expect(error).toBeInstanceOf(tfmot.ValueError);
    expect(error.message).toContain(`unknown option '${key}'`);
    if (hint != null) {
      expect(error.message).toContain(`did you mean ${hint}?`);
    } else {
      expect(error.message).not.toContain('did you mean');
    }
    expect(error.message.length).toBeGreaterThan(name.length);
  });

  it.each(NO_ARGUMENTS)('%s rejects any argument', async (_name, call) => {
    const error = await failure(call);
    expect(error).toBeInstanceOf(tfmot.ValueError);
    expect(error.message).toMatch(/takes no arguments/);
  });

  it('still accepts every documented key', () => {
    expect(() => tfmot.sparsity.pruneLowMagnitude(dense(), {pruningSchedule:
      new tfmot.sparsity.ConstantSparsity(constant), blockSize: [1, 1], blockPoolingType: 'AVG',
    sparsityMByN: null, scope: 'layer', structure: 'unstructured'})).not.toThrow();
    expect(() => tfmot.clustering.clusterWeights(dense(), {numberOfClusters: 2, clusterCentroidsInit: 'LINEAR',
      preserveSparsity: false, clusterPerChannel: false, seed: 1})).not.toThrow();
    expect(() => new q.MovingAverageQuantizer({...rangeArgs, emaDecay: 0.9})).not.toThrow();
    expect(() => tfmot.plot.lineChart({series, title: 't', xLabel: 'x', yLabel: 'y', xRange: [0, 1],
      yRange: [0, 2], width: 400, height: 300})).not.toThrow();
  });
});

describe('checkOptionKeys and suggestKey', () => {
  it('suggests the camelCase of a snake_case key, a case change and a near miss, and nothing for a far one', () => {
    const allowed = ['pruningSchedule', 'blockSize', 'scope'];
    expect(suggestKey('pruning_schedule', allowed)).toBe('pruningSchedule');
    expect(suggestKey('blocksize', allowed)).toBe('blockSize');
    expect(suggestKey('pruningSchedul', allowed)).toBe('pruningSchedule');
    expect(suggestKey('prunningSchedlue', allowed)).toBe('pruningSchedule');
    expect(suggestKey('frequency', allowed)).toBeNull();
  });

  it('passes undefined and null, and rejects a non-object', () => {
    expect(() => checkOptionKeys(undefined, ['a'], 'f')).not.toThrow();
    expect(() => checkOptionKeys(null, ['a'], 'f')).not.toThrow();
    expect(() => checkOptionKeys(5, ['a'], 'f options')).toThrow(/f options: expects an object \{a\}; received number 5/);
    expect(() => checkOptionKeys([1], ['a'], 'f')).toThrow(/expects an object/);
  });

  it('lists the allowed keys', () => {
    expect(() => checkOptionKeys({b: 1}, ['a', 'c'], 'f')).toThrow(/f: unknown option 'b'; allowed options are a, c\./);
  });
});

describe('values in messages', () => {
  it('prints NaN, Infinity and -0 as such, where JSON would print null or 0', () => {
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatValue(-Infinity)).toBe('-Infinity');
    expect(formatValue(-0)).toBe('-0');
    expect(formatValue([1, NaN])).toBe('[1, NaN]');
    expect(formatValue({a: Infinity})).toBe('{a: Infinity}');
    expect(formatValue('x')).toBe('"x"');
    expect(formatValue(undefined)).toBe('undefined');
    expect(describeValue(NaN)).toBe('number NaN');
    expect(describeValue(new Map())).toBe('Map');
  });

  it('names NaN arguments as NaN', () => {
    expect(() => checkInteger(NaN, 'n')).toThrow(/n must be an integer >= 1; received NaN\./);
    expect(() => checkStringUnion(NaN, ['a'], 's')).toThrow(/received NaN\./);
    expect(() => tfmot.clustering.clusterWeights(dense(), {numberOfClusters: NaN}))
        .toThrow(/numberOfClusters must be an integer >= 2; received NaN\./);
    expect(() => tfmot.sparsity.pruneLowMagnitude(dense(), {blockSize: [NaN, 1]}))
        .toThrow(/blockSize must be two positive integers; received \[NaN, 1\]\./);
    expect(() => tfmot.data.mnistTutorialModel({seed: Infinity})).toThrow(/received Infinity\./);
  });
});
