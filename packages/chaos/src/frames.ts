import { randomBytes } from 'node:crypto';
import type { Codec } from '@switchyard/protocol';

/** The byte hostile frames are filled with: `x`, or the first byte the codec allows. */
export function fillerByte(codec: Codec): number {
  const forbidden = new Set(codec.forbiddenBytes ?? []);
  for (let offset = 0; offset < 256; offset++) {
    const byte = (0x78 + offset) % 256;
    if (!forbidden.has(byte)) return byte;
  }
  throw new RangeError(`${codec.name} forbids every byte in a frame`);
}

/** A frame of `size` filler bytes, as the codec puts it on the wire. */
export function fillerFrame(codec: Codec, size: number): Buffer {
  return codec.encode(Buffer.alloc(size, fillerByte(codec)));
}

/**
 * The first `bytes` wire bytes of a frame that would be longer: a frame started and never
 * finished, in any codec where a frame has boundaries. The frame is sized to stay within
 * `maxFrameBytes`, so the server has no reason to refuse it, only to wait for the rest.
 */
export function partialFrame(codec: Codec, bytes: number, maxFrameBytes: number): Buffer {
  const wire = fillerFrame(codec, Math.max(1, Math.min(bytes + 1, maxFrameBytes)));
  // Every strict prefix of a frame is a frame not yet complete.
  return wire.subarray(0, Math.min(bytes, wire.length - 1));
}

/** A frame one byte over the server's limit, on the wire. */
export function oversizedFrame(codec: Codec, maxFrameBytes: number): Buffer {
  return fillerFrame(codec, maxFrameBytes + 1);
}

/**
 * Bytes that are no frame: the codec's own `malformedExamples` (each enough for its decoder to
 * throw), or random bytes for a codec where every byte sequence may begin a frame.
 */
export function garbage(codec: Codec, round: number): Buffer {
  const examples = codec.malformedExamples ?? [];
  if (examples.length === 0) return randomBytes(64);
  return Buffer.from(examples[round % examples.length]!);
}
