/**
 * Reads our event files with independent code: Python's crcmod (CRC-32C)
 * and Google's protobuf runtime (Debian: python3-crcmod, python3-protobuf).
 * Skipped, saying so, where those are not installed.
 */
import {execFileSync, spawnSync} from 'node:child_process';
import {mkdtemp, readdir, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {describe, expect, it} from 'vitest';

import {createSummaryWriter} from '../../src/summary/index.js';

const SCRIPT = fileURLToPath(new URL('./read_events.py', import.meta.url));

/** The first Python that has both modules, or null. */
function findPython(): string | null {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(python, ['-c', 'import crcmod, google.protobuf'], {stdio: 'ignore'});
    if (probe.status === 0) {
      return python;
    }
  }
  return null;
}

const python = findPython();
// .ci/run installs both and sets TFMOT_CI_TOOLS=1: there a missing module fails the test instead of skipping it.
if (python === null && process.env.TFMOT_CI_TOOLS === '1') {
  throw new Error('TFMOT_CI_TOOLS=1 but no python3 has crcmod and google.protobuf');
}
if (python === null) {
  console.warn('test/summary/python_reader.test.ts skipped: no python3 with crcmod and ' +
      'protobuf (apt-get install python3-crcmod python3-protobuf to run it).');
}

describe.skipIf(python === null)('event files read by Python protobuf + crcmod', () => {
  it('parses every record with valid CRCs, canonical bytes and the values written', async () => {
    await tf.setBackend('cpu');
    const dir = await mkdtemp(join(tmpdir(), 'tfmot-summary-py-'));
    try {
      const writer = await createSummaryWriter(dir);
      const written: Array<[string, number, number]> = [];
      for (let step = 0; step < 4; step++) {
        written.push(['dense/sparsity', step / 3, step], ['dense/threshold', -0.1 * step, step]);
      }
      written.push(['big/step', 12345.678, 2 ** 33 + 5]);
      for (const [tag, value, step] of written) {
        writer.scalar(tag, value, step);
      }
      await writer.close();
      const [file] = await readdir(dir);
      const events = JSON.parse(execFileSync(python!, [SCRIPT, join(dir, file)], {encoding: 'utf8'}));

      expect(events).toHaveLength(written.length + 1);
      for (const e of events) {
        expect([e.length_crc_ok, e.data_crc_ok, e.canonical]).toEqual([true, true, true]);
      }
      expect(events[0]).toMatchObject({what: 'file_version', file_version: 'brain.Event:2', step: 0});
      expect(events.slice(1).map((e: {what: string, step: number, values: unknown[]}) =>
        [e.what, e.step, e.values])).toEqual(written.map(([tag, value, step]) =>
        ['summary', step, [{tag, simple_value: Math.fround(value), has_simple_value: true}]]));
    } finally {
      await rm(dir, {recursive: true, force: true});
    }
  });
});
