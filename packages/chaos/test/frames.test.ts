import { type Codec, getCodec, isSwitchyardError } from '@switchyard/protocol';
import { describe, expect, it } from 'vitest';
import { fillerByte, garbage, oversizedFrame, partialFrame } from '../src/frames.js';

const lines = getCodec('lines');
const lengthPrefixed = getCodec('length-prefixed');

/** What a server's decoder makes of `bytes`: the frames, what it holds, or the error's code. */
function decode(codec: Codec, bytes: Buffer, maxFrameBytes: number) {
  const decoder = codec.createDecoder({ maxFrameBytes });
  try {
    return { frames: decoder.push(bytes).length, held: decoder.bufferedBytes };
  } catch (error) {
    return { code: isSwitchyardError(error) ? error.code : String(error) };
  }
}

describe('hostile frames', () => {
  it('fills frames with a byte the codec allows', () => {
    expect(fillerByte(lines)).toBe(0x78);
    const noX: Codec = { ...lines, forbiddenBytes: [0x0a, 0x78] };
    expect(fillerByte(noX)).toBe(0x79);
  });

  it('starts a frame and never finishes it, in every framed codec', () => {
    for (const codec of [lines, lengthPrefixed]) {
      const bytes = partialFrame(codec, 1000, 1024 * 1024);
      expect(bytes.length, codec.name).toBe(1000);
      // Everything sent is held for the frame (a length prefix, once read, as its declaration).
      const { frames, held } = decode(codec, bytes, 1024 * 1024);
      expect(frames, codec.name).toBe(0);
      expect(held, codec.name).toBeGreaterThanOrEqual(1000 - 4);
    }
  });

  it('keeps a partial frame within the server limit, so only the rest is missing', () => {
    // A length prefix declares the whole frame: it must not exceed the limit, or the server
    // would refuse the header instead of waiting for the payload.
    const bytes = partialFrame(lengthPrefixed, 100_000, 4096);
    expect(bytes.readUInt32BE(0)).toBe(4096);
    expect(decode(lengthPrefixed, bytes, 4096)).toMatchObject({ frames: 0 });
    expect(decode(lines, partialFrame(lines, 100_000, 4096), 4096)).toEqual({
      frames: 0,
      held: 4096,
    });
  });

  it('makes a frame one byte over the limit, which the decoder refuses', () => {
    for (const codec of [lines, lengthPrefixed]) {
      expect(decode(codec, oversizedFrame(codec, 4096), 4096), codec.name).toEqual({
        code: 'SWITCHYARD_ERR_FRAME_TOO_LARGE',
      });
    }
  });

  it("sends a codec's own malformed examples as garbage, and random bytes for one without", () => {
    const examples = [Buffer.from('x:'), Buffer.from('9999999999:')];
    const strict: Codec = { ...lines, malformedExamples: examples };
    expect([0, 1, 2].map((round) => garbage(strict, round).toString())).toEqual([
      'x:',
      '9999999999:',
      'x:',
    ]);
    const first = garbage(lines, 0);
    expect(first).toHaveLength(64);
    expect(garbage(lines, 1).equals(first)).toBe(false);
  });
});
