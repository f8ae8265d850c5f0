import { type Codec, decoderFailure, type SwitchyardError } from '@switchyard/protocol';

/** What the codec's own decoder made of some bytes, fed to it in the chunks given. */
export interface LocalDecoding {
  /** Frames it completed before it stopped. */
  readonly frames: number;
  /** Bytes pushed when it stopped: all of them, or up to the end of the chunk that threw. */
  readonly pushed: number;
  /** What it threw (`push`, or `end` when asked for), as a server reports it; else undefined. */
  readonly error: SwitchyardError | undefined;
}

/**
 * Feeds `chunks` to a fresh decoder of `codec` with the server's frame limit, as a server would,
 * and stops at the first frame or the first throw. With `end`, declares the end of the stream
 * after the last chunk. The cases use it to know, from the codec alone, what a server must do
 * with bytes they are about to send: refuse them, and with which error.
 */
export function decodeLocally(
  codec: Codec,
  maxFrameBytes: number,
  chunks: Iterable<Buffer>,
  { end = false }: { end?: boolean } = {},
): LocalDecoding {
  let pushed = 0;
  try {
    const decoder = codec.createDecoder({ maxFrameBytes });
    for (const chunk of chunks) {
      pushed += chunk.length;
      const frames = decoder.push(chunk).length;
      if (frames > 0) return { frames, pushed, error: undefined };
    }
    if (end) decoder.end();
  } catch (error) {
    return { frames: 0, pushed, error: decoderFailure(error, codec.name) };
  }
  return { frames: 0, pushed, error: undefined };
}

/**
 * `bytes` as chunks that show where a decoder stops: its first `head` bytes one at a time, then
 * all but the last byte, then the last.
 */
export function* probingChunks(bytes: Buffer, head: number): Generator<Buffer> {
  const split = Math.min(head, bytes.length);
  for (let i = 0; i < split; i++) yield bytes.subarray(i, i + 1);
  if (split < bytes.length - 1) yield bytes.subarray(split, bytes.length - 1);
  if (split < bytes.length) yield bytes.subarray(Math.max(split, bytes.length - 1));
}

/** How the local decoder's outcome reads in a message. */
export function describeDecoding(decoding: LocalDecoding): string {
  if (decoding.error) return `${decoding.error.code} after ${decoding.pushed} bytes`;
  return decoding.frames > 0 ? `${decoding.frames} frame(s)` : 'no frame and no error';
}
