/**
 * Embedding (int32 token input), LayerNormalization and the recurrent
 * layers (unrolled) in every export mode, run by LiteRT and compared with
 * tfjs; pruning of LSTM kernels; and the early errors.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {runLiteRt} from '../helpers/tflite_eval.js';
import {converterFor, integerSlack, Mode} from './export_modes.js';
import {SEQUENCE_MODELS, sequences, STEPS, textClassifier, tokens} from './text_and_recurrent_models.js';

/** Allowed error as a fraction of the largest reference output: layers_export.test.ts's. */
const TOLERANCE: Record<Mode, number> = {
  float32: 1e-5, float16: 3e-3, dynamic: 0.03, int8: 0.06, int16x8: 0.01, qat: 0.03,
};

/**
 * 16x8 of the composed layers is held to int8's bound: LayerNormalization
 * (RSQRT of a requantized variance) and the unrolled recurrences chain many
 * requantized int16 ops, and LiteRT's int16 kernels land at 1-2% here
 * (not better than int8 for these two; see the logged numbers).
 */
const COMPOSED_INT16X8 = ['Dense (3-D), LayerNormalization', 'SimpleRNN (last output)'];

/** Worst error of the file's LiteRT outputs against `source` on `probe`, beyond the integer output step. */
async function disagreement(bytes: Uint8Array, source: tfl.LayersModel, probe: tf.Tensor): Promise<number> {
  const lite = await runLiteRt(bytes, probe);
  const ref = tf.tidy(() => (source.predict(probe) as tf.Tensor).dataSync() as Float32Array);
  expect(lite.length).toBe(ref.length);
  const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
  const step = integerSlack(bytes);
  return lite.reduce((m, v, i) => Math.max(m, Math.max(0, Math.abs(v - ref[i]) - step)), 0) / scale;
}

const POST_TRAINING: Mode[] = ['float32', 'float16', 'dynamic', 'int8', 'int16x8'];

beforeAll(async () => {
  await tfmot.backend.init();
});

describe('Embedding text classifier (int32 token ids)', () => {
  let ids: tf.Tensor;
  let probe: tf.Tensor;

  beforeAll(() => {
    ids = tokens(48, 1);
    probe = tf.slice(ids, 0, 12);
  });
  afterAll(() => tf.dispose([ids, probe]));

  it('agrees with tfjs in every mode, the ids int32 in every file', async () => {
    const model = textClassifier();
    const report: string[] = [];
    for (const mode of POST_TRAINING) {
      const bytes = await converterFor(model, mode, ids).convert();
      const {tensors, operators} = tfmot.tflite.inspect(bytes);
      const gather = operators.find((op) => op.opName === 'GATHER')!;
      expect(tensors[gather.inputs[1]].type, mode).toBe('INT32');
      // Full integer: the table is stored in the activation type and GATHER keeps its parameters.
      const table = tensors[gather.inputs[0]];
      const expected = {float32: 'FLOAT32', float16: 'FLOAT32', dynamic: 'FLOAT32', int8: 'INT8', int16x8: 'INT16'};
      expect(table.type, mode).toBe(expected[mode as keyof typeof expected]);
      if (mode === 'int8') {
        expect(tensors[gather.outputs[0]].quantization).toEqual(table.quantization);
      }
      const worst = await disagreement(bytes, model, probe);
      report.push(`${mode} ${worst.toExponential(2)}`);
      expect(worst, mode).toBeLessThanOrEqual(TOLERANCE[mode]);
    }
    console.log(`Embedding: ${report.join(', ')}`);
  });

  it('QAT: the table fake-quantized (no output quantizer), no QuantizeLayer on the ids; int8 agrees', async () => {
    const model = textClassifier();
    const qat = tfmot.quantization.quantizeModel(model);
    expect(qat.layers.some((l) => l.getClassName() === 'QuantizeLayer')).toBe(false);
    qat.compile({optimizer: tf.train.sgd(0), loss: 'meanSquaredError'});
    const targets = model.predict(ids) as tf.Tensor;
    await qat.fit(ids, targets, {epochs: 10, batchSize: 16, verbose: 0});
    targets.dispose();
    const bytes = await converterFor(qat, 'qat', ids).convert();
    const {tensors, operators} = tfmot.tflite.inspect(bytes);
    const gather = operators.find((op) => op.opName === 'GATHER')!;
    expect(tensors[gather.inputs[0]].type).toBe('INT8');
    expect(tensors[gather.inputs[1]].type).toBe('INT32');
    const worst = await disagreement(bytes, qat, probe);
    console.log(`Embedding QAT: ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(TOLERANCE.qat);
  });

  it('prunes the embeddings and converts the pruned model', async () => {
    const pruned = tfmot.sparsity.pruneLowMagnitude(textClassifier(), {
      pruningSchedule: new tfmot.sparsity.ConstantSparsity({targetSparsity: 0.5, beginStep: 0, frequency: 1})});
    pruned.compile({optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError'});
    const ys = tf.oneHot(tf.zeros([ids.shape[0]], 'int32'), 4);
    await pruned.fit(ids, ys, {epochs: 1, batchSize: 16, verbose: 0,
      callbacks: [new tfmot.sparsity.UpdatePruningStep()]});
    ys.dispose();
    const stripped = tfmot.sparsity.stripPruning(pruned);
    const sparsity = tfmot.sparsity.getSparsity(stripped).layers.find((l) => l.weight === 'embeddings')!;
    expect(sparsity.sparsity).toBeCloseTo(0.5, 1);
    const worst = await disagreement(await converterFor(stripped, 'float32', ids).convert(), stripped, probe);
    expect(worst).toBeLessThanOrEqual(TOLERANCE.float32);
  });
});

describe('LayerNormalization and recurrent layers in every post-training mode', () => {
  for (const [name, {features, build}] of Object.entries(SEQUENCE_MODELS)) {
    it(name, async () => {
      const model = build();
      const xs = sequences(32, 7, features);
      const probe = tf.slice(xs, 0, 8);
      const report: string[] = [];
      for (const mode of POST_TRAINING) {
        const bytes = await converterFor(model, mode, xs).convert();
        const worst = await disagreement(bytes, model, probe);
        report.push(`${mode} ${worst.toExponential(2)}`);
        const bound = mode === 'int16x8' && COMPOSED_INT16X8.includes(name) ? TOLERANCE.int8 : TOLERANCE[mode];
        expect(worst, `${name}: ${mode}`).toBeLessThanOrEqual(bound);
      }
      console.log(`${name}: ${report.join(', ')}`);
      tf.dispose([xs, probe]);
    });
  }

  it('dynamic range stores the 32x32 LSTM gate kernels int8 (hybrid FULLY_CONNECTED)', async () => {
    const {build, features} = SEQUENCE_MODELS['LSTM (hardSigmoid, last output), Dense'];
    const bytes = await converterFor(build(), 'dynamic', sequences(1, 1, features)).convert();
    const {tensors, operators} = tfmot.tflite.inspect(bytes);
    const fcs = operators.filter((op) => op.opName === 'FULLY_CONNECTED' && tensors[op.inputs[0]].type === 'FLOAT32');
    const hybrid = fcs.filter((op) => tensors[op.inputs[1]].type === 'INT8');
    // Every gate FC but the small final Dense.
    expect(hybrid.length).toBe(fcs.length - 1);
  });
});

describe('pruning LSTM kernels', () => {
  it('prunes kernel and recurrent kernel as TFMOT prunes RNN cells; strip and convert agree', async () => {
    const model = tfl.sequential({layers: [
      tfl.layers.lstm({units: 8, inputShape: [STEPS, 4], kernelInitializer: tfl.initializers.glorotUniform({seed: 1}),
        recurrentInitializer: tfl.initializers.glorotUniform({seed: 2}), name: 'lstm'}),
      tfl.layers.dense({units: 2, kernelInitializer: tfl.initializers.glorotUniform({seed: 3})}),
    ]});
    const pruned = tfmot.sparsity.pruneLowMagnitude(model, {
      pruningSchedule: new tfmot.sparsity.ConstantSparsity({targetSparsity: 0.75, beginStep: 0, frequency: 1})});
    const xs = sequences(16, 3);
    const ys = tf.randomNormal([16, 2], 0, 1, 'float32', 4);
    pruned.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
    await pruned.fit(xs, ys, {epochs: 2, batchSize: 8, verbose: 0,
      callbacks: [new tfmot.sparsity.UpdatePruningStep()]});
    const stripped = tfmot.sparsity.stripPruning(pruned);
    const lstm = tfmot.sparsity.getSparsity(stripped).layers.filter((l) => l.layer === 'lstm');
    expect(lstm.map((l) => l.weight)).toEqual(['cell.kernel', 'cell.recurrentKernel']);
    for (const weight of lstm) {
      expect(weight.sparsity).toBe(0.75);
    }
    expect(stripped.layers.some((l) => l.getClassName() === 'PruneLowMagnitude')).toBe(false);
    const probe = tf.slice(xs, 0, 4);
    // The wrapped model converts with its masked weights too: the same file as the stripped one's.
    for (const source of [pruned, stripped]) {
      const bytes = await converterFor(source, 'float32', xs).convert();
      expect(await disagreement(bytes, stripped, probe)).toBeLessThanOrEqual(TOLERANCE.float32);
    }
    tf.dispose([xs, ys, probe]);
  });
});

describe('early errors', () => {
  it('QAT rejects recurrent layers and LayerNormalization, naming the layer and the modes that work', () => {
    for (const {build} of [SEQUENCE_MODELS['SimpleRNN (last output)'], SEQUENCE_MODELS['Dense (3-D), LayerNormalization']]) {
      const model = build();
      const layer = model.layers[model.layers.length - 1];
      expect(() => tfmot.quantization.quantizeModel(model)).toThrow(new RegExp(
          `Layer '${layer.name}' of class ${layer.getClassName()} is not supported by the default 8-bit[^]*` +
          'float32, float16 and dynamic range, and in int8 and 16x8 from a representativeDataset'));
    }
  });

  it('an Embedding fed float32 ids names the layer and the int32 input it needs', async () => {
    const model = tfl.sequential({layers: [tfl.layers.embedding({inputDim: 5, outputDim: 2, inputLength: 3,
      name: 'emb'})]});
    await expect(tfmot.tflite.TFLiteConverter.fromLayersModel(model).convert()).rejects.toThrow(
        /Layer 'emb': Embedding needs int32 indices[^]*dtype: 'int32'/);
  });

  it('an int32 input feeding other layers is rejected', async () => {
    const input = tfl.input({shape: [3], dtype: 'int32'});
    const model = tfl.model({inputs: input, outputs: tfl.layers.dense({units: 2}).apply(input) as tfl.SymbolicTensor});
    await expect(tfmot.tflite.TFLiteConverter.fromLayersModel(model).convert()).rejects.toThrow(
        /dtype int32; the converter needs float32 inputs \(int32 ones feeding only Embedding layers\)/);
  });

  it('maskZero, returnState, stateful and mergeMode null name the layer', async () => {
    const ids = tfl.input({shape: [STEPS], dtype: 'int32'});
    const masked = tfl.model({inputs: ids, outputs: tfl.layers.embedding({inputDim: 5, outputDim: 2, maskZero: true,
      name: 'masked'}).apply(ids) as tfl.SymbolicTensor});
    const seq = tfl.input({shape: [STEPS, 4]});
    const withState = tfl.model({inputs: seq, outputs: (tfl.layers.gru({units: 2, returnState: true, name: 'stateful_gru',
      recurrentInitializer: 'glorotUniform'})
      .apply(seq) as tfl.SymbolicTensor[])[0]});
    // mergeMode null gives two outputs: functional API.
    const bidiOut = tfl.layers.bidirectional({layer: tfl.layers.simpleRNN({units: 2,
      recurrentInitializer: 'glorotUniform'}) as tfl.RNN, mergeMode: null as unknown as 'concat', name: 'bidi'})
        .apply(seq) as tfl.SymbolicTensor[];
    const bidi = tfl.model({inputs: seq, outputs: bidiOut[0]});
    const cases: Array<[tfl.LayersModel, RegExp]> = [
      [masked, /Layer 'masked': Embedding with maskZero is not supported/],
      [withState, /Layer 'stateful_gru' \(GRU\) has returnState true/],
      [bidi, /Layer 'bidi': Bidirectional mergeMode null is not supported; use one of ave, concat, mul, sum/],
    ];
    for (const [model, message] of cases) {
      await expect(tfmot.tflite.TFLiteConverter.fromLayersModel(model).convert()).rejects.toThrow(message);
    }
  });

  it('an LSTM activation without a TFLite form names the layer', async () => {
    const model = tfl.sequential({layers: [tfl.layers.lstm({units: 2, inputShape: [STEPS, 4], activation: 'elu',
      recurrentInitializer: 'glorotUniform', name: 'elu_lstm'})]});
    await expect(tfmot.tflite.TFLiteConverter.fromLayersModel(model).convert()).rejects.toThrow(
        /Layer 'elu_lstm' \(LSTM\) uses activation 'elu'[^]*supported: hardSigmoid, linear, relu, sigmoid, tanh/);
  });
});
