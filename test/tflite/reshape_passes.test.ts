/** The RESHAPE passes on hand-built IR graphs: what they merge, drop, move, and what they leave. */
import {describe, expect, it} from 'vitest';

import {IrBuilder, IrGraph, IrTensor} from '../../src/graph/ir.js';
import {fuseActivations} from '../../src/tflite/ir_passes.js';
import {activationsBeforeReshapes, collapseReshapes} from '../../src/tflite/reshape_passes.js';

function graphOf(ir: IrBuilder, inputs: IrTensor[], outputs: IrTensor[]): IrGraph {
  return {inputs, outputs, ops: ir.ops, tensors: ir.tensors, inputNames: inputs.map((t) => t.name),
    outputNames: outputs.map((t) => t.name)};
}

const reshape = (ir: IrBuilder, x: IrTensor, shape: number[], name: string) => {
  const out = ir.tensor(name, shape);
  ir.op('RESHAPE', [x], [out], name, {newShape: shape});
  return out;
};

describe('collapseReshapes', () => {
  it('merges a chain into one RESHAPE and drops one that changes nothing, passing ranges back', () => {
    const ir = new IrBuilder();
    const x = ir.tensor('x', [1, 4, 3]);
    const a = reshape(ir, x, [1, 1, 4, 3], 'a');
    const b = reshape(ir, a, [1, 4, 3], 'b');
    b.range = [-1, 2];
    const c = reshape(ir, b, [1, 1, 4, 3], 'c');
    const out = ir.tensor('out', [1, 1, 4, 3]);
    ir.op('RELU', [c], [out], 'relu');
    const graph = graphOf(ir, [x], [out]);
    collapseReshapes(graph);
    // x -> [1, 1, 4, 3] once; the rest was a round trip.
    expect(graph.ops.map((op) => op.type)).toEqual(['RESHAPE', 'RELU']);
    expect(graph.ops[0].inputs[0]).toBe(x);
    expect(graph.ops[1].inputs[0]).toBe(graph.ops[0].outputs[0]);
    expect(x.range).toEqual([-1, 2]);
    expect(graph.tensors.map((t) => t.name)).toEqual(['x', 'c', 'out']);
  });

  it('keeps a RESHAPE whose output is a model output, and one whose input has other readers', () => {
    const ir = new IrBuilder();
    const x = ir.tensor('x', [1, 6]);
    const a = reshape(ir, x, [1, 2, 3], 'a');
    const other = ir.tensor('other', [1, 2, 3]);
    ir.op('RELU', [a], [other], 'relu');
    const b = reshape(ir, a, [1, 6], 'b');
    const graph = graphOf(ir, [x], [b, other]);
    collapseReshapes(graph);
    expect(graph.ops.map((op) => `${op.type}:${op.inputs[0]!.name}`)).toEqual(['RESHAPE:x', 'RELU:a', 'RESHAPE:a']);
  });
});

it('activationsBeforeReshapes lets a ReLU after op -> RESHAPE fuse into the op, keeping its range', () => {
  const ir = new IrBuilder();
  const x = ir.tensor('x', [1, 1, 4, 2]);
  const w = ir.constant('w', [3, 1, 1, 2], new Float32Array(6), 'weights', 0);
  const bias = ir.constant('bias', [3], new Float32Array(3), 'bias');
  const y = ir.tensor('y', [1, 1, 4, 3]);
  ir.op('CONV_2D', [x, w, bias], [y], 'conv', {padding: 'VALID', strideH: 1, strideW: 1});
  const r = reshape(ir, y, [1, 4, 3], 'r');
  const out = ir.tensor('out', [1, 4, 3], {range: [0, 5]});
  ir.op('RELU', [r], [out], 'relu');
  const graph = graphOf(ir, [x], [out]);
  activationsBeforeReshapes(graph);
  fuseActivations(graph);
  expect(graph.ops.map((op) => op.type)).toEqual(['CONV_2D', 'RESHAPE']);
  const [conv, back] = graph.ops;
  expect(conv.activation).toBe('RELU');
  expect(conv.outputs[0].shape).toEqual([1, 1, 4, 3]);
  expect(conv.outputs[0].range).toEqual([0, 5]);
  expect(back.inputs[0]).toBe(conv.outputs[0]);
  expect(back.outputs[0]).toBe(out);
});
