/**
 * TensorBoard event files without TensorFlow: `Event` protocol buffers
 * (tensorflow/core/util/event.proto, framework/summary.proto), each framed
 * as a TFRecord, in `events.out.tfevents.<unix seconds>.<hostname>`.
 */

import {open} from 'node:fs/promises';
import type {FileHandle} from 'node:fs/promises';
import {hostname} from 'node:os';
import {join} from 'node:path';

import {makeDirectories} from '../io/safe_fs.js';
import {maskedCrc32c} from './crc32c.js';

/** The `Event.file_version` TensorBoard expects in the first record. */
export const FILE_VERSION = 'brain.Event:2';

// Protocol buffer wire types.
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** Appends protocol buffer fields to a growing list of byte chunks. */
class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];

  /** A non-negative integer up to 2^53 as a base-128 varint. */
  varint(value: number): this {
    const bytes: number[] = [];
    while (value >= 0x80) {
      bytes.push((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    bytes.push(value);
    this.chunks.push(Uint8Array.from(bytes));
    return this;
  }

  private key(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  int64(field: number, value: number): this {
    return this.key(field, VARINT).varint(value);
  }

  double(field: number, value: number): this {
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleLE(value);
    this.key(field, FIXED64).chunks.push(bytes);
    return this;
  }

  float(field: number, value: number): this {
    const bytes = Buffer.alloc(4);
    bytes.writeFloatLE(value);
    this.key(field, FIXED32).chunks.push(bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array | string): this {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    this.key(field, LENGTH_DELIMITED).varint(bytes.length).chunks.push(bytes);
    return this;
  }

  finish(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
}

/**
 * Serializes an `Event`: wall_time (1), step (2) and either file_version (3)
 * or a `Summary` (5) of one `Value` {tag (1), simple_value (2)}. Proto3
 * leaves a zero step out; simple_value is in a oneof, so a zero is written.
 */
export function encodeEvent(
    wallTime: number, step: number,
    what: {fileVersion: string} | {tag: string, simpleValue: number}): Uint8Array {
  const event = new ProtoWriter().double(1, wallTime);
  if (step !== 0) {
    event.int64(2, step);
  }
  if ('fileVersion' in what) {
    return event.bytes(3, what.fileVersion).finish();
  }
  const value = new ProtoWriter().bytes(1, what.tag).float(2, what.simpleValue).finish();
  const summary = new ProtoWriter().bytes(1, value).finish();
  return event.bytes(5, summary).finish();
}

/**
 * Frames `data` as one TFRecord: uint64 little-endian length, masked CRC32C
 * of those 8 bytes, the data, masked CRC32C of the data.
 */
export function frameRecord(data: Uint8Array): Uint8Array {
  const record = Buffer.alloc(data.length + 16);
  record.writeBigUInt64LE(BigInt(data.length), 0);
  record.writeUInt32LE(maskedCrc32c(record.subarray(0, 8)), 8);
  record.set(data, 12);
  record.writeUInt32LE(maskedCrc32c(data), data.length + 12);
  return record;
}

/** Records kept in memory before `scalar` starts writing them on its own. */
const MAX_QUEUE = 64;

/**
 * Writes scalar summaries to a new event file. `scalar` queues a record;
 * `flush` appends the queue to the file, in order, one write at a time.
 */
export class EventFileWriter {
  private queue: Uint8Array[] = [];
  private writing: Promise<void> = Promise.resolve();
  private error: unknown = null;
  private closed = false;

  private constructor(private readonly file: FileHandle, readonly path: string) {}

  /** Creates `logDir` if needed and a new event file holding the version record. */
  static async create(logDir: string): Promise<EventFileWriter> {
    // Not mkdir({recursive: true}), which spins forever under /proc.
    await makeDirectories(logDir, logDir);
    const base = `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${hostname()}`;
    // Two writers started within the same second get distinct suffixes.
    for (let n = 0; ; n++) {
      const path = join(logDir, n === 0 ? base : `${base}.${n}`);
      let file: FileHandle;
      try {
        file = await open(path, 'wx');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
          continue;
        }
        throw e;
      }
      const writer = new EventFileWriter(file, path);
      writer.queue.push(frameRecord(encodeEvent(Date.now() / 1000, 0, {fileVersion: FILE_VERSION})));
      try {
        await writer.flush();
      } catch (e) {
        await file.close();
        throw e;
      }
      return writer;
    }
  }

  scalar(tag: string, value: number, step: number): void {
    this.queue.push(frameRecord(encodeEvent(Date.now() / 1000, step, {tag, simpleValue: value})));
    if (this.queue.length >= MAX_QUEUE) {
      // Failures surface from the next flush() or close().
      this.flush().catch(() => undefined);
    }
  }

  flush(): Promise<void> {
    const records = this.queue;
    this.queue = [];
    // Each flush waits for the previous one; the first write error sticks.
    this.writing = this.writing.catch(() => undefined).then(async () => {
      if (this.error === null && records.length > 0) {
        // Unlike write(), appendFile loops until every byte is written.
        await this.file.appendFile(Buffer.concat(records)).catch((e) => {
          this.error = e;
        });
      }
      if (this.error !== null) {
        throw this.error;
      }
    });
    return this.writing;
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    try {
      await this.flush();
    } finally {
      await this.file.close();
    }
  }
}
