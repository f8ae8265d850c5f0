import { afterEach, describe, expect, test, vi } from 'vitest';
import { type Codec, LENGTH_PREFIX_BYTES, lengthPrefixedCodec, linesCodec } from '../src/index.js';

const FRAME_BYTES = 16 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

/**
 * Counts every byte the decoder copies: `Buffer.concat` (joining pieces) and `Buffer#copy`
 * (a header split across chunks). Slicing with `subarray` copies nothing.
 */
function countCopies() {
  const counted = { concatCalls: 0, bytes: 0 };
  const concat = Buffer.concat;
  vi.spyOn(Buffer, 'concat').mockImplementation((list, totalLength) => {
    const joined = concat(list, totalLength);
    counted.concatCalls++;
    counted.bytes += joined.length;
    return joined;
  });
  const copy = Buffer.prototype.copy;
  vi.spyOn(Buffer.prototype, 'copy').mockImplementation(function (this: Buffer, ...args) {
    const copied = copy.apply(this, args);
    counted.bytes += copied;
    return copied;
  });
  return counted;
}

afterEach(() => {
  vi.restoreAllMocks();
});

/** Cuts `wire` into `CHUNK_BYTES` chunks, the first one `skew` bytes short. */
function chunked(wire: Buffer, skew: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let start = 0, end = CHUNK_BYTES - skew; start < wire.length; ) {
    chunks.push(wire.subarray(start, end));
    start = end;
    end = Math.min(start + CHUNK_BYTES, wire.length);
  }
  return chunks;
}

function decodeCounting(codec: Codec, wire: Buffer, skew: number) {
  const chunks = chunked(wire, skew);
  const decoder = codec.createDecoder({ maxFrameBytes: FRAME_BYTES });
  const counted = countCopies();
  const frames: Buffer[] = [];
  for (const [index, chunk] of chunks.entries()) {
    frames.push(...decoder.push(chunk));
    // Until the last chunk the decoder only keeps references: nothing is joined yet.
    if (index < chunks.length - 1) expect(counted.concatCalls).toBe(0);
  }
  decoder.end();
  vi.restoreAllMocks();
  return { frames, counted, chunks: chunks.length };
}

describe('a 16 MiB frame in 64 KiB chunks', () => {
  const payload = Buffer.alloc(FRAME_BYTES);
  for (let i = 0; i < payload.length; i += 4096) payload[i] = i & 0xff;

  test.each([0, 2, 1 - LENGTH_PREFIX_BYTES + CHUNK_BYTES])(
    'length-prefixed decodes it copying each byte once (first chunk %i bytes short)',
    (skew) => {
      const wire = lengthPrefixedCodec.encode(payload);
      const { frames, counted, chunks } = decodeCounting(lengthPrefixedCodec, wire, skew);
      expect(chunks).toBeGreaterThan(256);
      expect(frames).toHaveLength(1);
      expect(frames[0]!.equals(payload)).toBe(true);
      expect(counted.concatCalls).toBe(1);
      expect(counted.bytes).toBeLessThanOrEqual(FRAME_BYTES + LENGTH_PREFIX_BYTES);
    },
  );

  test('lines decodes it copying each byte once', () => {
    const line = Buffer.alloc(FRAME_BYTES, 0x61);
    line[line.length - 1] = 0x0a;
    const { frames, counted } = decodeCounting(linesCodec, line, 0);
    expect(frames).toHaveLength(1);
    // The frame is the line without its newline.
    expect(frames[0]!.equals(line.subarray(0, -1))).toBe(true);
    expect(counted.concatCalls).toBe(1);
    expect(counted.bytes).toBe(FRAME_BYTES - 1);
  });
});

test('frames that arrive whole inside one chunk are not copied at all', () => {
  const wire = Buffer.concat(
    Array.from({ length: 100 }, (_, i) => lengthPrefixedCodec.encode(Buffer.alloc(i, i))),
  );
  const counted = countCopies();
  const frames = lengthPrefixedCodec.createDecoder().push(wire);
  expect(frames).toHaveLength(100);
  expect(counted.bytes).toBe(0);
  for (const frame of frames) expect(frame.buffer).toBe(wire.buffer);
});
