/**
 * Graph rewrites on the float IR, done before quantization as TFLite's
 * converter does: a BatchNorm (MUL + ADD by per-channel constants) after a
 * conv/dense is folded into its weights and bias, and ReLU/ReLU6 become the
 * fused activation of the op that produces their input.
 */
import {graphIndex, IrGraph, IrOp, IrTensor} from '../graph/ir.js';
import {opKind} from './op_registry.js';

const isWeighted = (op: IrOp) => opKind(op.type).weightChannelAxis !== undefined;
const fusesActivation = (op: IrOp) => opKind(op.type).fusesActivation === true;

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

/** True if `t` feeds exactly one op and is not a model output. */
function soleUse(graph: IrGraph, consumers: Map<IrTensor, IrOp[]>, t: IrTensor): boolean {
  return (consumers.get(t)?.length ?? 0) === 1 && !graph.outputs.includes(t);
}

/**
 * Folds a lowered BatchNorm (a 1x1 DEPTHWISE_CONV_2D marked `batchNorm`,
 * possibly between RESHAPEs for non-image tensors) into the conv/dense before
 * it: weights * s along the output channel, bias * s + shift.
 */
export function foldBatchNorms(graph: IrGraph): void {
  const dead = new Set<IrOp>();
  const {producer, consumers} = graphIndex(graph);
  const onlyConsumer = (t: IrTensor) => soleUse(graph, consumers, t) ? consumers.get(t)![0] : undefined;
  for (const op of graph.ops) {
    if (!isWeighted(op) || op.activation !== 'NONE' || op.options['batchNorm'] || dead.has(op)) {
      continue;
    }
    // op -> [RESHAPE] -> BN -> [RESHAPE]
    let next = onlyConsumer(op.outputs[0]);
    const before = next?.type === 'RESHAPE' ? next : undefined;
    if (before != null) {
      next = onlyConsumer(before.outputs[0]);
    }
    if (next?.type !== 'DEPTHWISE_CONV_2D' || !next.options['batchNorm'] ||
        producer.get(next.inputs[0]!) !== (before ?? op)) {
      continue;
    }
    const bn = next;
    const after = before != null ? onlyConsumer(bn.outputs[0]) : undefined;
    if (before != null && after?.type !== 'RESHAPE') {
      continue;
    }
    const s = bn.inputs[1]!.data as Float32Array;
    const shift = bn.inputs[2]!.data as Float32Array;
    const weights = op.inputs[1]!;
    const bias = op.inputs[2]!;
    const w = weights.data as Float32Array;
    const channels = s.length;
    const stride = weights.shape.slice((weights.channelAxis ?? 0) + 1).reduce((a, b) => a * b, 1);
    weights.data = Float32Array.from(w, (v, i) => v * s[Math.floor(i / stride) % channels]);
    bias.data = Float32Array.from(bias.data as Float32Array, (v, c) => v * s[c] + shift[c]);
    // The folded op now produces what the BatchNorm did (its name and range).
    op.outputs = [(after ?? bn).outputs[0]];
    for (const removed of [before, bn, after]) {
      if (removed != null) {
        dead.add(removed);
      }
    }
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
    if (op == null || !fusesActivation(op) || op.activation !== 'NONE' ||
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

/**
 * Drops a RESHAPE to [batch, n] (a Flatten) whose only readers are
 * FULLY_CONNECTED ops: the op flattens its input itself, so the file loses a
 * tensor and an operator.
 */
export function dropFlattenBeforeDense(graph: IrGraph): void {
  const dead = new Set<IrOp>();
  const {consumers} = graphIndex(graph);
  for (const op of graph.ops) {
    const out = op.outputs[0];
    const readers = consumers.get(out) ?? [];
    if (op.type !== 'RESHAPE' || out.shape.length !== 2 || graph.outputs.includes(out) ||
        readers.length === 0 ||
        !readers.every((r) => r.type === 'FULLY_CONNECTED' && !r.options['keepNumDims'] && r.inputs[0] === out)) {
      continue;
    }
    dead.add(op);
    replaceUses(graph, out, op.inputs[0]!);
  }
  removeOps(graph, dead);
  pruneTensors(graph);
}

/**
 * Tensors without a range whose only consumer is a CONCATENATION share its
 * range (QAT leaves them to the concat, as TFLite needs equal parameters).
 * Done at lowering, so calibration of a QAT model's missing ranges leaves them be.
 */
export function shareConcatRanges(graph: IrGraph): void {
  const {consumers} = graphIndex(graph);
  for (const op of [...graph.ops].reverse()) {
    if (opKind(op.type).inputsTakeOutputParams && op.outputs[0].range != null) {
      for (const t of op.inputs) {
        if (t != null && t.range == null && consumers.get(t)?.length === 1) {
          t.range = op.outputs[0].range;
        }
      }
    }
  }
}
