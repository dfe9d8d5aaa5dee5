/**
 * model.json + weights files as the tensorflowjs converter writes them from
 * Keras 2 (tf.keras 2.15): `modelTopology` is Keras' own `model.to_json()`
 * (class_name/config, snake_case keys, `axis: [3]` for BatchNormalization,
 * `L1`/`L2` regularizer classes, initializers with module/registered_name),
 * weights named `layer/weight` in one shard. Built here by hand, seeded.
 */
import {mkdir, writeFile} from 'node:fs/promises';
import {join} from 'node:path';

type Json = Record<string, unknown>;

/** Keras' serialized form of a Keras object (2.13+ adds module and registered_name). */
function keras(className: string, config: Json, module = 'keras.initializers'): Json {
  return {module, class_name: className, config, registered_name: null};
}

const glorot = () => keras('GlorotUniform', {seed: null});
const zeros = () => keras('Zeros', {});
const ones = () => keras('Ones', {});

/** `kernel_regularizer` as Keras writes L1(...) / L2(...). */
export const l1 = (factor: number) => keras('L1', {l1: factor}, 'keras.regularizers');
export const l2 = (factor: number) => keras('L2', {l2: factor}, 'keras.regularizers');

/** One layer of a Functional model: its call inputs are [layer, node, tensor, kwargs]. */
function layer(className: string, name: string, config: Json, inputs: string[] = []): Json {
  return {
    module: 'keras.layers', class_name: className, registered_name: null,
    config: {name, trainable: true, dtype: 'float32', ...config}, name,
    inbound_nodes: inputs.length === 0 ? [] : [inputs.map((i) => [i, 0, 0, {}])],
  };
}

export function inputLayer(name: string, shape: number[]): Json {
  return {class_name: 'InputLayer', name, inbound_nodes: [],
    config: {batch_input_shape: [null, ...shape], dtype: 'float32', sparse: false, ragged: false, name}};
}

export function conv2d(name: string, filters: number, regularizer: Json|null, extra: Json = {},
    inputs?: string[]): Json {
  return layer('Conv2D', name, {
    filters, kernel_size: [3, 3], strides: [1, 1], padding: 'same', data_format: 'channels_last',
    dilation_rate: [1, 1], groups: 1, activation: 'linear', use_bias: true,
    kernel_initializer: glorot(), bias_initializer: zeros(), kernel_regularizer: regularizer,
    bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
    ...extra,
  }, inputs);
}

/** BatchNormalization with `axis` as written: Keras 2 saves a list (`[3]`), Keras 3 a number. */
export function batchNorm(name: string, axis: unknown, inputs?: string[]): Json {
  return layer('BatchNormalization', name, {
    axis, momentum: 0.99, epsilon: 0.001, center: true, scale: true,
    beta_initializer: zeros(), gamma_initializer: ones(), moving_mean_initializer: zeros(),
    moving_variance_initializer: ones(), beta_regularizer: null, gamma_regularizer: null,
    beta_constraint: null, gamma_constraint: null,
  }, inputs);
}

export function dense(name: string, units: number, activation: string, regularizer: Json|null,
    inputs?: string[]): Json {
  return layer('Dense', name, {
    units, activation, use_bias: true, kernel_initializer: glorot(), bias_initializer: zeros(),
    kernel_regularizer: regularizer, bias_regularizer: null, activity_regularizer: null,
    kernel_constraint: null, bias_constraint: null,
  }, inputs);
}

export const relu = (name: string, maxValue: number|null, inputs?: string[]) =>
  layer('ReLU', name, {max_value: maxValue, negative_slope: 0.0, threshold: 0.0}, inputs);
export const activation = (name: string, fn: string, inputs?: string[]) =>
  layer('Activation', name, {activation: fn}, inputs);
export const add = (name: string, inputs: string[]) => layer('Add', name, {}, inputs);
export const concatenate = (name: string, axis: unknown, inputs: string[]) =>
  layer('Concatenate', name, {axis}, inputs);
export const softmax = (name: string, axis: unknown, inputs?: string[]) =>
  layer('Softmax', name, {axis}, inputs);
export const gap2d = (name: string, inputs?: string[]) =>
  layer('GlobalAveragePooling2D', name, {data_format: 'channels_last', keepdims: false}, inputs);
export const maxPool2d = (name: string, inputs?: string[]) => layer('MaxPooling2D', name,
    {pool_size: [2, 2], padding: 'valid', strides: [2, 2], data_format: 'channels_last'}, inputs);
export const flatten = (name: string, inputs?: string[]) =>
  layer('Flatten', name, {data_format: 'channels_last'}, inputs);
export const dropout = (name: string, rate: number, inputs?: string[]) =>
  layer('Dropout', name, {rate, noise_shape: null, seed: null}, inputs);

/** Keras' Functional topology: layers with inbound nodes, one input and one output. */
export function functional(name: string, layers: Json[], input: string, output: string): Json {
  return {class_name: 'Functional', config: {name, trainable: true, layers,
    input_layers: [[input, 0, 0]], output_layers: [[output, 0, 0]]},
  keras_version: '2.15.0', backend: 'tensorflow'};
}

/** Keras' Sequential topology: the InputLayer first, no inbound nodes. */
export function sequential(name: string, layers: Json[]): Json {
  const plain = layers.map(({class_name: c, config, module, registered_name: r}) =>
    ({module, class_name: c, config, registered_name: r}));
  return {class_name: 'Sequential', config: {name, layers: plain}, keras_version: '2.15.0', backend: 'tensorflow'};
}

/** The weights each layer class stores, in Keras' order, with their shapes. */
function weightsOf(l: Json, channelsIn: number): Array<{name: string, shape: number[], kind: string}> {
  const config = l['config'] as Json;
  const name = config['name'] as string;
  switch (l['class_name']) {
    case 'Conv2D':
      return [{name: `${name}/kernel`, shape: [3, 3, channelsIn, config['filters'] as number], kind: 'kernel'},
        {name: `${name}/bias`, shape: [config['filters'] as number], kind: 'bias'}];
    case 'Dense':
      return [{name: `${name}/kernel`, shape: [channelsIn, config['units'] as number], kind: 'kernel'},
        {name: `${name}/bias`, shape: [config['units'] as number], kind: 'bias'}];
    case 'BatchNormalization':
      return ['gamma', 'beta', 'moving_mean', 'moving_variance'].map(
          (w) => ({name: `${name}/${w}`, shape: [channelsIn], kind: w}));
    default:
      return [];
  }
}

/** Deterministic values in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values a trained layer might hold: glorot-scale kernels, biases around 0, BN statistics. */
function values(kind: string, shape: number[], next: () => number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const fanIn = shape.length > 1 ? shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
  const uniform = (lo: number, hi: number) => Float32Array.from({length: n}, () => lo + (hi - lo) * next());
  switch (kind) {
    case 'kernel': {
      const limit = Math.sqrt(6 / (fanIn + shape[shape.length - 1]));
      return uniform(-limit, limit);
    }
    case 'gamma': return uniform(0.6, 1.4);
    case 'moving_mean': return uniform(-0.3, 0.3);
    case 'moving_variance': return uniform(0.2, 1.2);
    default: return uniform(-0.2, 0.2);
  }
}

/**
 * Writes `dir/model.json` and `dir/group1-shard1of1.bin` as the converter
 * does. `channelsIn` gives each weighted layer's input channels (or units).
 */
export async function writeConvertedModel(dir: string, topology: Json, channelsIn: Record<string, number>,
    seed: number): Promise<void> {
  const layers = (topology['config'] as Json)['layers'] as Json[];
  const next = random(seed);
  const specs: Array<{name: string, shape: number[], dtype: 'float32'}> = [];
  const chunks: Float32Array[] = [];
  for (const l of layers) {
    const name = (l['config'] as Json)['name'] as string;
    for (const w of weightsOf(l, channelsIn[name] ?? 0)) {
      specs.push({name: w.name, shape: w.shape, dtype: 'float32'});
      chunks.push(values(w.kind, w.shape, next));
    }
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const data = new Float32Array(total);
  chunks.reduce((offset, c) => (data.set(c, offset), offset + c.length), 0);
  await mkdir(dir, {recursive: true});
  await writeFile(join(dir, 'group1-shard1of1.bin'), new Uint8Array(data.buffer));
  await writeFile(join(dir, 'model.json'), JSON.stringify({
    format: 'layers-model',
    generatedBy: 'keras v2.15.0',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: topology,
    weightsManifest: [{paths: ['group1-shard1of1.bin'], weights: specs}],
  }));
}
