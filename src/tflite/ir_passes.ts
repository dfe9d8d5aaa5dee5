/**
 * Graph rewrites on the float IR, done before quantization as TFLite's
 * converter does: a BatchNorm (MUL + ADD by per-channel constants) after a
 * conv/dense is folded into its weights and bias, and ReLU/ReLU6 become the
 * fused activation of the op that produces their input.
 */
import {graphIndex, IrGraph, IrOp, IrTensor} from './ir.js';

const WEIGHTED = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);
const FUSES_ACTIVATION = new Set([...WEIGHTED, 'ADD', 'MUL']);

/** Replaces every use of `from` (op inputs, graph outputs) by `to`. */
function replaceUses(graph: IrGraph, from: IrTensor, to: IrTensor): void {
  for (const op of graph.ops) {
    op.inputs = op.inputs.map((t) => t === from ? to : t);
  }
  graph.outputs = graph.outputs.map((t) => t === from ? to : t);
}

function removeOps(graph: IrGraph, dead: Set<IrOp>): void {
  graph.ops = graph.ops.filter((op) => !dead.has(op));
}

/** The constant operand of a binary op whose other operand is `x`, if any. */
function constantOperand(op: IrOp, x: IrTensor): IrTensor|null {
  const other = op.inputs[0] === x ? op.inputs[1] : op.inputs[1] === x ? op.inputs[0] : null;
  return other?.data != null && other.data instanceof Float32Array ? other : null;
}

/** True if `t` feeds exactly one op and is not a model output. */
function soleUse(graph: IrGraph, consumers: Map<IrTensor, IrOp[]>, t: IrTensor): boolean {
  return (consumers.get(t)?.length ?? 0) === 1 && !graph.outputs.includes(t);
}

/**
 * Folds `op -> MUL(s) -> ADD(b)` (a lowered BatchNorm, per-channel constants)
 * into op's weights (w * s along the output channel) and bias (bias * s + b).
 */
export function foldBatchNorms(graph: IrGraph): void {
  const dead = new Set<IrOp>();
  const {producer, consumers} = graphIndex(graph);
  for (const mul of graph.ops) {
    if (mul.type !== 'MUL' || dead.has(mul)) {
      continue;
    }
    const x = mul.inputs.find((t) => t != null && WEIGHTED.has(producer.get(t)?.type ?? ''));
    const op = x != null ? producer.get(x) : undefined;
    if (x == null || op == null || op.activation !== 'NONE' || !soleUse(graph, consumers, x)) {
      continue;
    }
    const scale = constantOperand(mul, x);
    const scaled = mul.outputs[0];
    const add = consumers.get(scaled)?.[0];
    const shift = add?.type === 'ADD' ? constantOperand(add, scaled) : null;
    const channels = x.shape[x.shape.length - 1];
    if (scale == null || add == null || shift == null || !soleUse(graph, consumers, scaled) ||
        scale.data!.length !== channels || shift.data!.length !== channels) {
      continue;
    }
    const weights = op.inputs[1]!;
    const bias = op.inputs[2]!;
    const w = weights.data as Float32Array;
    const s = scale.data as Float32Array;
    const axis = weights.channelAxis ?? 0;
    const stride = weights.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const folded = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++) {
      folded[i] = w[i] * s[Math.floor(i / stride) % channels];
    }
    weights.data = folded;
    const b = bias.data as Float32Array;
    bias.data = Float32Array.from(b, (v, c) => v * s[c] + (shift.data as Float32Array)[c]);
    const out = add.outputs[0];
    op.outputs = [out];
    // The folded op now produces what the ADD did; keep that tensor's range.
    dead.add(mul);
    dead.add(add);
  }
  removeOps(graph, dead);
}

/** Fuses standalone RELU/RELU6 ops into the op producing their input. */
export function fuseActivations(graph: IrGraph): void {
  const dead = new Set<IrOp>();
  const {producer, consumers} = graphIndex(graph);
  for (const act of graph.ops) {
    if (act.type !== 'RELU' && act.type !== 'RELU6') {
      continue;
    }
    const x = act.inputs[0]!;
    const op = producer.get(x);
    if (op == null || !FUSES_ACTIVATION.has(op.type) || op.activation !== 'NONE' ||
        !soleUse(graph, consumers, x)) {
      continue;
    }
    op.activation = act.type;
    const out = act.outputs[0];
    // Keep the activation's output tensor (its name and QAT range); the
    // pre-activation tensor disappears.
    op.outputs = [out];
    dead.add(act);
    replaceUses(graph, x, out);
  }
  removeOps(graph, dead);
  pruneTensors(graph);
}

/** Drops tensors no op or graph input/output refers to any more. */
export function pruneTensors(graph: IrGraph): void {
  const used = new Set<IrTensor>([...graph.inputs, ...graph.outputs]);
  for (const op of graph.ops) {
    for (const t of [...op.inputs, ...op.outputs]) {
      if (t != null) {
        used.add(t);
      }
    }
  }
  graph.tensors = graph.tensors.filter((t) => used.has(t));
}
