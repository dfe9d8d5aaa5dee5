/**
 * A small TensorBoard event file reader for the tests: splits TFRecord
 * framing (checking both masked CRCs) and decodes the `Event` fields the
 * writer uses, rejecting any other field or wire type.
 */

import {maskedCrc32c} from '../../src/summary/crc32c.js';

export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values?: Array<{tag: string, simpleValue: number}>;
}

/** The payloads of every record in `file`; throws on a bad CRC or a truncated record. */
export function readRecords(file: Uint8Array): Uint8Array[] {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  const records: Uint8Array[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (pos + 12 > buf.length) {
      throw new Error(`truncated header at ${pos}`);
    }
    const length = Number(buf.readBigUInt64LE(pos));
    if (buf.readUInt32LE(pos + 8) !== maskedCrc32c(buf.subarray(pos, pos + 8))) {
      throw new Error(`bad length CRC at ${pos}`);
    }
    const data = buf.subarray(pos + 12, pos + 12 + length);
    if (data.length !== length || pos + 16 + length > buf.length) {
      throw new Error(`truncated record at ${pos}`);
    }
    if (buf.readUInt32LE(pos + 12 + length) !== maskedCrc32c(data)) {
      throw new Error(`bad data CRC at ${pos}`);
    }
    records.push(data);
    pos += 16 + length;
  }
  return records;
}

type Field = {field: number, wireType: number, value: number | Uint8Array};

/** Every field of one message, in order, as raw wire values. */
export function decodeFields(bytes: Uint8Array): Field[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const varint = () => {
    let result = 0;
    for (let scale = 1; ; scale *= 128) {
      const byte = buf[pos++];
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        return result;
      }
    }
  };
  const fields: Field[] = [];
  while (pos < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (wireType === 0) {
      fields.push({field, wireType, value: varint()});
    } else if (wireType === 1) {
      fields.push({field, wireType, value: buf.readDoubleLE(pos)});
      pos += 8;
    } else if (wireType === 5) {
      fields.push({field, wireType, value: buf.readFloatLE(pos)});
      pos += 4;
    } else if (wireType === 2) {
      const length = varint();
      fields.push({field, wireType, value: buf.subarray(pos, pos + length)});
      pos += length;
    } else {
      throw new Error(`unexpected wire type ${wireType}`);
    }
  }
  if (pos !== buf.length) {
    throw new Error('message overruns its bytes');
  }
  return fields;
}

function expectWire(f: Field, wireType: number, where: string): void {
  if (f.wireType !== wireType) {
    throw new Error(`${where} field ${f.field}: wire type ${f.wireType}, expected ${wireType}`);
  }
}

/** Decodes an `Event` holding a file_version or a Summary of simple values. */
export function decodeEvent(bytes: Uint8Array): DecodedEvent {
  const event: DecodedEvent = {wallTime: 0, step: 0};
  const wire: Record<number, number> = {1: 1, 2: 0, 3: 2, 5: 2};
  for (const f of decodeFields(bytes)) {
    if (!(f.field in wire)) {
      throw new Error(`unexpected Event field ${f.field}`);
    }
    expectWire(f, wire[f.field], 'Event');
    if (f.field === 1) {
      event.wallTime = f.value as number;
    } else if (f.field === 2) {
      event.step = f.value as number;
    } else if (f.field === 3) {
      event.fileVersion = Buffer.from(f.value as Uint8Array).toString('utf8');
    } else {
      event.values = decodeFields(f.value as Uint8Array).map((v) => {
        if (v.field !== 1) {
          throw new Error(`unexpected Summary field ${v.field}`);
        }
        expectWire(v, 2, 'Summary');
        const value = {tag: '', simpleValue: NaN};
        for (const g of decodeFields(v.value as Uint8Array)) {
          expectWire(g, g.field === 1 ? 2 : 5, 'Summary.Value');
          if (g.field === 1) {
            value.tag = Buffer.from(g.value as Uint8Array).toString('utf8');
          } else if (g.field === 2) {
            value.simpleValue = g.value as number;
          } else {
            throw new Error(`unexpected Summary.Value field ${g.field}`);
          }
        }
        return value;
      });
    }
  }
  return event;
}
