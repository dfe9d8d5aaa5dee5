import {describe, expect, it} from 'vitest';

import {crc32c, maskedCrc32c} from '../../src/summary/crc32c.js';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('crc32c', () => {
  it('matches the published CRC-32C check value and RFC 3720 test vectors', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    // RFC 3720 (iSCSI), appendix B.4.
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({length: 32}, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({length: 32}, (_, i) => 31 - i))).toBe(0x113fdb5c);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('masks as TFRecord does: rotate right 15, add 0xa282ead8', () => {
    // An empty record's data CRC is the bare constant.
    expect(maskedCrc32c(new Uint8Array(0))).toBe(0xa282ead8);
    // The length CRC of an empty record (8 zero bytes), as Python's crcmod computes it.
    expect(maskedCrc32c(new Uint8Array(8))).toBe(0x07980329);
    const crc = 0xe3069283;
    const rotated = ((crc >>> 15) | (crc << 17)) >>> 0;
    expect(maskedCrc32c(ascii('123456789'))).toBe((rotated + 0xa282ead8) % 2 ** 32);
  });
});
