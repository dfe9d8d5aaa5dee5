import {mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import {hostname, tmpdir} from 'node:os';
import {join} from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest';

import {ValueError} from '../../src/errors.js';
import {encodeEvent, FILE_VERSION, frameRecord} from '../../src/summary/event_file.js';
import {createSummaryWriter} from '../../src/summary/index.js';
import {decodeEvent, decodeFields, readRecords} from './read_events.js';

let root: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'tfmot-summary-'));
});

afterAll(async () => {
  await rm(root, {recursive: true, force: true});
});

async function eventFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.startsWith('events.out.tfevents.')).sort();
}

async function readEvents(dir: string) {
  const [file] = await eventFiles(dir);
  return readRecords(await readFile(join(dir, file))).map(decodeEvent);
}

describe('event encoding', () => {
  it('writes Event fields by number and wire type: 1 double, 2 varint, 5 Summary', () => {
    const fields = decodeFields(encodeEvent(1.5, 300, {tag: 'a/b', simpleValue: 0.25}));
    expect(fields.map((f) => [f.field, f.wireType])).toEqual([[1, 1], [2, 0], [5, 2]]);
    expect(fields[0].value).toBe(1.5);
    expect(fields[1].value).toBe(300);
    const [value] = decodeFields(fields[2].value as Uint8Array);
    expect([value.field, value.wireType]).toEqual([1, 2]);
    const inner = decodeFields(value.value as Uint8Array);
    expect(inner.map((f) => [f.field, f.wireType])).toEqual([[1, 2], [2, 5]]);
  });

  it('encodes a known Event byte for byte (as Python protobuf serializes it)', () => {
    const bytes = encodeEvent(1, 2, {tag: 'x', simpleValue: 1});
    expect(Buffer.from(bytes).toString('hex')).toBe(
        '09' + '000000000000f03f' +  // wall_time = 1.0
        '1002' +                       // step = 2
        '2a0a' + '0a08' +              // summary { value {  (10 and 8 bytes)
        '0a0178' +                     //   tag: "x"
        '150000803f');                 //   simple_value: 1.0f }}
  });

  it('leaves out a zero step (proto3 default) but always writes simple_value, even 0', () => {
    const event = decodeFields(encodeEvent(2, 0, {tag: 't', simpleValue: 0}));
    expect(event.map((f) => f.field)).toEqual([1, 5]);
    const value = decodeFields(decodeFields(event[1].value as Uint8Array)[0].value as Uint8Array);
    expect(value.map((f) => [f.field, f.value])).toEqual([[1, Buffer.from('t')], [2, 0]]);
  });

  it('encodes multi-byte varints and the file_version event', () => {
    const big = 2 ** 40 + 123;
    expect(decodeEvent(encodeEvent(3, big, {tag: 't', simpleValue: 1})).step).toBe(big);
    expect(decodeEvent(encodeEvent(3, 0, {fileVersion: FILE_VERSION}))).toEqual(
        {wallTime: 3, step: 0, fileVersion: 'brain.Event:2'});
  });

  it('frames a record with length, masked CRCs and data', () => {
    const empty = Buffer.from(frameRecord(new Uint8Array(0)));
    expect(empty.toString('hex')).toBe('0000000000000000' + '29039807' + 'd8ea82a2');
    const data = Uint8Array.from([1, 2, 3]);
    const record = frameRecord(data);
    expect(record.length).toBe(19);
    expect(readRecords(record)).toEqual([Buffer.from(data)]);
    const corrupt = Uint8Array.from(record);
    corrupt[13] ^= 1;
    expect(() => readRecords(corrupt)).toThrow('bad data CRC');
  });
});

describe('createSummaryWriter (event files)', () => {
  it('round-trips tags, float32 values and steps after a version record', async () => {
    const dir = join(root, 'run1', 'nested');  // created recursively
    const before = Date.now() / 1000;
    const writer = await createSummaryWriter(dir);
    const written: Array<[string, number, number]> = [];
    for (let step = 0; step < 5; step++) {
      for (const layer of ['dense', 'conv2d/kernel', 'übung']) {
        const value = step === 0 ? 0 : 1 / (step + layer.length);
        writer.scalar(`${layer}/sparsity`, value, step);
        written.push([`${layer}/sparsity`, value, step]);
      }
    }
    await writer.flush();
    await writer.close();
    const after = Date.now() / 1000;

    const files = await eventFiles(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^events\\.out\\.tfevents\\.\\d{10}\\.${hostname()}$`));
    const seconds = Number(files[0].split('.')[3]);
    expect(seconds).toBeGreaterThanOrEqual(Math.floor(before));
    expect(seconds).toBeLessThanOrEqual(after);

    const events = await readEvents(dir);
    expect(events[0]).toEqual({wallTime: expect.any(Number), step: 0, fileVersion: FILE_VERSION});
    expect(events.slice(1).map((e) => [e.values![0].tag, e.values![0].simpleValue, e.step]))
        .toEqual(written.map(([tag, value, step]) => [tag, Math.fround(value), step]));
    for (const e of events) {
      expect(e.wallTime).toBeGreaterThanOrEqual(before);
      expect(e.wallTime).toBeLessThanOrEqual(after);
      expect(e.values ?? []).toHaveLength(e.fileVersion ? 0 : 1);
    }
  });

  it('writes nothing but the version record until flush, and everything after it', async () => {
    const dir = join(root, 'flush');
    const writer = await createSummaryWriter(dir);
    writer.scalar('a', 1, 1);
    expect(await readEvents(dir)).toHaveLength(1);
    await writer.flush();
    writer.scalar('a', 2, 2);
    await writer.flush();
    await writer.flush();  // nothing queued: no-op
    expect((await readEvents(dir)).map((e) => e.values?.[0].simpleValue)).toEqual([undefined, 1, 2]);
    await writer.close();
    await writer.close();  // idempotent
  });

  it('starts writing on its own once many records are queued, in order', async () => {
    const dir = join(root, 'queue');
    const writer = await createSummaryWriter(dir);
    for (let step = 0; step < 200; step++) {
      writer.scalar('loss', step / 7, step);
    }
    // No flush() call: the background write shows up by itself.
    await vi.waitFor(async () => expect((await readEvents(dir)).length).toBeGreaterThan(64));
    await writer.close();
    const steps = (await readEvents(dir)).slice(1).map((e) => e.step);
    expect(steps).toEqual(Array.from({length: 200}, (_, i) => i));
  });

  it('gives writers created in the same second distinct files', async () => {
    const dir = join(root, 'two');
    const [a, b] = await Promise.all([createSummaryWriter(dir), createSummaryWriter(dir)]);
    a.scalar('w', 1, 0);
    b.scalar('w', 2, 0);
    await Promise.all([a.close(), b.close()]);
    const files = await eventFiles(dir);
    expect(files.length).toBe(2);
    const values = await Promise.all(files.map(async (f) =>
      readRecords(await readFile(join(dir, f))).map(decodeEvent)[1].values![0].simpleValue));
    expect(values.sort()).toEqual([1, 2]);
  });

  it('keeps NaN and infinities, which TensorBoard can plot', async () => {
    const dir = join(root, 'special');
    const writer = await createSummaryWriter(dir);
    writer.scalar('x', NaN, 1);
    writer.scalar('x', -Infinity, 2);
    writer.scalar('x', 1e39, 3);  // beyond float32: stored as +Infinity
    await writer.close();
    expect((await readEvents(dir)).slice(1).map((e) => e.values![0].simpleValue))
        .toEqual([NaN, -Infinity, Infinity]);
  });

  it('rejects bad arguments with ValueErrors naming them', async () => {
    await expect(createSummaryWriter('')).rejects.toThrow(ValueError);
    await expect(createSummaryWriter(undefined as unknown as string))
        .rejects.toThrow('logDir must be a non-empty string; received undefined');
    const writer = await createSummaryWriter(join(root, 'errors'));
    expect(() => writer.scalar('', 1, 0)).toThrow('tag must be a non-empty string');
    expect(() => writer.scalar('t', '1' as unknown as number, 0))
        .toThrow(`value for 't' must be a number; received string "1"`);
    expect(() => writer.scalar('t', 1, -1)).toThrow(`step for 't' must be an integer >= 0; received -1`);
    expect(() => writer.scalar('t', 1, 1.5)).toThrow(ValueError);
    await writer.close();
    expect(() => writer.scalar('t', 1, 0)).toThrow(/is closed/);
  });

  it('reports a logDir that cannot be created', async () => {
    const blocker = join(root, 'a-file');
    await writeFile(blocker, '');
    await expect(createSummaryWriter(join(blocker, 'logs'))).rejects.toThrow(
        `cannot write '${join(blocker, 'logs')}': '${blocker}' is not a directory`);
  });

  it('fails at once for a logDir under /proc, where a recursive mkdir would spin', async () => {
    await expect(createSummaryWriter('/proc/self/tfmot-logs')).rejects.toThrow(
        "cannot write '/proc/self/tfmot-logs': cannot create the directory '/proc/self/tfmot-logs': ENOENT");
  });
});
