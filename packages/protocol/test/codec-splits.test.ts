import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  codecNames,
  getCodec,
  isCodecName,
  isSwitchyardError,
  LENGTH_PREFIX_BYTES,
  lengthPrefixedCodec,
  linesCodec,
  rawCodec,
} from '../src/index.js';
import {
  cutAt,
  cutOffsets,
  decodeAll,
  encodeAll,
  framesOf,
  framingBytes,
  singleBytes,
} from './support/streams.js';

const RUNS = { numRuns: 150 };

describe.each(['lines', 'length-prefixed'] as const)('%s codec', (name) => {
  const codec = getCodec(name);
  const frames = framesOf[name];

  test('decodes frames split into single bytes', () => {
    fc.assert(
      fc.property(frames, (sent) => {
        expect(decodeAll(codec, singleBytes(encodeAll(codec, sent)))).toEqual(sent);
      }),
      RUNS,
    );
  });

  test('decodes frames split at random cuts, including empty chunks', () => {
    fc.assert(
      fc.property(frames, cutOffsets, (sent, offsets) => {
        expect(decodeAll(codec, cutAt(encodeAll(codec, sent), offsets))).toEqual(sent);
      }),
      RUNS,
    );
  });

  test('decodes many frames merged in one chunk', () => {
    fc.assert(
      fc.property(frames, (sent) => {
        expect(decodeAll(codec, [encodeAll(codec, sent)])).toEqual(sent);
      }),
      RUNS,
    );
  });

  test('decodes each frame arriving in a chunk of its own', () => {
    fc.assert(
      fc.property(frames, (sent) => {
        expect(
          decodeAll(
            codec,
            sent.map((frame) => codec.encode(frame)),
          ),
        ).toEqual(sent);
      }),
      RUNS,
    );
  });

  test('round trips every frame through encode then decode', () => {
    fc.assert(
      fc.property(frames, (sent) => {
        for (const frame of sent) expect(decodeAll(codec, [codec.encode(frame)])).toEqual([frame]);
      }),
      RUNS,
    );
  });

  test('encodes a Uint8Array that is a view into a larger buffer', () => {
    const backing = new Uint8Array([1, 2, 0x61, 0x62, 0x63, 3]);
    const view = backing.subarray(2, 5);
    expect(decodeAll(codec, [codec.encode(view)])).toEqual([Buffer.from('abc')]);
  });
});

describe('lines codec', () => {
  test('hands over the line without its newline, as tokio and Netty do', () => {
    expect(decodeAll(linesCodec, [Buffer.from('who\nbc\n\n')])).toEqual([
      Buffer.from('who'),
      Buffer.from('bc'),
      Buffer.from(''),
    ]);
    expect(decodeAll(linesCodec, [Buffer.from('who\n')])[0]!.toString()).toBe('who');
  });

  test('keeps a carriage return, so the echo of a CRLF line is byte-exact', () => {
    const wire = Buffer.from('a\r\n');
    const [frame] = decodeAll(linesCodec, [wire]);
    expect(frame).toEqual(Buffer.from('a\r'));
    expect(linesCodec.encode(frame!)).toEqual(wire);
  });

  test('encode adds the newline', () => {
    expect(linesCodec.encode(Buffer.from('ab'))).toEqual(Buffer.from('ab\n'));
    expect(linesCodec.encode(Buffer.alloc(0))).toEqual(Buffer.from('\n'));
  });

  test('encode refuses a frame with a newline inside, which would frame as two', () => {
    for (const frame of ['a\nb', 'ab\n']) {
      expect(() => linesCodec.encode(Buffer.from(frame))).toThrow(
        expect.objectContaining({ code: 'SWITCHYARD_ERR_MALFORMED_FRAME' }),
      );
    }
    expect(linesCodec.forbiddenBytes).toEqual([0x0a]);
  });

  test('returns a frame inside one chunk as a view, without copying', () => {
    const chunk = Buffer.from('one\ntwo\n');
    const [first, second] = linesCodec.createDecoder().push(chunk);
    expect(first!.buffer).toBe(chunk.buffer);
    expect(second!.buffer).toBe(chunk.buffer);
  });
});

describe('length-prefixed codec', () => {
  test('writes a 4-byte unsigned big-endian length before the payload', () => {
    const wire = lengthPrefixedCodec.encode(Buffer.from('hey'));
    expect(wire).toEqual(Buffer.from([0, 0, 0, 3, 0x68, 0x65, 0x79]));
    expect(LENGTH_PREFIX_BYTES).toBe(4);
  });

  test('decodes zero-length frames, alone and between others', () => {
    const sent = [Buffer.alloc(0), Buffer.from('x'), Buffer.alloc(0), Buffer.alloc(0)];
    const wire = encodeAll(lengthPrefixedCodec, sent);
    expect(decodeAll(lengthPrefixedCodec, [wire])).toEqual(sent);
    expect(decodeAll(lengthPrefixedCodec, singleBytes(wire))).toEqual(sent);
  });

  test('decodes a header split across chunks at every offset', () => {
    const wire = encodeAll(lengthPrefixedCodec, [Buffer.from('abcdef'), Buffer.from('gh')]);
    for (let a = 0; a <= wire.length; a++) {
      for (let b = a; b <= wire.length; b++) {
        expect(decodeAll(lengthPrefixedCodec, cutAt(wire, [a, b]))).toEqual([
          Buffer.from('abcdef'),
          Buffer.from('gh'),
        ]);
      }
    }
  });
});

describe('raw codec', () => {
  const chunks = fc.array(framingBytes(64), { maxLength: 12 });

  test('declares frameIsChunk, which no framing codec does; its decoder agrees (below)', () => {
    expect(rawCodec.frameIsChunk).toBe(true);
    expect(linesCodec.frameIsChunk).toBeUndefined();
    expect(lengthPrefixedCodec.frameIsChunk).toBeUndefined();
  });

  test('passes every chunk through unchanged, as the same buffer', () => {
    fc.assert(
      fc.property(chunks, (sent) => {
        const decoder = rawCodec.createDecoder();
        for (const bytes of sent) {
          const chunk = Buffer.from(bytes);
          const out = decoder.push(chunk);
          if (chunk.length === 0) expect(out).toEqual([]);
          else {
            expect(out).toHaveLength(1);
            expect(out[0]).toBe(chunk);
          }
          expect(decoder.bufferedBytes).toBe(0);
        }
        decoder.end();
      }),
      RUNS,
    );
  });

  test('replies with the request stream byte for byte however it was cut', () => {
    fc.assert(
      fc.property(framingBytes(256), cutOffsets, (bytes, offsets) => {
        const stream = Buffer.from(bytes);
        const frames = decodeAll(rawCodec, cutAt(stream, offsets));
        expect(Buffer.concat(frames.map((frame) => rawCodec.encode(frame)))).toEqual(stream);
      }),
      RUNS,
    );
  });

  test('encodes a frame as its own bytes', () => {
    expect(rawCodec.encode(new Uint8Array([1, 2, 3]))).toEqual(Buffer.from([1, 2, 3]));
  });
});

describe('codec lookup', () => {
  test('finds every built-in codec by its name', () => {
    for (const name of codecNames) {
      expect(isCodecName(name)).toBe(true);
      expect(getCodec(name).name).toBe(name);
    }
  });

  test('rejects unknown names, including inherited property names', () => {
    for (const name of ['json', '', 'toString', '__proto__', 'constructor']) {
      expect(isCodecName(name)).toBe(false);
      let thrown: unknown;
      try {
        getCodec(name);
      } catch (error) {
        thrown = error;
      }
      expect(isSwitchyardError(thrown, 'SWITCHYARD_ERR_UNKNOWN_CODEC')).toBe(true);
    }
  });
});
