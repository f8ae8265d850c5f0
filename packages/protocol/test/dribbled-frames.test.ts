import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  COALESCE_BELOW_BYTES,
  type Codec,
  LENGTH_PREFIX_BYTES,
  lengthPrefixedCodec,
  linesCodec,
  PendingBytes,
} from '../src/index.js';

const FRAME_BYTES = 1024 * 1024;

afterEach(() => {
  vi.restoreAllMocks();
});

/** The pieces each `Buffer.concat` call joins: how many buffers a frame was held in. */
function countJoinedPieces(): number[] {
  const pieces: number[] = [];
  const concat = Buffer.concat;
  vi.spyOn(Buffer, 'concat').mockImplementation((list, totalLength) => {
    pieces.push(list.length);
    return concat(list, totalLength);
  });
  return pieces;
}

/** Feeds `wire` one byte per push, as a client sending one byte per TCP segment would arrive. */
function dribble(codec: Codec, wire: Buffer): Buffer[] {
  const decoder = codec.createDecoder({ maxFrameBytes: FRAME_BYTES });
  const frames: Buffer[] = [];
  for (let i = 0; i < wire.length; i++) {
    // A fresh Buffer per byte, as every socket read is.
    frames.push(...decoder.push(Buffer.from(wire.subarray(i, i + 1))));
    if (i === wire.length - 2) expect(decoder.bufferedBytes).toBe(wire.length - 1);
  }
  decoder.end();
  return frames;
}

describe('a 1 MiB frame dribbled one byte per read', () => {
  const payload = Buffer.alloc(FRAME_BYTES - 1, 0x61);
  for (let i = 0; i < payload.length; i += 997) payload[i] = 0x62;

  test.each([
    ['lines', linesCodec],
    ['length-prefixed', lengthPrefixedCodec],
  ] as const)('%s holds it in a few dozen buffers, not a million', (_, codec) => {
    const pieces = countJoinedPieces();
    const frames = dribble(codec, codec.encode(payload));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.equals(payload)).toBe(true);
    expect(pieces).toHaveLength(1);
    // 256 B, 512 B, ... 64 KiB, then 64 KiB at a time: 24 buffers for a MiB, and the last byte.
    expect(pieces[0]).toBeLessThanOrEqual(30);
  });
});

describe('PendingBytes', () => {
  test('keeps pieces of COALESCE_BELOW_BYTES or more as the views they are', () => {
    const pending = new PendingBytes();
    const big = Buffer.alloc(COALESCE_BELOW_BYTES, 1);
    pending.add(big);
    pending.add(Buffer.from([2]));
    pending.add(Buffer.from([3]));
    const joined = pending.take(Buffer.from([4]));
    expect(joined.length).toBe(COALESCE_BELOW_BYTES + 3);
    expect([...joined.subarray(COALESCE_BELOW_BYTES)]).toEqual([2, 3, 4]);
    expect(pending.length).toBe(0);
  });

  test('a frame that ends where the pending bytes end is handed out without another copy', () => {
    const pending = new PendingBytes();
    pending.add(Buffer.from('ab'));
    pending.add(Buffer.from('c'));
    const pieces = countJoinedPieces();
    expect(pending.take(Buffer.alloc(0)).toString()).toBe('abc');
    expect(pieces).toEqual([]);
  });

  test('short pieces keep their order around long ones', () => {
    const pending = new PendingBytes();
    const expected: Buffer[] = [];
    for (const length of [1, 3, COALESCE_BELOW_BYTES, 2, 300, COALESCE_BELOW_BYTES + 1, 5]) {
      const piece = Buffer.alloc(length, expected.length + 1);
      expected.push(piece);
      pending.add(piece);
    }
    const tail = Buffer.from([9, 9]);
    expect(pending.take(tail).equals(Buffer.concat([...expected, tail]))).toBe(true);
  });

  test('a length-prefixed header counts as held until its frame completes', () => {
    const decoder = lengthPrefixedCodec.createDecoder();
    const wire = lengthPrefixedCodec.encode(Buffer.from('hello'));
    expect(decoder.push(wire.subarray(0, LENGTH_PREFIX_BYTES))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(LENGTH_PREFIX_BYTES);
    expect(decoder.push(wire.subarray(LENGTH_PREFIX_BYTES, -1))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(wire.length - 1);
    expect(decoder.push(wire.subarray(-1)).map(String)).toEqual(['hello']);
    expect(decoder.bufferedBytes).toBe(0);
  });
});
