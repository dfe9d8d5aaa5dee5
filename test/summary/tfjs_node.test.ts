import {mkdtemp, readdir, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {createSummaryWriter} from '../../src/summary/index.js';
import {fromTfjsNode, tfjsNodeWriter} from '../../src/summary/tfjs_node.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tfmot-summary-node-'));
});

afterAll(async () => {
  tf.removeBackend('tensorflow');
  await rm(root, {recursive: true, force: true});
});

describe('tfjs-node summary writer', () => {
  it('adapts scalar(name, value, step) and flush(); close flushes', async () => {
    const calls: unknown[][] = [];
    const writer = fromTfjsNode({
      scalar: (...args) => calls.push(['scalar', ...args]),
      flush: () => calls.push(['flush']),
    });
    writer.scalar('a/sparsity', 0.5, 3);
    await writer.flush();
    await writer.close();
    expect(calls).toEqual([['scalar', 'a/sparsity', 0.5, 3], ['flush'], ['flush']]);
  });

  it('is not imported unless the active backend is tensorflow', async () => {
    await tf.setBackend('cpu');
    expect(await tfjsNodeWriter(join(root, 'cpu'))).toBeNull();
  });

  it('falls back to event files on a tensorflow backend when tfjs-node cannot be imported', async () => {
    // A stand-in 'tensorflow' backend: tfjs-node itself is not installed here.
    tf.registerBackend('tensorflow', () => new MathBackendCPU());
    await tf.setBackend('tensorflow');
    const dir = join(root, 'fallback');
    expect(await tfjsNodeWriter(dir)).toBeNull();
    const writer = await createSummaryWriter(dir);
    writer.scalar('t', 1, 1);
    await writer.close();
    expect(await readdir(dir)).toEqual([expect.stringMatching(/^events\.out\.tfevents\./)]);
  });
});
