import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  type BuiltinCodecName,
  codecNames,
  DEFAULT_MAX_FRAME_BYTES,
  FrameTooLargeError,
  getCodec,
  isSwitchyardError,
  LENGTH_PREFIX_BYTES,
  lengthPrefixedCodec,
  linesCodec,
} from '../src/index.js';
import {
  cutAt,
  cutOffsets,
  encodeAll,
  framesOf,
  framingBytes,
  singleBytes,
  thrownBy,
} from './support/streams.js';

const RUNS = { numRuns: 200 };

/** Bytes a decoder may hold beyond the frame limit: a partial length-prefixed header. */
const headerSlack = (name: BuiltinCodecName) =>
  name === 'length-prefixed' ? LENGTH_PREFIX_BYTES : 0;

interface Outcome {
  frames: Buffer[];
  error?: string;
}

/** Pushes every chunk then ends, checking the buffer bound after each step; stops at an error. */
function feed(name: BuiltinCodecName, chunks: Buffer[], maxFrameBytes: number): Outcome {
  const decoder = getCodec(name).createDecoder({ maxFrameBytes });
  const frames: Buffer[] = [];
  const steps = [...chunks.map((chunk) => () => decoder.push(chunk)), () => decoder.end()];
  for (const step of steps) {
    let out: Buffer[] | undefined;
    try {
      out = step() ?? [];
    } catch (error) {
      // Anything but a SwitchyardError fails the property here, with the error in the report.
      if (!isSwitchyardError(error)) throw error;
      return { frames, error: error.code };
    }
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(maxFrameBytes + headerSlack(name));
    for (const frame of out) {
      if (name !== 'raw') expect(frame.length).toBeLessThanOrEqual(maxFrameBytes);
      frames.push(Buffer.from(frame));
    }
  }
  return { frames };
}

describe.each(codecNames)('%s decoder fed random bytes', (name) => {
  const limit = fc.integer({ min: 0, max: 48 });
  const chunks = fc.array(framingBytes(40), { maxLength: 10 });

  test('yields frames or throws a SwitchyardError, never buffering past the limit', () => {
    fc.assert(
      fc.property(limit, chunks, (maxFrameBytes, sent) => {
        feed(
          name,
          sent.map((bytes) => Buffer.from(bytes)),
          maxFrameBytes,
        );
      }),
      RUNS,
    );
  });

  test('fails or succeeds the same way however the bytes are cut', () => {
    fc.assert(
      fc.property(limit, framingBytes(200), cutOffsets, (maxFrameBytes, bytes, offsets) => {
        const stream = Buffer.from(bytes);
        const bytewise = feed(name, singleBytes(stream), maxFrameBytes);
        const cut = feed(name, cutAt(stream, offsets), maxFrameBytes);
        expect(cut.error).toBe(bytewise.error);
        if (name === 'raw') {
          expect(Buffer.concat(cut.frames)).toEqual(stream);
        } else if (cut.error === undefined) {
          expect(cut.frames).toEqual(bytewise.frames);
        } else {
          // A push that throws returns nothing, so frames completed earlier in that very chunk
          // are lost: what a cut stream yields is a prefix of what a bytewise one does.
          expect(bytewise.frames.slice(0, cut.frames.length)).toEqual(cut.frames);
        }
      }),
      RUNS,
    );
  });
});

describe.each(['lines', 'length-prefixed'] as const)('%s decoder end()', (name) => {
  const codec = getCodec(name);

  test('throws SWITCHYARD_ERR_TRUNCATED_FRAME exactly when a partial frame is left', () => {
    fc.assert(
      fc.property(framesOf[name], fc.nat(), cutOffsets, (sent, at, offsets) => {
        const stream = encodeAll(codec, sent);
        const boundaries = new Set([0]);
        let offset = 0;
        for (const frame of sent) boundaries.add((offset += codec.encode(frame).length));
        const prefix = stream.subarray(0, at % (stream.length + 1));

        const decoder = codec.createDecoder();
        let decoded = 0;
        for (const chunk of cutAt(prefix, offsets)) decoded += decoder.push(chunk).length;
        const error = thrownBy(() => decoder.end());

        if (boundaries.has(prefix.length)) {
          expect(error).toBeUndefined();
          expect(decoder.bufferedBytes).toBe(0);
        } else {
          expect(isSwitchyardError(error, 'SWITCHYARD_ERR_TRUNCATED_FRAME')).toBe(true);
        }
        expect(decoded).toBe([...boundaries].filter((b) => b > 0 && b <= prefix.length).length);
      }),
      RUNS,
    );
  });

  test('does not throw at the end of an empty stream', () => {
    expect(() => codec.createDecoder().end()).not.toThrow();
  });
});

describe('length-prefixed limits', () => {
  test('rejects an oversized declared length as soon as the header is complete', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 1 << 20 })
          .chain((limit) =>
            fc.tuple(fc.constant(limit), fc.integer({ min: limit + 1, max: 0xffff_ffff })),
          ),
        fc.boolean(),
        ([maxFrameBytes, declared], bytewise) => {
          const header = Buffer.alloc(LENGTH_PREFIX_BYTES);
          header.writeUInt32BE(declared);
          const decoder = lengthPrefixedCodec.createDecoder({ maxFrameBytes });
          // No payload byte is sent: the header alone must be enough to fail.
          const chunks = bytewise ? singleBytes(header) : [header];
          const last = chunks.pop()!;
          for (const chunk of chunks) expect(decoder.push(chunk)).toEqual([]);
          const error = thrownBy(() => decoder.push(last));
          expect(error).toBeInstanceOf(FrameTooLargeError);
          expect(error).toMatchObject({
            code: 'SWITCHYARD_ERR_FRAME_TOO_LARGE',
            frameBytes: declared,
            maxFrameBytes,
          });
        },
      ),
      RUNS,
    );
  });

  test('accepts a frame of exactly the limit', () => {
    const frame = Buffer.alloc(10, 1);
    const decoder = lengthPrefixedCodec.createDecoder({ maxFrameBytes: 10 });
    expect(decoder.push(lengthPrefixedCodec.encode(frame))).toEqual([frame]);
  });

  test('defaults the limit to 1 MiB', () => {
    const header = (declared: number) => {
      const bytes = Buffer.alloc(LENGTH_PREFIX_BYTES);
      bytes.writeUInt32BE(declared);
      return bytes;
    };
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(1024 * 1024);
    expect(lengthPrefixedCodec.createDecoder().push(header(DEFAULT_MAX_FRAME_BYTES))).toEqual([]);
    const error = thrownBy(() =>
      lengthPrefixedCodec.createDecoder().push(header(DEFAULT_MAX_FRAME_BYTES + 1)),
    );
    expect(isSwitchyardError(error, 'SWITCHYARD_ERR_FRAME_TOO_LARGE')).toBe(true);
  });
});

describe('lines limits', () => {
  test('rejects an over-long line before its newline arrives', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.nat({ max: 64 }),
        cutOffsets,
        (maxFrameBytes, extra, offsets) => {
          // More than `maxFrameBytes` bytes and no newline yet: the line cannot fit.
          const partial = Buffer.alloc(maxFrameBytes + 1 + extra, 0x61);
          const decoder = linesCodec.createDecoder({ maxFrameBytes });
          let pushed = 0;
          let error: unknown;
          for (const chunk of cutAt(partial, offsets)) {
            error = thrownBy(() => decoder.push(chunk));
            pushed += chunk.length;
            if (error) break;
            expect(pushed).toBeLessThanOrEqual(maxFrameBytes);
            expect(decoder.bufferedBytes).toBeLessThanOrEqual(maxFrameBytes);
          }
          expect(isSwitchyardError(error, 'SWITCHYARD_ERR_FRAME_TOO_LARGE')).toBe(true);
          expect(pushed).toBeGreaterThan(maxFrameBytes);
        },
      ),
      RUNS,
    );
  });

  test('accepts a line of exactly the limit (the newline not counted), split into single bytes', () => {
    const wire = Buffer.from('abcdefghi\n');
    const decoder = linesCodec.createDecoder({ maxFrameBytes: wire.length - 1 });
    const frames = singleBytes(wire).flatMap((byte) => decoder.push(byte));
    expect(frames).toEqual([Buffer.from('abcdefghi')]);
  });

  test('rejects a complete line one byte over the limit', () => {
    const decoder = linesCodec.createDecoder({ maxFrameBytes: 3 });
    const error = thrownBy(() => decoder.push(Buffer.from('abcd\n')));
    expect(error).toMatchObject({ code: 'SWITCHYARD_ERR_FRAME_TOO_LARGE', frameBytes: 4 });
  });
});

describe.each(codecNames)('%s createDecoder', (name) => {
  test.each([Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY])(
    'rejects maxFrameBytes %s with SWITCHYARD_ERR_INVALID_OPTION',
    (maxFrameBytes) => {
      const error = thrownBy(() => getCodec(name).createDecoder({ maxFrameBytes }));
      expect(isSwitchyardError(error, 'SWITCHYARD_ERR_INVALID_OPTION')).toBe(true);
    },
  );
});
