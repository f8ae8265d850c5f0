import fc from 'fast-check';
import type { Codec, DecoderLimits } from '../../src/index.js';

/** Feeds `chunks` in order, then ends the stream; returns every frame as a copy. */
export function decodeAll(codec: Codec, chunks: Iterable<Uint8Array>, limits?: DecoderLimits) {
  const decoder = codec.createDecoder(limits);
  const frames: Buffer[] = [];
  for (const chunk of chunks) {
    for (const frame of decoder.push(Buffer.from(chunk))) frames.push(Buffer.from(frame));
  }
  decoder.end();
  return frames;
}

/** The wire bytes of `frames`, one after the other. */
export function encodeAll(codec: Codec, frames: readonly Uint8Array[]): Buffer {
  return Buffer.concat(frames.map((frame) => codec.encode(frame)));
}

/** One chunk per byte. */
export function singleBytes(bytes: Buffer): Buffer[] {
  return Array.from(bytes, (byte) => Buffer.of(byte));
}

/** Cuts `bytes` at the given offsets (taken modulo its length + 1, sorted, repeats allowed). */
export function cutAt(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const points = offsets.map((offset) => offset % (bytes.length + 1)).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  return chunks;
}

/** Bytes biased towards the values framing cares about: 0 (small lengths) and `\n`. */
export const framingByte = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 255 }) },
  { weight: 2, arbitrary: fc.constant(0x0a) },
  { weight: 2, arbitrary: fc.constant(0) },
);

export const framingBytes = (maxLength: number) =>
  fc.array(framingByte, { maxLength }).map((bytes) => Uint8Array.from(bytes));

/** A line as `lines` frames it: no newline inside (the encoder adds the one at the end). */
export const line = fc
  .uint8Array({ maxLength: 40 })
  .map((bytes) => Buffer.from(bytes.map((b) => (b === 0x0a ? 0x0b : b))));

/** Frames as each framing codec gives them back (so that decode(encode(frames)) equals frames). */
export const framesOf = {
  lines: fc.array(line, { maxLength: 12 }),
  'length-prefixed': fc.array(
    fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
    { maxLength: 12 },
  ),
} as const;

/** Offsets at which to cut a stream; see {@link cutAt}. */
export const cutOffsets = fc.array(fc.nat(), { maxLength: 16 });

/** Runs `fn` and returns what it threw (undefined when it returned). */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** What `promise` rejects with; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
