import { type Codec, getCodec } from '@switchyard/protocol';
import { describe, expect, test } from 'vitest';
import {
  frameStream,
  pseudoRandomBytes,
  wireFrame,
  withoutForbidden,
  writeAllowedNumber,
} from '../src/bytes.js';

const lines = getCodec('lines');

/** Escapes 0x00 and 0x01 with 0x01: the encoded length depends on the bytes, not only on their count. */
const escaping: Codec = {
  name: 'escaping',
  createDecoder: () => {
    throw new Error('not needed here');
  },
  encode(frame) {
    const out: number[] = [];
    for (const byte of frame) out.push(...(byte <= 1 ? [1, byte] : [byte]));
    return Buffer.from([...out, 0]);
  },
};

describe('payloads keep to the bytes a codec allows', () => {
  test('forbidden bytes are replaced by allowed ones, the others kept', () => {
    const bytes = Buffer.from([0x0a, 0x0b, 0x00, 0xff, 0x0a]);
    expect([...withoutForbidden(lines, bytes)]).toEqual([0x0b, 0x0b, 0x00, 0xff, 0x0b]);
    const raw = Buffer.from([0x0a]);
    expect(withoutForbidden(getCodec('raw'), raw)).toBe(raw);
  });

  test('numbers written in allowed bytes stay distinct', () => {
    const seen = new Set<string>();
    for (const value of [0, 9, 10, 11, 255, 256, 2570, 0xffff_ffff]) {
      const target = Buffer.alloc(8);
      const width = writeAllowedNumber(lines, target, 0, value);
      expect(width).toBe(5);
      expect(target.subarray(0, width).includes(0x0a)).toBe(false);
      seen.add(target.toString('hex'));
    }
    expect(seen.size).toBe(8);
  });

  test('a string label is cleaned, bytes are the caller’s to keep clean', () => {
    expect(wireFrame(lines, 'two\nlines').toString()).toBe('two\vlines\n');
    expect(() => wireFrame(lines, Buffer.from('two\nlines'))).toThrow(/newline/);
  });
});

describe('frame streams', () => {
  test('are the encoded frames back to back, each starting with its index', () => {
    const stream = frameStream(lines, 300, 64, 5);
    const all = stream.slice(0, stream.length);
    expect(stream.blockLength).toBe(65);
    expect(all.length).toBe(300 * 65);
    expect(all.filter((byte) => byte === 0x0a).length).toBe(300);
    const firsts = new Set(
      Array.from({ length: 300 }, (_, i) => all.subarray(i * 65, i * 65 + 5).toString('hex')),
    );
    expect(firsts.size).toBe(300);
    expect(stream.boundaryAtOrBefore(65 * 7 + 3)).toBe(65 * 7);
    expect(stream.boundaryAtOrBefore(stream.length)).toBe(stream.length);
  });

  test('handle a codec whose encoded length depends on the bytes', () => {
    const stream = frameStream(escaping, 40, 32, 9);
    const blocks = Array.from({ length: 40 }, (_, index) => stream.block(index));
    const joined = Buffer.concat(blocks);
    expect(stream.length).toBe(joined.length);
    expect(new Set(blocks.map((block) => block.length)).size).toBeGreaterThan(1);
    expect(stream.blockLength).toBe(Math.max(...blocks.map((block) => block.length)));
    const cuts = pseudoRandomBytes(20, 3);
    let start = 0;
    for (const cut of cuts) {
      const end = Math.min(joined.length, start + 1 + cut);
      expect(stream.slice(start, end).equals(joined.subarray(start, end))).toBe(true);
      start = end;
    }
    const fifth = blocks.slice(0, 5).reduce((sum, block) => sum + block.length, 0);
    expect(stream.boundaryAtOrBefore(fifth + 1)).toBe(fifth);
  });
});
