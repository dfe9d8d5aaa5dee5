/**
 * Recurrent layers, unrolled over their (static) timesteps into builtins:
 * per step a SLICE of the input, FULLY_CONNECTED per gate for the input and
 * the recurrent state, ADD/SUB/MUL, and LOGISTIC/TANH (hard sigmoid folded
 * into the gate's weights and a fused RELU6). Every runtime has these ops,
 * unlike the fused sequence-LSTM kernels, and they compute tfjs' formulas
 * exactly (gate order i, f, c, o for LSTM; z, r, h with the reset applied
 * before the recurrent product for GRU, tfjs' only form).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {NotSupportedError} from '../../errors.js';
import type {FusedActivation, IrOpType, IrTensor} from '../ir.js';
import type {LayerKind, LowerContext, WeightSpec} from '../layer_kind.js';
import {computed, weightOf} from '../lowering.js';

type Layer = tfl.layers.Layer;
type Config = tf.serialization.ConfigDict;

/**
 * An activation as a gate computes it: pre-activation scaled and shifted
 * (folded into the gate's weights), a fused clamp, then an op.
 * hardSigmoid(x) = clip(0.2x + 0.5, 0, 1) = relu6(1.2x + 3) / 6.
 */
interface ActivationForm {
  scale: number;
  shift: number;
  fused: FusedActivation;
  after?: 'TANH'|'LOGISTIC'|'SIXTH';
}

const ACTIVATION_FORMS: Record<string, ActivationForm> = {
  linear: {scale: 1, shift: 0, fused: 'NONE'},
  relu: {scale: 1, shift: 0, fused: 'RELU'},
  tanh: {scale: 1, shift: 0, fused: 'NONE', after: 'TANH'},
  sigmoid: {scale: 1, shift: 0, fused: 'NONE', after: 'LOGISTIC'},
  hardSigmoid: {scale: 1.2, shift: 3, fused: 'RELU6', after: 'SIXTH'},
};

/** The form of a cell's activation field ('activation', 'recurrentActivation'). */
function activationForm(layer: Layer, cell: Layer, field: string): ActivationForm {
  const name = (cell as unknown as Record<string, {getClassName(): string}>)[field].getClassName();
  const form = ACTIVATION_FORMS[name];
  if (form == null) {
    throw new NotSupportedError(`Layer '${layer.name}' (${layer.getClassName()}) uses ${field} '${name}', ` +
        `which the TFLite converter does not support in recurrent layers; supported: ` +
        `${Object.keys(ACTIVATION_FORMS).sort().join(', ')}.`);
  }
  return form;
}

/** Gates per cell class, in their kernel's column order. */
const GATE_COUNTS: Record<string, number> = {LSTMCell: 4, GRUCell: 3, SimpleRNNCell: 1};

/** Emits the ops of one RNN (one direction) of a layer. */
class Unroller {
  private readonly scalars = new Map<number, IrTensor>();
  private readonly gateWeights = new Map<number, {w: IrTensor, u: IrTensor, b: IrTensor}>();
  readonly units: number;
  readonly cell: Layer;

  constructor(private readonly ctx: LowerContext, private readonly layer: Layer, rnn: Layer,
      private readonly prefix: string, readonly name: string) {
    this.cell = (rnn as unknown as {cell: Layer}).cell;
    this.units = (this.cell as unknown as {units: number}).units;
  }

  private scalar(value: number): IrTensor {
    let t = this.scalars.get(value);
    if (t == null) {
      t = this.ctx.ir.constant(`${this.name}/const_${this.scalars.size}`, [1], Float32Array.of(value), 'weights');
      this.scalars.set(value, t);
    }
    return t;
  }

  op(type: IrOpType, inputs: Array<IrTensor|null>, shape: number[], label: string,
      options: Record<string, unknown> = {}, activation: FusedActivation = 'NONE'): IrTensor {
    const out = this.ctx.ir.tensor(`${this.name}/${label}`, shape);
    this.ctx.ir.op(type, inputs, [out], this.layer.name, options, activation);
    return out;
  }

  private weight(attr: string): tf.Tensor|null {
    return weightOf(this.ctx, this.layer, `${this.prefix}cell.${attr}`);
  }

  /** Gate g's FC weights [units, in] and [units, units] and bias, scaled and shifted by `form`. */
  private gate(g: number, form: ActivationForm): {w: IrTensor, u: IrTensor, b: IrTensor} {
    let weights = this.gateWeights.get(g);
    if (weights == null) {
      const u = this.units;
      const kernel = this.weight('kernel')!;
      const recurrent = this.weight('recurrentKernel')!;
      const bias = this.weight('bias');
      const columns = (k: tf.Tensor) => tf.mul(tf.transpose(tf.slice(k, [0, g * u], [-1, u])), form.scale);
      const inDim = kernel.shape[0];
      weights = {
        w: this.ctx.ir.constant(`${this.name}/gate${g}/kernel`, [u, inDim], computed(() => columns(kernel)),
            'weights', 0),
        u: this.ctx.ir.constant(`${this.name}/gate${g}/recurrent_kernel`, [u, u],
            computed(() => columns(recurrent)), 'weights', 0),
        b: this.ctx.ir.constant(`${this.name}/gate${g}/bias`, [u], computed(() => bias == null ?
            tf.fill([u], form.shift) : tf.add(tf.mul(tf.slice(bias, [g * u], [u]), form.scale), form.shift)),
        'bias'),
      };
      this.gateWeights.set(g, weights);
    }
    return weights;
  }

  /** Gate g's activation of x W + b (+ state U, when there is a state). */
  gateOutput(g: number, form: ActivationForm, x: IrTensor, state: IrTensor|null, label: string): IrTensor {
    const {w, u, b} = this.gate(g, form);
    const shape = [1, this.units];
    let pre: IrTensor;
    if (state == null) {
      pre = this.op('FULLY_CONNECTED', [x, w, b], shape, `${label}_pre`, {keepNumDims: false}, form.fused);
    } else {
      const fromInput = this.op('FULLY_CONNECTED', [x, w, b], shape, `${label}_x`, {keepNumDims: false});
      const fromState = this.op('FULLY_CONNECTED', [state, u, null], shape, `${label}_h`, {keepNumDims: false});
      pre = this.op('ADD', [fromInput, fromState], shape, `${label}_pre`, {}, form.fused);
    }
    return this.after(pre, form, label);
  }

  /** An activation on a tensor computed elsewhere (LSTM's cell state). */
  activate(x: IrTensor, form: ActivationForm, label: string): IrTensor {
    let y = x;
    if (form.scale !== 1 || form.shift !== 0) {
      y = this.op('MUL', [y, this.scalar(form.scale)], x.shape, `${label}_scaled`);
      y = this.op('ADD', [y, this.scalar(form.shift)], x.shape, `${label}_shifted`, {}, form.fused);
    } else if (form.fused !== 'NONE') {
      y = this.op(form.fused, [y], x.shape, `${label}_${form.fused.toLowerCase()}`);
    }
    return this.after(y, form, label);
  }

  private after(x: IrTensor, form: ActivationForm, label: string): IrTensor {
    switch (form.after) {
      case 'TANH':
      case 'LOGISTIC':
        return this.op(form.after, [x], x.shape, label);
      case 'SIXTH':
        return this.op('MUL', [x, this.scalar(1 / 6)], x.shape, label);
      default:
        return x;
    }
  }

  binary(type: 'ADD'|'SUB'|'MUL', a: IrTensor, b: IrTensor, label: string): IrTensor {
    return this.op(type, [a, b], a.shape, label);
  }
}

/** One step of a cell: the new output (and LSTM's carry). */
type Step = (u: Unroller, x: IrTensor, h: IrTensor|null, c: IrTensor|null, t: number) => [IrTensor, IrTensor|null];

function stepOf(layer: Layer, cell: Layer): Step {
  const act = activationForm(layer, cell, 'activation');
  switch (cell.getClassName()) {
    case 'SimpleRNNCell':
      return (u, x, h, _c, t) => [u.gateOutput(0, act, x, h, `t${t}/h`), null];
    case 'GRUCell': {
      const rec = activationForm(layer, cell, 'recurrentActivation');
      return (u, x, h, _c, t) => {
        const z = u.gateOutput(0, rec, x, h, `t${t}/z`);
        if (h == null) {
          // h0 = 0: h = (1 - z) * hh.
          const hh = u.gateOutput(2, act, x, null, `t${t}/hh`);
          return [u.binary('SUB', hh, u.binary('MUL', z, hh, `t${t}/z_hh`), `t${t}/h`), null];
        }
        const r = u.gateOutput(1, rec, x, h, `t${t}/r`);
        const hh = u.gateOutput(2, act, x, u.binary('MUL', r, h, `t${t}/r_h`), `t${t}/hh`);
        // z * h + (1 - z) * hh = hh + z * (h - hh).
        const delta = u.binary('MUL', z, u.binary('SUB', h, hh, `t${t}/h_hh`), `t${t}/z_delta`);
        return [u.binary('ADD', hh, delta, `t${t}/h`), null];
      };
    }
    case 'LSTMCell': {
      const rec = activationForm(layer, cell, 'recurrentActivation');
      return (u, x, h, c, t) => {
        const i = u.gateOutput(0, rec, x, h, `t${t}/i`);
        const g = u.gateOutput(2, act, x, h, `t${t}/g`);
        const ig = u.binary('MUL', i, g, `t${t}/i_g`);
        let carry = ig;
        if (c != null) {
          const f = u.gateOutput(1, rec, x, h, `t${t}/f`);
          carry = u.binary('ADD', u.binary('MUL', f, c, `t${t}/f_c`), ig, `t${t}/c`);
        }
        const o = u.gateOutput(3, rec, x, h, `t${t}/o`);
        return [u.binary('MUL', o, u.activate(carry, act, `t${t}/c_act`), `t${t}/h`), carry];
      };
    }
    default:
      throw new NotSupportedError(`Layer '${layer.name}' has a ${cell.getClassName()} cell; the converter ` +
          `unrolls ${Object.keys(GATE_COUNTS).sort().join(', ')}.`);
  }
}

/**
 * Runs an RNN (`prefix` reaches its weights from the layer) over x [1, T, in]:
 * the outputs in processing order, which goBackwards reverses.
 */
function unroll(ctx: LowerContext, layer: Layer, rnn: Layer, prefix: string, x: IrTensor): IrTensor[] {
  const config = rnn.getConfig();
  checkRnnConfig(layer, config);
  if (x.shape.length !== 3) {
    throw new NotSupportedError(`Layer '${layer.name}': a recurrent layer needs a [batch, timesteps, features] ` +
        `input; received shape [${x.shape}].`);
  }
  const [, steps, inDim] = x.shape;
  // Tensor names: 'lstm/t3/i', 'bidi/forward/t3/i'.
  const u = new Unroller(ctx, layer, rnn, prefix,
      prefix === '' ? layer.name : `${layer.name}/${prefix.replace('Layer.', '')}`);
  const step = stepOf(layer, u.cell);
  const size = ctx.ir.constant(`${u.name}/step_size`, [3], Int32Array.of(-1, 1, inDim), 'shape');
  const outputs: IrTensor[] = [];
  let h: IrTensor|null = null;
  let c: IrTensor|null = null;
  for (let k = 0; k < steps; k++) {
    const t = config['goBackwards'] === true ? steps - 1 - k : k;
    const begin = ctx.ir.constant(`${u.name}/t${t}/begin`, [3], Int32Array.of(0, t, 0), 'shape');
    const xt = u.op('SLICE', [x, begin, size], [1, 1, inDim], `t${t}/x`);
    [h, c] = step(u, xt, h, c, t);
    outputs.push(h);
  }
  return outputs;
}

function checkRnnConfig(layer: Layer, config: Config): void {
  for (const key of ['returnState', 'stateful']) {
    if (config[key] === true) {
      throw new NotSupportedError(`Layer '${layer.name}' (${layer.getClassName()}) has ${key} true; the ` +
          `converter writes stateless recurrent layers with one output (set ${key} false).`);
    }
  }
}

/** Outputs [1, units] each, stacked to [1, T, units]. */
function stack(u: Unroller, outputs: IrTensor[], label: string): IrTensor {
  const units = outputs[0].shape[1];
  const flat = outputs.length === 1 ? outputs[0] :
    u.op('CONCATENATION', outputs, [1, outputs.length * units], `${label}_concat`, {axis: 1});
  return u.op('RESHAPE', [flat], [1, outputs.length, units], label, {newShape: [1, outputs.length, units]});
}

/** An RNN layer's output: the last step's, or every step's with returnSequences. */
function lowerRnn(ctx: LowerContext, layer: Layer, [x]: IrTensor[]): IrTensor[] {
  const outputs = unroll(ctx, layer, layer, '', x);
  if (layer.getConfig()['returnSequences'] !== true) {
    return [outputs[outputs.length - 1]];
  }
  return [stack(new Unroller(ctx, layer, layer, '', layer.name), outputs, 'out')];
}

/** TFMOT prunes an RNN cell's kernel and recurrent kernel ([in or units, gates * units]). */
const rnnWeights = (prefix: string): WeightSpec[] => [
  {attr: `${prefix}cell.kernel`, outputAxis: 1, inputAxis: 0, prune: true},
  {attr: `${prefix}cell.recurrentKernel`, outputAxis: 1, inputAxis: 0, prune: true},
];

/** TFMOT's default 8-bit registry has its RNN cell entries commented out ("verify RNN layers behavior"). */
const RNN_QAT_NOTE = 'Like TFMOT, QAT leaves recurrent layers out; they convert unrolled in float32, float16 and ' +
    'dynamic range, and in int8 and 16x8 from a representativeDataset (post-training).';

export const SimpleRNN: LayerKind = {weights: rnnWeights(''), lower: lowerRnn, quantizeNote: RNN_QAT_NOTE};
export const GRU: LayerKind = {weights: rnnWeights(''), lower: lowerRnn, quantizeNote: RNN_QAT_NOTE};
export const LSTM: LayerKind = {weights: rnnWeights(''), lower: lowerRnn, quantizeNote: RNN_QAT_NOTE};

const MERGES: Record<string, 'ADD'|'MUL'|'CONCATENATION'> = {concat: 'CONCATENATION', sum: 'ADD', mul: 'MUL',
  ave: 'ADD'};

export const Bidirectional: LayerKind = {
  quantizeNote: RNN_QAT_NOTE,
  weights: [...rnnWeights('forwardLayer.'), ...rnnWeights('backwardLayer.')],
  /**
   * Both directions unrolled; the backward outputs put back in input order
   * (as tfjs reverses them) before the merge.
   */
  lower: (ctx, layer, [x]) => {
    const fields = layer as unknown as {forwardLayer: Layer, backwardLayer: Layer};
    const mode = layer.getConfig()['mergeMode'] as string|null;
    const merge = mode == null ? undefined : MERGES[mode];
    if (merge == null) {
      throw new NotSupportedError(`Layer '${layer.name}': Bidirectional mergeMode ${JSON.stringify(mode)} is ` +
          `not supported; use one of ${Object.keys(MERGES).sort().join(', ')}.`);
    }
    const forward = unroll(ctx, layer, fields.forwardLayer, 'forwardLayer.', x);
    const backward = unroll(ctx, layer, fields.backwardLayer, 'backwardLayer.', x);
    const u = new Unroller(ctx, layer, fields.forwardLayer, '', layer.name);
    let a: IrTensor;
    let b: IrTensor;
    if (fields.forwardLayer.getConfig()['returnSequences'] === true) {
      a = stack(u, forward, 'forward');
      b = stack(u, [...backward].reverse(), 'backward');
    } else {
      a = forward[forward.length - 1];
      b = backward[backward.length - 1];
    }
    const rank = a.shape.length;
    if (merge === 'CONCATENATION') {
      const shape = [...a.shape.slice(0, -1), a.shape[rank - 1] + b.shape[rank - 1]];
      return [u.op('CONCATENATION', [a, b], shape, 'out', {axis: rank - 1})];
    }
    const merged = u.op(merge, [a, b], a.shape, mode === 'ave' ? 'sum' : 'out');
    if (mode !== 'ave') {
      return [merged];
    }
    const half = ctx.ir.constant(`${layer.name}/half`, [1], Float32Array.of(0.5), 'weights');
    return [u.op('MUL', [merged, half], a.shape, 'out')];
  },
};
