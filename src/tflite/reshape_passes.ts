/**
 * Passes over the RESHAPEs that layers computed in another rank leave
 * behind (a Conv1D or 1-D pooling works in 4-D between two of them): two
 * in a row become one, one that changes nothing goes, and a ReLU after a
 * RESHAPE moves before it so it fuses into the conv. Without them a
 * Conv1D + BatchNormalization + ReLU would keep the BatchNorm and the ReLU as
 * ops of their own (and an int8 file their own rounding), which QAT does not
 * train for.
 */
import {graphIndex, IrGraph, IrOp, IrTensor} from '../graph/ir.js';
import {pruneTensors} from './ir_passes.js';
import {opKind} from './op_registry.js';

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** A RESHAPE keeps its input's int8 parameters: a range known on one side holds for the other. */
function shareRange(from: IrTensor, to: IrTensor): void {
  if (to.range == null && from.range != null) {
    to.range = from.range;
  }
}

function soleUse(graph: IrGraph, consumers: Map<IrTensor, IrOp[]>, t: IrTensor): boolean {
  return (consumers.get(t)?.length ?? 0) === 1 && !graph.outputs.includes(t) && !graph.inputs.includes(t);
}

function dropUnused(graph: IrGraph, dead: Set<IrOp>): void {
  graph.ops = graph.ops.filter((op) => !dead.has(op));
  pruneTensors(graph);
}

/**
 * RESHAPE(RESHAPE(a)) -> RESHAPE(a) when the middle tensor has no other
 * reader, then drops RESHAPEs whose output has their input's shape (unless
 * the output is a model output, which must stay a tensor of its own).
 */
export function collapseReshapes(graph: IrGraph): void {
  const dead = new Set<IrOp>();
  const {producer, consumers} = graphIndex(graph);
  for (const op of graph.ops) {
    if (op.type !== 'RESHAPE') {
      continue;
    }
    const mid = op.inputs[0]!;
    const before = producer.get(mid);
    if (before?.type === 'RESHAPE' && !dead.has(before) && soleUse(graph, consumers, mid)) {
      op.inputs = [before.inputs[0]];
      shareRange(mid, before.inputs[0]!);
      dead.add(before);
    }
  }
  const replaced = new Map<IrTensor, IrTensor>();
  for (const op of graph.ops) {
    const [x] = op.inputs;
    const out = op.outputs[0];
    if (dead.has(op) || op.type !== 'RESHAPE' || !sameShape(x!.shape, out.shape) || graph.outputs.includes(out)) {
      continue;
    }
    dead.add(op);
    shareRange(out, x!);
    replaced.set(out, x!);
  }
  const resolve = (t: IrTensor): IrTensor => replaced.has(t) ? resolve(replaced.get(t)!) : t;
  for (const op of graph.ops) {
    op.inputs = op.inputs.map((t) => t == null ? t : resolve(t));
  }
  dropUnused(graph, dead);
}

/**
 * op -> RESHAPE -> RELU/RELU6 becomes op -> RELU/RELU6 -> RESHAPE when op can
 * fuse the activation (an elementwise function commutes with a reshape), so
 * the fusing pass after it finds the activation right after the op.
 */
export function activationsBeforeReshapes(graph: IrGraph): void {
  const {producer, consumers} = graphIndex(graph);
  for (const act of [...graph.ops]) {
    if (act.type !== 'RELU' && act.type !== 'RELU6') {
      continue;
    }
    const reshaped = act.inputs[0]!;
    const reshape = producer.get(reshaped);
    const x = reshape?.inputs[0];
    const op = x != null ? producer.get(x) : undefined;
    if (reshape?.type !== 'RESHAPE' || op == null || opKind(op.type).fusesActivation !== true ||
        op.activation !== 'NONE' || !soleUse(graph, consumers, reshaped) || !soleUse(graph, consumers, x!)) {
      continue;
    }
    const out = act.outputs[0];
    // The activation now writes `reshaped` (in x's shape), the RESHAPE reads it and writes `out`.
    reshaped.shape = [...x!.shape];
    shareRange(out, reshaped);
    act.inputs = [x!];
    act.outputs = [reshaped];
    reshape.inputs = [reshaped];
    reshape.outputs = [out];
    const at = graph.ops.indexOf(reshape);
    graph.ops.splice(graph.ops.indexOf(act), 1);
    graph.ops.splice(at, 0, act);
  }
}
