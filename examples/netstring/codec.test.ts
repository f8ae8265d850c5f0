import {
  type DecoderLimits,
  ErrorCode,
  isCodec,
  isSwitchyardError,
  loadCodec,
} from '@switchyard/protocol';
import fc from 'fast-check';
import { describe, expect, test, vi } from 'vitest';
import netstring, { MAX_LENGTH_DIGITS } from './codec.mjs';

const RUNS = { numRuns: 200 };

/** Feeds `chunks` in order, then ends the stream; returns every frame as a copy. */
function decodeAll(chunks: Iterable<Uint8Array>, limits?: DecoderLimits): Buffer[] {
  const decoder = netstring.createDecoder(limits);
  const frames: Buffer[] = [];
  for (const chunk of chunks) {
    for (const frame of decoder.push(Buffer.from(chunk))) frames.push(Buffer.from(frame));
  }
  decoder.end();
  return frames;
}

function encodeAll(frames: readonly Uint8Array[]): Buffer {
  return Buffer.concat(frames.map((frame) => netstring.encode(frame)));
}

/** Cuts `bytes` at the given offsets (modulo its length + 1, sorted, repeats kept as empty reads). */
function cutAt(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const points = offsets.map((offset) => offset % (bytes.length + 1)).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  return chunks;
}

/** The code of what `fn` threw, or undefined when it returned. */
function codeThrownBy(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isSwitchyardError(error)) return error.code;
    throw error;
  }
  return undefined;
}

/** Payloads biased towards the bytes the grammar uses: digits, `:` and `,`. */
const payload = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 255 }) },
      { weight: 1, arbitrary: fc.constantFrom(0x2c, 0x3a, 0x30, 0x35) },
    ),
    { maxLength: 300 },
  )
  .map((bytes) => Buffer.from(bytes));
const frames = fc.array(payload, { maxLength: 16 });
const cutOffsets = fc.array(fc.nat(), { maxLength: 24 });

describe('netstring codec', () => {
  test('is a Codec, loaded by module specifier like any other', async () => {
    expect(isCodec(netstring)).toBe(true);
    const loaded = await loadCodec(new URL('./codec.mjs', import.meta.url).href);
    expect(loaded).toBe(netstring);
    expect(loaded.name).toBe('netstring');
    expect(loaded.forbiddenBytes).toBeUndefined();
  });

  test('encodes as the spec writes it', () => {
    expect(netstring.encode(Buffer.from('hello')).toString()).toBe('5:hello,');
    expect(netstring.encode(new Uint8Array(0)).toString()).toBe('0:,');
    expect(netstring.encode(Buffer.alloc(12, 0x2c)).toString()).toBe(`12:${','.repeat(12)},`);
  });

  test('encodes a Uint8Array that is a view into a larger buffer', () => {
    const backing = Buffer.from('xxhelloyy');
    expect(netstring.encode(backing.subarray(2, 7)).toString()).toBe('5:hello,');
  });

  test('round trips every frame through encode then decode', () => {
    fc.assert(
      fc.property(payload, (frame) => {
        expect(decodeAll([netstring.encode(frame)])).toEqual([frame]);
      }),
      RUNS,
    );
  });

  test('decodes frames split into single bytes', () => {
    fc.assert(
      fc.property(frames, (sent) => {
        const wire = encodeAll(sent);
        expect(decodeAll(Array.from(wire, (byte) => Buffer.of(byte)))).toEqual(sent);
      }),
      { numRuns: 50 },
    );
  });

  test('decodes frames split and merged at any cuts, including empty reads', () => {
    fc.assert(
      fc.property(frames, cutOffsets, (sent, offsets) => {
        expect(decodeAll(cutAt(encodeAll(sent), offsets))).toEqual(sent);
      }),
      RUNS,
    );
  });

  test('decodes many frames merged in one chunk', () => {
    fc.assert(
      fc.property(frames, (sent) => {
        expect(decodeAll([encodeAll(sent)])).toEqual(sent);
      }),
      RUNS,
    );
  });

  test('hands out a frame inside one chunk as a view into it, without a copy', () => {
    const chunk = Buffer.from('5:hello,3:abc,');
    const [first, second] = netstring.createDecoder().push(chunk);
    expect(first?.buffer).toBe(chunk.buffer);
    expect(first?.byteOffset).toBe(chunk.byteOffset + 2);
    expect(second?.toString()).toBe('abc');
  });

  test('holds a payload dribbled one byte per read in a few buffers, not one per byte', () => {
    const payload = Buffer.alloc(256 * 1024, 0x61);
    const wire = netstring.encode(payload);
    const decoder = netstring.createDecoder();
    const joined: number[] = [];
    const concat = Buffer.concat;
    const spy = vi.spyOn(Buffer, 'concat').mockImplementation((list, length) => {
      joined.push(list.length);
      return concat(list, length);
    });
    const frames: Buffer[] = [];
    try {
      for (let i = 0; i < wire.length; i++) {
        frames.push(...decoder.push(Buffer.from(wire.subarray(i, i + 1))));
      }
    } finally {
      spy.mockRestore();
    }
    expect(frames).toHaveLength(1);
    expect(frames[0]!.equals(payload)).toBe(true);
    expect(joined).toHaveLength(1);
    expect(joined[0]).toBeLessThanOrEqual(20);
  });

  test('keeps a payload that spans chunks until its comma, then hands it out whole', () => {
    const decoder = netstring.createDecoder();
    expect(decoder.push(Buffer.from('11:hello'))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(8);
    expect(decoder.push(Buffer.from(' world'))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(14);
    expect(decoder.push(Buffer.from(',0:,')).map(String)).toEqual(['hello world', '']);
    expect(decoder.bufferedBytes).toBe(0);
  });

  describe('malformed input', () => {
    test.each(netstring.malformedExamples!.map((bytes) => [Buffer.from(bytes).toString(), bytes]))(
      'the declared example %j is malformed on its own',
      (_, bytes) => {
        const decoder = netstring.createDecoder({ maxFrameBytes: 64 * 1024 });
        expect(codeThrownBy(() => decoder.push(Buffer.from(bytes)))).toBe(
          ErrorCode.MALFORMED_FRAME,
        );
      },
    );

    test.each([
      ['a letter in the length', '1a:x,'],
      ['a sign', '-1:x,'],
      ['a space before the colon', '5 :hello,'],
      ['a leading zero', '007:license,'],
      ['two zeros', '00:,'],
      ['an empty length', ':,'],
      ['a missing comma', '3:abc5:hello,'],
      ['a newline instead of the comma', '3:abc\n'],
    ])('refuses %s', (_, wire) => {
      expect(codeThrownBy(() => decodeAll([Buffer.from(wire)]))).toBe(ErrorCode.MALFORMED_FRAME);
    });

    test('accepts the length 0 itself, which is no leading zero', () => {
      expect(decodeAll([Buffer.from('0:,0:,')])).toEqual([Buffer.alloc(0), Buffer.alloc(0)]);
    });

    test('refuses any byte other than a comma after the payload, however the stream is cut', () => {
      fc.assert(
        fc.property(
          payload,
          fc.integer({ min: 0, max: 255 }).filter((byte) => byte !== 0x2c),
          cutOffsets,
          (frame, wrong, offsets) => {
            const wire = netstring.encode(frame);
            wire[wire.length - 1] = wrong;
            expect(codeThrownBy(() => decodeAll(cutAt(wire, offsets)))).toBe(
              ErrorCode.MALFORMED_FRAME,
            );
          },
        ),
        RUNS,
      );
    });

    test('refuses a stream that starts with anything but a digit', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 255 }).filter((byte) => byte < 0x30 || byte > 0x39),
          payload,
          (first, rest) => {
            const wire = Buffer.concat([Buffer.of(first), rest]);
            expect(codeThrownBy(() => decodeAll([wire]))).toBe(ErrorCode.MALFORMED_FRAME);
          },
        ),
        RUNS,
      );
    });

    test(`refuses a length of more than ${MAX_LENGTH_DIGITS} digits, whatever the limit`, () => {
      const decoder = netstring.createDecoder({ maxFrameBytes: Number.MAX_SAFE_INTEGER });
      expect(decoder.push(Buffer.from('1'.repeat(MAX_LENGTH_DIGITS)))).toEqual([]);
      expect(codeThrownBy(() => decoder.push(Buffer.from('1')))).toBe(ErrorCode.MALFORMED_FRAME);
    });
  });

  describe('maxFrameBytes', () => {
    test('accepts a frame of exactly the limit and refuses one byte more', () => {
      const limits = { maxFrameBytes: 5 };
      expect(decodeAll([Buffer.from('5:hello,')], limits).map(String)).toEqual(['hello']);
      expect(codeThrownBy(() => decodeAll([Buffer.from('6:hello!,')], limits))).toBe(
        ErrorCode.FRAME_TOO_LARGE,
      );
    });

    test('refuses a declared length over the limit while its digits arrive, before the colon', () => {
      const decoder = netstring.createDecoder({ maxFrameBytes: 1000 });
      expect(decoder.push(Buffer.from('100'))).toEqual([]);
      let thrown: unknown;
      try {
        decoder.push(Buffer.from('1'));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({
        code: ErrorCode.FRAME_TOO_LARGE,
        frameBytes: 1001,
        maxFrameBytes: 1000,
      });
    });

    test('refuses any frame over the limit before buffering its payload, however it is cut', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 64 }),
          fc.integer({ min: 1, max: 64 }),
          cutOffsets,
          (limit, over, offsets) => {
            const decoder = netstring.createDecoder({ maxFrameBytes: limit });
            const wire = netstring.encode(Buffer.alloc(limit + over, 0x61));
            let code: string | undefined;
            for (const chunk of cutAt(wire, offsets)) {
              code = codeThrownBy(() => decoder.push(chunk));
              if (code !== undefined) break;
              expect(decoder.bufferedBytes).toBeLessThanOrEqual(String(limit + over).length);
            }
            expect(code).toBe(ErrorCode.FRAME_TOO_LARGE);
          },
        ),
        RUNS,
      );
    });

    test('refuses a limit that is not a non-negative integer', () => {
      for (const maxFrameBytes of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(codeThrownBy(() => netstring.createDecoder({ maxFrameBytes }))).toBe(
          ErrorCode.INVALID_OPTION,
        );
      }
    });
  });

  describe('end of stream', () => {
    test('ends cleanly between frames', () => {
      const decoder = netstring.createDecoder();
      decoder.push(Buffer.from('5:hello,'));
      expect(() => decoder.end()).not.toThrow();
    });

    test('reports every proper prefix of a frame as truncated, with the bytes it held', () => {
      fc.assert(
        fc.property(payload, fc.nat(), (frame, cut) => {
          const wire = netstring.encode(frame);
          const prefix = wire.subarray(0, 1 + (cut % (wire.length - 1)));
          const decoder = netstring.createDecoder();
          expect(decoder.push(prefix)).toEqual([]);
          expect(decoder.bufferedBytes).toBe(prefix.length);
          let thrown: unknown;
          try {
            decoder.end();
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toMatchObject({
            code: ErrorCode.TRUNCATED_FRAME,
            bufferedBytes: prefix.length,
          });
        }),
        RUNS,
      );
    });
  });
});
