/**
 * pruneLowMagnitude on models, layers and arrays of layers; argument and
 * layer errors; what training with UpdatePruningStep guarantees (exact
 * zeros under Adam, masks changing only on schedule steps); global scope;
 * and the PrunableLayer opt-in interface.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {dataset, predictValues, seeded} from '../helpers/models.js';
import {compileAdam, fitPruned, kernelAndMask, wrappersOf} from './helpers.js';

const {sparsity} = tfmot;
type PruneParams = tfmot.sparsity.PruneParams;

const constant = (targetSparsity: number, frequency = 1) =>
  new sparsity.ConstantSparsity({targetSparsity, beginStep: 0, frequency});

let data: {xs: tf.Tensor, ys: tf.Tensor};

beforeAll(async () => {
  await tfmot.backend.init();
  data = dataset(64, [16], 4, 1);
});

afterAll(() => tf.dispose([data.xs, data.ys]));

/** Input [8, 8, 2] -> Conv2D -> BN -> ReLU -> MaxPool -> Flatten -> Dropout -> Dense -> Dense. */
function mixedModel(): tfl.LayersModel {
  return tfl.sequential({layers: [
    tfl.layers.conv2d({inputShape: [8, 8, 2], filters: 4, kernelSize: 3, kernelInitializer: seeded(1), name: 'conv'}),
    tfl.layers.batchNormalization({name: 'bn'}),
    tfl.layers.reLU({name: 'relu'}),
    tfl.layers.maxPooling2d({poolSize: 2, name: 'pool'}),
    tfl.layers.flatten({name: 'flat'}),
    tfl.layers.dropout({rate: 0.1, name: 'drop'}),
    tfl.layers.dense({units: 6, activation: 'relu', kernelInitializer: seeded(2), name: 'hidden'}),
    tfl.layers.dense({units: 3, activation: 'softmax', kernelInitializer: seeded(3), name: 'out'}),
  ]});
}

/** Input [16] -> Dense 32 relu -> Dense 4 softmax. */
function mlp(params: PruneParams, scales: [number, number] = [1, 1]): tfl.LayersModel {
  const init = (scale: number, seed: number) => tfl.initializers.randomUniform({minval: -scale, maxval: scale, seed});
  return sparsity.pruneLowMagnitude(tfl.sequential({layers: [
    tfl.layers.dense({inputShape: [16], units: 32, activation: 'relu', kernelInitializer: init(scales[0], 4),
      name: 'd1'}),
    tfl.layers.dense({units: 4, activation: 'softmax', kernelInitializer: init(scales[1], 5), name: 'd2'}),
  ]}), params);
}

const weightsOf = (model: tfl.LayersModel) => model.getWeights().map((w) => Array.from(w.dataSync()));

describe('pruneLowMagnitude(model)', () => {
  it('wraps exactly the prunable layers, names them, copies weights and leaves the input model alone', () => {
    const model = mixedModel();
    const before = weightsOf(model);
    const classesBefore = model.layers.map((l) => l.getClassName());
    const pruned = sparsity.pruneLowMagnitude(model);
    expect(pruned.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'PruneLowMagnitude',
      'BatchNormalization', 'ReLU', 'MaxPooling2D', 'Flatten', 'Dropout', 'PruneLowMagnitude', 'PruneLowMagnitude']);
    expect(wrappersOf(pruned).map((w) => w.name)).toEqual(
        ['prune_low_magnitude_conv', 'prune_low_magnitude_hidden', 'prune_low_magnitude_out']);
    expect(wrappersOf(pruned).map((w) => w.layer.name)).toEqual(['conv', 'hidden', 'out']);
    // Nothing shared, nothing changed.
    expect(model.layers.map((l) => l.getClassName())).toEqual(classesBefore);
    expect(weightsOf(model)).toEqual(before);
    for (const w of wrappersOf(pruned)) {
      expect(model.layers).not.toContain(w.layer);
    }
    // Masks start at one, so the pruned model computes the same function.
    const xs = tf.ones([2, 8, 8, 2]);
    expect(predictValues(pruned, xs)).toEqual(predictValues(model, xs));
    xs.dispose();
  });

  it('applies the params to every wrapper', () => {
    const pruned = sparsity.pruneLowMagnitude(mixedModel(), {blockSize: [1, 2], blockPoolingType: 'MAX'});
    for (const w of wrappersOf(pruned)) {
      expect(w.params.blockSize).toEqual([1, 2]);
      expect(w.params.blockPoolingType).toBe('MAX');
      expect(w.params.pruningSchedule).toBeInstanceOf(sparsity.ConstantSparsity);
    }
  });

  it('refuses a model that already has pruning wrappers instead of keeping their schedule', () => {
    const once = sparsity.pruneLowMagnitude(mixedModel(), {pruningSchedule: constant(0.3)});
    expect(() => sparsity.pruneLowMagnitude(once, {pruningSchedule: constant(0.9)}))
        .toThrow(/already a PruneLowMagnitude around .*stripPruning first/);
  });
});

describe('pruneLowMagnitude(layer | layers)', () => {
  it('wraps one layer, and refuses to wrap a wrapper again', () => {
    const wrapped = sparsity.pruneLowMagnitude(tfl.layers.dense({units: 3, name: 'single'}));
    expect(wrapped).toBeInstanceOf(sparsity.PruneLowMagnitude);
    expect(wrapped.name).toBe('prune_low_magnitude_single');
    expect(() => sparsity.pruneLowMagnitude(wrapped)).toThrow(/'single' is already wrapped for pruning/);
  });

  it('wraps an array of layers that build and train as a Sequential', async () => {
    const layers = sparsity.pruneLowMagnitude([
      tfl.layers.dense({inputShape: [16], units: 24, activation: 'relu', kernelInitializer: seeded(6)}),
      tfl.layers.dense({units: 4, activation: 'softmax', kernelInitializer: seeded(7)}),
    ], {pruningSchedule: constant(0.75)});
    expect(layers).toHaveLength(2);
    const model = tfl.sequential({layers});
    compileAdam(model);
    await fitPruned(model, data.xs, data.ys, {epochs: 1, batchSize: 16});
    const report = sparsity.getSparsity(model);
    expect(report.layers.map((l) => l.sparsity)).toEqual([0.75, 0.75]);
    expect(report.overall).toBe(0.75);
  });

  it('lets a model mix wrapped and plain layers', async () => {
    const model = tfl.sequential({layers: [
      sparsity.pruneLowMagnitude(tfl.layers.dense({inputShape: [16], units: 8, kernelInitializer: seeded(8)}),
          {pruningSchedule: constant(0.5)}),
      tfl.layers.dense({units: 4, activation: 'softmax', kernelInitializer: seeded(9)}),
    ]});
    compileAdam(model);
    await fitPruned(model, data.xs, data.ys, {epochs: 1, batchSize: 32});
    const report = sparsity.getSparsity(model);
    expect(report.layers[0].sparsity).toBe(0.5);
    expect(report.layers[1].sparsity).toBe(0);
  });
});

describe('argument and layer errors', () => {
  const dense = () => tfl.layers.dense({units: 4});
  const cases: Array<[string, PruneParams, RegExp]> = [
    ['blockSize of one number', {blockSize: [2] as unknown as [number, number]}, /blockSize must be two positive integers; received \[2\]/],
    ['blockSize with a zero', {blockSize: [0, 2]}, /blockSize must be two positive integers; received \[0, 2\]/],
    ['fractional blockSize', {blockSize: [1.5, 1]}, /blockSize/],
    ['sparsityMByN [4, 2]', {sparsityMByN: [4, 2]}, /sparsityMByN \[m, n\] puts m zeros in every n consecutive weights, so it must be two integers with 1 <= m < n; received \[4, 2\]/],
    ['sparsityMByN [2, 2]', {sparsityMByN: [2, 2]}, /sparsityMByN/],
    ['unknown scope', {scope: 'model' as 'layer'}, /scope must be one of 'layer', 'global'; received "model"/],
    ['unknown structure', {structure: 'channels' as 'filters'}, /structure must be one of 'unstructured', 'filters'; received "channels"/],
    ['unknown blockPoolingType', {blockPoolingType: 'MIN' as 'AVG'}, /blockPoolingType must be one of 'AVG', 'MAX'; received "MIN"/],
    ['lowercase blockPoolingType', {blockPoolingType: 'avg' as 'AVG'}, /blockPoolingType/],
    ['schedule that is not a PruningSchedule', {pruningSchedule: {call: () => ({shouldPrune: true, sparsity: 0.5})} as
      unknown as tfmot.sparsity.PruningSchedule}, /pruningSchedule must be a PruningSchedule .*received Object/],
    ['filters with blockSize', {structure: 'filters', blockSize: [2, 2]}, /structure 'filters' cannot be combined with blockSize/],
    ['filters with sparsityMByN', {structure: 'filters', sparsityMByN: [2, 4]}, /structure 'filters' cannot be combined with .*sparsityMByN/],
  ];
  for (const [what, params, message] of cases) {
    it(`${what}: ValueError naming the argument`, () => {
      expect(() => sparsity.pruneLowMagnitude(dense(), params)).toThrow(message);
      expect(() => sparsity.pruneLowMagnitude(dense(), params)).toThrow(tfmot.ValueError);
    });
  }

  it('a blockSize larger than the kernel, or leaving too few blocks to prune, is an error naming layer and shape', () => {
    const model = () => tfl.sequential({layers: [tfl.layers.dense({units: 4, inputShape: [8], name: 'small'})]});
    const at = (targetSparsity: number) => new sparsity.ConstantSparsity({targetSparsity, beginStep: 0});
    expect(() => sparsity.pruneLowMagnitude(model(), {blockSize: [16, 1]})).toThrow(
        /Layer 'small': blockSize \[16, 1\] for 'kernel' \(shape \[8,4\], pruned as \[8, 4\].*larger than the weight; use a block of at most \[8, 4\]/);
    expect(() => sparsity.pruneLowMagnitude(model(), {blockSize: [1, 5]})).toThrow(/larger than the weight/);
    // One block as big as the kernel: the default 0.5 would prune nothing.
    expect(() => sparsity.pruneLowMagnitude(model(), {blockSize: [8, 4]})).toThrow(
        /Layer 'small': blockSize \[8, 4\].*makes 1 block, too few to prune any at sparsity 0.5; use a smaller block/);
    // Three blocks of [3, 4]: 0.1 of 3 rounds to none.
    expect(() => sparsity.pruneLowMagnitude(model(), {blockSize: [3, 4], pruningSchedule: at(0.1)}))
        .toThrow(/makes 3 blocks, too few to prune any at sparsity 0.1/);
    expect(() => sparsity.pruneLowMagnitude(model(), {blockSize: [3, 4], pruningSchedule: new sparsity.PolynomialDecay(
        {initialSparsity: 0, finalSparsity: 0.1, beginStep: 0, endStep: 10})})).toThrow(/at sparsity 0.1/);
    // A layer wrapped on its own is checked when it is built.
    const layer = sparsity.pruneLowMagnitude(tfl.layers.dense({units: 4, name: 'alone'}), {blockSize: [8, 4]});
    expect(() => tfl.sequential({layers: [tfl.layers.inputLayer({inputShape: [8]}), layer]}))
        .toThrow(/Layer 'alone': blockSize \[8, 4\]/);
    // Blocks that can reach the target are fine.
    expect(() => sparsity.pruneLowMagnitude(model(), {blockSize: [4, 4]})).not.toThrow();
    expect(() => sparsity.pruneLowMagnitude(model(), {blockSize: [3, 4], pruningSchedule: at(0.4)})).not.toThrow();
  });

  it('params are checked for models as well', () => {
    expect(() => sparsity.pruneLowMagnitude(mixedModel(), {scope: 'all' as 'layer'})).toThrow(/scope must be one of/);
  });

  it('rejects values that are not layers or models', () => {
    expect(() => sparsity.pruneLowMagnitude(42 as unknown as tfl.layers.Layer)).toThrow(
        /expects a layer, an array of layers or a LayersModel; received number 42/);
    expect(() => sparsity.pruneLowMagnitude(null as unknown as tfl.layers.Layer)).toThrow(/received null/);
  });

  it('a layer with weights the library does not know (Conv3D) in a model: NotSupportedError naming it', () => {
    const model = tfl.sequential({layers: [
      tfl.layers.conv3d({inputShape: [2, 2, 2, 1], filters: 2, kernelSize: 1, name: 'conv3d'}),
      tfl.layers.flatten(),
      tfl.layers.dense({units: 2}),
    ]});
    expect(() => sparsity.pruneLowMagnitude(model)).toThrow(tfmot.NotSupportedError);
    expect(() => sparsity.pruneLowMagnitude(model)).toThrow(
        /Layer 'conv3d' of class Conv3D is not supported by pruneLowMagnitude \(prunable: Bidirectional, Conv1D, Conv2D, Conv2DTranspose, Dense, Embedding, GRU, LSTM, SeparableConv2D, SimpleRNN\)/);
  });

  it('a PReLU in a model is left float, as TFMOT leaves it', () => {
    const model = tfl.sequential({layers: [
      tfl.layers.prelu({inputShape: [3], name: 'prelu'}),
      tfl.layers.dense({units: 2}),
    ]});
    const pruned = sparsity.pruneLowMagnitude(model);
    expect(pruned.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'PReLU', 'PruneLowMagnitude']);
    pruned.dispose();
  });

  it('a PReLU layer on its own: NotSupportedError, no prunable weights', () => {
    const prelu = tfl.layers.prelu({name: 'prelu'});
    expect(() => sparsity.pruneLowMagnitude(prelu)).toThrow(/Layer 'prelu' \(PReLU\) has no prunable weights/);
  });

  it('a custom layer class with weights that is not registered: NotSupportedError', () => {
    const model = tfl.sequential({layers: [new Scale({inputShape: [4], name: 'scale'}), tfl.layers.dense({units: 2})]});
    expect(() => sparsity.pruneLowMagnitude(model)).toThrow(
        /Layer 'scale' of class TestScale is not supported .*getPrunableWeights\(\)/);
  });

  it('training without UpdatePruningStep throws, naming the callback', async () => {
    const model = mlp({});
    compileAdam(model);
    await expect(model.fit(data.xs, data.ys, {epochs: 1, batchSize: 32, verbose: 0})).rejects.toThrow(
        /UpdatePruningStep callback.*\(layer 'prune_low_magnitude_d1'\)/);
    await expect(model.trainOnBatch(data.xs, data.ys)).rejects.toThrow(/UpdatePruningStep/);
    // Inference needs no callback.
    expect(() => tf.dispose(model.predict(data.xs) as tf.Tensor)).not.toThrow();
  });
});

/** A weighted layer unknown to the registry (y = x * scale). */
class Scale extends tfl.layers.Layer {
  static className = 'TestScale';
  scale?: tfl.LayerVariable;

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = inputShape as tfl.Shape;
    this.scale = this.addWeight('scale', [shape[shape.length - 1]!], 'float32', tfl.initializers.ones());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, this.scale!.read()));
  }
}
tf.serialization.registerClass(Scale);

/** A user layer that opts in to pruning through the PrunableLayer interface. */
class MyDense extends tfl.layers.Layer implements tfmot.sparsity.PrunableLayer {
  static className = 'TestMyDense';
  readonly units: number;
  kernel?: tfl.LayerVariable;

  constructor(args: {units: number, inputShape?: number[], name?: string}) {
    super(args);
    this.units = args.units;
  }

  getPrunableWeights(): tfmot.sparsity.PrunableWeight[] {
    return [{attr: 'kernel', outputAxis: 1, inputAxis: 0}];
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = inputShape as tfl.Shape;
    this.kernel = this.addWeight('kernel', [shape[shape.length - 1]!, this.units], 'float32', seeded(11));
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return [...(inputShape as tfl.Shape).slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.matMul(Array.isArray(inputs) ? inputs[0] : inputs, this.kernel!.read()));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {...super.getConfig(), units: this.units};
  }
}
tf.serialization.registerClass(MyDense);

describe('the PrunableLayer interface', () => {
  it('a custom layer implementing getPrunableWeights() is wrapped and pruned', async () => {
    const model = sparsity.pruneLowMagnitude(tfl.sequential({layers: [
      new MyDense({inputShape: [16], units: 12, name: 'mine'}),
      tfl.layers.dense({units: 4, activation: 'softmax', kernelInitializer: seeded(12)}),
    ]}), {pruningSchedule: constant(0.6)});
    expect(wrappersOf(model).map((w) => w.name)[0]).toBe('prune_low_magnitude_mine');
    compileAdam(model);
    await fitPruned(model, data.xs, data.ys, {epochs: 1, batchSize: 32});
    const report = sparsity.getSparsity(model);
    expect(report.layers[0]).toMatchObject({layer: 'prune_low_magnitude_mine', weight: 'kernel', total: 192});
    expect(report.layers[0].sparsity).toBeCloseTo(0.6, 2);
  });
});

describe('training with UpdatePruningStep', () => {
  it('pruned weights stay exactly zero under Adam after every batch and epoch; masks change only on schedule steps', async () => {
    const schedule = new sparsity.PolynomialDecay(
        {initialSparsity: 0.2, finalSparsity: 0.8, beginStep: 0, endStep: 20, frequency: 4});
    const model = mlp({pruningSchedule: schedule});
    compileAdam(model, 0.05);
    const wrappers = wrappersOf(model);
    let previous: Float32Array[] | null = null;
    const changes: number[][] = wrappers.map(() => []);
    let batches = 0;
    let epochs = 0;
    const expectZerosWhereMasked = () => {
      for (const w of wrappers) {
        const {kernel, mask} = kernelAndMask(w);
        const revived = kernel.filter((v, i) => mask[i] === 0 && v !== 0).length;
        expect(revived, w.name).toBe(0);
      }
    };
    await fitPruned(model, data.xs, data.ys, {epochs: 4, batchSize: 8, extra: {
      onBatchEnd: async () => {
        expectZerosWhereMasked();
        const step = wrappers[0].pruningStep!.read().dataSync()[0];
        expect(step).toBe(batches++);
        const masks = wrappers.map((w) => kernelAndMask(w).mask);
        masks.forEach((mask, i) => {
          const before = previous?.[i] ?? new Float32Array(mask.length).fill(1);
          if (mask.some((v, j) => v !== before[j])) {
            changes[i].push(step);
          }
        });
        previous = masks;
      },
      onEpochEnd: async () => {
        expectZerosWhereMasked();
        epochs++;
      },
    }});
    expect(batches).toBe(32);
    expect(epochs).toBe(4);
    const scheduleSteps = [0, 4, 8, 12, 16, 20];
    // The big layer's kept count changes at every schedule step.
    expect(changes[0]).toEqual(scheduleSteps);
    for (const steps of changes) {
      expect(steps.every((s) => scheduleSteps.includes(s)), `changes at ${steps}`).toBe(true);
    }
    // And the final sparsity is the schedule's.
    const report = sparsity.getSparsity(model);
    expect(report.layers[0].sparsity).toBe(1 - Math.round(512 * 0.2) / 512);
    // Training moved the kept weights: the mask did not freeze the model.
    expect(report.layers[0].zeros).toBeLessThan(512);
  });

  it('a second fit continues from the stored step', async () => {
    const model = mlp({pruningSchedule: new sparsity.PolynomialDecay(
        {initialSparsity: 0.1, finalSparsity: 0.5, beginStep: 0, endStep: 8, frequency: 1})});
    compileAdam(model);
    await fitPruned(model, data.xs, data.ys, {epochs: 1, batchSize: 16});
    const step = (m: tfl.LayersModel) => wrappersOf(m)[0].pruningStep!.read().dataSync()[0];
    expect(step(model)).toBe(3);
    await fitPruned(model, data.xs, data.ys, {epochs: 2, batchSize: 16});
    expect(step(model)).toBe(11);
    expect(sparsity.getSparsity(model).layers[0].sparsity).toBe(0.5);
  });

  it('sparsityMByN [2, 4] through the wrapper: Dense and Conv2D kernels hold 2 of every 4 inputs', async () => {
    const model = tfl.sequential({layers: [
      sparsity.pruneLowMagnitude(tfl.layers.conv2d({inputShape: [4, 4, 8], filters: 4, kernelSize: 2,
        kernelInitializer: seeded(13)}), {sparsityMByN: [2, 4]}),
      tfl.layers.flatten(),
      sparsity.pruneLowMagnitude(tfl.layers.dense({units: 4, activation: 'softmax', kernelInitializer: seeded(14)}),
          {sparsityMByN: [2, 4]}),
    ]});
    compileAdam(model);
    const xs = tf.randomUniform([32, 4, 4, 8], -1, 1, 'float32', 15);
    await fitPruned(model, xs, tf.slice(data.ys, 0, 32), {epochs: 2, batchSize: 8});
    for (const w of wrappersOf(model)) {
      const {kernel, shape} = kernelAndMask(w);
      const axis = w.weightSpecs[0].inputAxis;
      const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      for (let i = 0; i < kernel.length; i++) {
        if (Math.floor(i / stride) % shape[axis] % 4 === 0) {
          const nonZeros = [0, 1, 2, 3].filter((j) => kernel[i + j * stride] !== 0).length;
          expect(nonZeros, `${w.name} group at ${i}`).toBe(2);
        }
      }
    }
    xs.dispose();
  });

  it('sparsityMByN [1, 4] (m zeros, as TFMOT) keeps 3 of every 4 inputs: Dense kernel 75% non-zero after fit', async () => {
    const model = tfl.sequential({layers: [sparsity.pruneLowMagnitude(tfl.layers.dense({inputShape: [16], units: 4,
      activation: 'softmax', kernelInitializer: seeded(21)}), {sparsityMByN: [1, 4]})]});
    compileAdam(model);
    await fitPruned(model, data.xs, data.ys, {epochs: 1, batchSize: 16});
    const {kernel} = kernelAndMask(wrappersOf(model)[0]);
    expect(kernel.filter((v) => v !== 0).length / kernel.length).toBe(0.75);
    expect(sparsity.getSparsity(sparsity.stripPruning(model)).layers[0].sparsity).toBe(0.25);
  });

  it('sparsityMByN [2, 4] on inputs not a multiple of 4: the short last group is padded with zeros (TFMOT)', async () => {
    // Dense 3 -> 2: each output's 3 inputs form one short group, which keeps
    // its 2 largest; Conv2D with 6 input channels: groups of 4 and 2.
    const dense = sparsity.pruneLowMagnitude(tfl.layers.dense({units: 2, useBias: false, name: 'odd'}),
        {sparsityMByN: [2, 4]});
    const conv = sparsity.pruneLowMagnitude(tfl.layers.conv2d({filters: 4, kernelSize: 1, name: 'odd_conv'}),
        {sparsityMByN: [2, 4]});
    const input = tfl.input({shape: [1, 1, 6]});
    const flat = tfl.layers.flatten().apply(conv.apply(input)) as tfl.SymbolicTensor;
    const model = tfl.model({inputs: input, outputs: dense.apply(
        tfl.layers.dense({units: 3, name: 'to3'}).apply(flat)) as tfl.SymbolicTensor});
    tf.tidy(() => dense.layer.setWeights([tf.tensor2d([[0.5, -0.1], [-0.2, 0.3], [0.4, 0.9]])]));
    model.compile({optimizer: tf.train.sgd(0), loss: 'meanSquaredError'});
    const xs = tf.ones([1, 1, 1, 6]);
    const ys = tf.zeros([1, 2]);
    await model.fit(xs, ys, {epochs: 1, verbose: 0, callbacks: [new sparsity.UpdatePruningStep()]});
    expect(Array.from(kernelAndMask(dense).mask)).toEqual([1, 0, 0, 1, 1, 1]);
    // 6 channels per filter: 2 of the first 4 and both of the last 2.
    expect(Array.from(kernelAndMask(conv).mask).reduce((a, b) => a + b, 0)).toBe(4 * (2 + 2));
    tf.dispose([xs, ys]);
  });
});

describe("scope 'global'", () => {
  it('ConstantSparsity(0.7): overall sparsity is 0.7, per-layer sparsities differ', async () => {
    // d1's weights are 4x larger than d2's, so one threshold prunes d2 more.
    const model = mlp({scope: 'global', pruningSchedule: constant(0.7)}, [1, 0.25]);
    compileAdam(model, 0.001);
    await fitPruned(model, data.xs, data.ys, {epochs: 1, batchSize: 16});
    const report = sparsity.getSparsity(model);
    const total = 16 * 32 + 32 * 4;
    expect(report.layers.map((l) => l.total)).toEqual([512, 128]);
    expect(Math.abs(report.overall - 0.7)).toBeLessThanOrEqual(1 / total);
    const [d1, d2] = report.layers.map((l) => l.sparsity);
    expect(d2 - d1).toBeGreaterThan(0.15);
  });

  it('layer scope on the same model prunes each layer to 0.7', async () => {
    const model = mlp({pruningSchedule: constant(0.7)}, [1, 0.25]);
    compileAdam(model, 0.001);
    await fitPruned(model, data.xs, data.ys, {epochs: 1, batchSize: 16});
    const report = sparsity.getSparsity(model);
    expect(report.layers.map((l) => l.sparsity)).toEqual([1 - Math.round(512 * 0.3) / 512, 1 - Math.round(128 * 0.3) / 128]);
  });

  it('global wrappers with different schedules are rejected when training starts', async () => {
    const layers = [
      sparsity.pruneLowMagnitude(tfl.layers.dense({inputShape: [16], units: 8}), {scope: 'global', pruningSchedule: constant(0.5)}),
      sparsity.pruneLowMagnitude(tfl.layers.dense({units: 4}), {scope: 'global', pruningSchedule: constant(0.6)}),
    ];
    const model = tfl.sequential({layers});
    compileAdam(model);
    await expect(fitPruned(model, data.xs, data.ys, {epochs: 1, batchSize: 32})).rejects.toThrow(
        /scope 'global' must share one pruning schedule/);
  });
});
