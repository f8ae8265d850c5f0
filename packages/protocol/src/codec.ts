import {
  FrameTooLargeError,
  InvalidOptionError,
  MalformedFrameError,
  TruncatedFrameError,
  UnknownCodecError,
} from './errors.js';
import { PendingBytes } from './pending-bytes.js';

/** Names of the built-in codecs. */
export type BuiltinCodecName = 'raw' | 'lines' | 'length-prefixed';

export const codecNames: readonly BuiltinCodecName[] = Object.freeze([
  'raw',
  'lines',
  'length-prefixed',
]);

/**
 * Default `maxFrameBytes`: 1 MiB, the same as a connection's default buffer cap, so that with the
 * defaults a partial frame can never make a connection hold more than its cap (nginx's
 * `client_max_body_size` is 1m for the same reason). A larger frame must be asked for.
 */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

export interface DecoderLimits {
  /** Largest frame accepted, in bytes: the frame as the handler sees it, without framing bytes. */
  maxFrameBytes?: number;
}

/**
 * A streaming decoder: a state machine fed with chunks as they arrive.
 * Frames may be split across chunks and many frames may share one chunk.
 * Returned frames may be views into the pushed chunks, so a caller must not reuse a chunk's
 * memory after pushing it.
 */
export interface Decoder {
  /**
   * Feeds one chunk; returns the frames it completed (zero, one or many). Throws
   * `SWITCHYARD_ERR_FRAME_TOO_LARGE` past the limit and `SWITCHYARD_ERR_MALFORMED_FRAME` for bytes
   * that break the grammar; anything else it throws is reported as malformed, with it as `cause`.
   * After a throw the decoder is not used again: the connection is closed.
   */
  push(chunk: Buffer): Buffer[];
  /** Declares the end of the stream; throws `SWITCHYARD_ERR_TRUNCATED_FRAME` if a partial frame is left. */
  end(): void;
  /**
   * Bytes held for a frame not yet complete (framing bytes such as a header included). Above
   * zero exactly while a frame has started and not completed: a server times the frame from
   * then (`frameTimeoutMs`) and counts these bytes against the connection's buffer cap.
   */
  readonly bufferedBytes: number;
}

/**
 * A codec turns a byte stream into frames and a frame back into bytes: a decoder state machine
 * made per connection, and a stateless encoder. Any object of this shape is a codec; the built-in
 * `raw`, `lines` and `length-prefixed` are three of them, and a module whose default export is one
 * can be named wherever a codec is asked for (see {@link loadCodec}).
 *
 * The contract, which the conformance suite checks from outside:
 * - `encode(f)` then decoding gives back `f`, however the bytes are split or merged into reads;
 * - a frame is what the handler sees, without the framing bytes (no delimiter, no header);
 * - frames over `maxFrameBytes` are refused with `SWITCHYARD_ERR_FRAME_TOO_LARGE`, before more
 *   than about `maxFrameBytes` is buffered;
 * - `end()` with a partial frame held throws `SWITCHYARD_ERR_TRUNCATED_FRAME`.
 */
export interface Codec {
  /** For stats, errors and `context.codec`; nothing is decided by it. */
  readonly name: string;
  /**
   * Bytes a frame cannot contain (for `lines`, `\n`). Test and load tools keep them out of the
   * payloads they generate; `encode` throws `SWITCHYARD_ERR_MALFORMED_FRAME` for a frame with one.
   */
  readonly forbiddenBytes?: readonly number[];
  /**
   * Wire bytes that break the grammar, each enough on its own for the decoder to throw
   * `SWITCHYARD_ERR_MALFORMED_FRAME`. The conformance suite sends them; omit for a codec where
   * every byte sequence is a valid prefix (`lines`, `length-prefixed`).
   */
  readonly malformedExamples?: readonly Uint8Array[];
  /**
   * Declares that every chunk, as it arrived, is one frame and that decoding keeps no state
   * between chunks. A consumer may then skip the decoder and take each non-empty chunk as a
   * frame (server-core's `Connection` does: no decoder is created and nothing is allocated per
   * chunk). `createDecoder` must still return a decoder that behaves that way, for consumers that
   * use it. Omit it for any codec that buffers or splits.
   */
  readonly frameIsChunk?: true;
  /** Throws `SWITCHYARD_ERR_INVALID_OPTION` when `maxFrameBytes` is not a non-negative integer. */
  createDecoder(limits?: DecoderLimits): Decoder;
  /** The bytes that carry `frame` on the wire. */
  encode(frame: Uint8Array): Buffer;
}

/** The fields a {@link Codec} must have that are missing or of the wrong type; empty for a codec. */
export function codecProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return ['not an object'];
  const candidate = value as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof candidate.name !== 'string' || candidate.name === '')
    problems.push('name must be a non-empty string');
  if (typeof candidate.createDecoder !== 'function')
    problems.push('createDecoder must be a function');
  if (typeof candidate.encode !== 'function') problems.push('encode must be a function');
  if (
    candidate.forbiddenBytes !== undefined &&
    !(
      Array.isArray(candidate.forbiddenBytes) &&
      candidate.forbiddenBytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)
    )
  )
    problems.push('forbiddenBytes must be an array of byte values');
  if (
    candidate.malformedExamples !== undefined &&
    !(
      Array.isArray(candidate.malformedExamples) &&
      candidate.malformedExamples.every((b) => b instanceof Uint8Array)
    )
  )
    problems.push('malformedExamples must be an array of Uint8Array');
  return problems;
}

/** True when `value` has the shape of a {@link Codec}. */
export function isCodec(value: unknown): value is Codec {
  return codecProblems(value).length === 0;
}

const EMPTY: Buffer[] = [];

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Throws `SWITCHYARD_ERR_INVALID_OPTION` for a limit that is not a non-negative integer. */
function limitOf(limits: DecoderLimits | undefined): number {
  const limit = limits?.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  // NaN or a fraction would silently disable or skew every comparison against the limit.
  if (!Number.isInteger(limit) || limit < 0) {
    throw new InvalidOptionError(
      'maxFrameBytes',
      `expected a non-negative integer, got ${String(limit)}`,
    );
  }
  return limit;
}

/**
 * RFC 862 echo: no framing. Every chunk is a frame, passed through as it arrived. Nothing is
 * buffered, so `maxFrameBytes` is only validated: a frame is as large as one read.
 */
export const rawCodec: Codec = {
  name: 'raw',
  frameIsChunk: true,
  createDecoder(limits) {
    limitOf(limits);
    return {
      push: (chunk) => (chunk.length === 0 ? EMPTY : [chunk]),
      end() {},
      bufferedBytes: 0,
    };
  },
  encode: asBuffer,
};

const NEWLINE = 0x0a;

class LinesDecoder implements Decoder {
  private readonly pending = new PendingBytes();

  constructor(private readonly maxFrameBytes: number) {}

  get bufferedBytes(): number {
    return this.pending.length;
  }

  push(chunk: Buffer): Buffer[] {
    let frames = EMPTY;
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline === -1) break;
      const frameBytes = this.pending.length + newline - start;
      if (frameBytes > this.maxFrameBytes)
        throw new FrameTooLargeError(frameBytes, this.maxFrameBytes);
      if (frames === EMPTY) frames = [];
      frames.push(this.pending.take(chunk.subarray(start, newline)));
      start = newline + 1;
    }
    if (start < chunk.length) {
      const partialBytes = this.pending.length + chunk.length - start;
      // A partial line already past the limit can never become a valid frame: fail now rather
      // than buffer until the newline.
      if (partialBytes > this.maxFrameBytes) {
        throw new FrameTooLargeError(partialBytes, this.maxFrameBytes);
      }
      this.pending.add(chunk.subarray(start));
    }
    return frames;
  }

  end(): void {
    if (this.pending.length > 0) throw new TruncatedFrameError(this.pending.length);
  }
}

/**
 * Newline-delimited frames. A frame is the line without its `\n` (as tokio's `LinesCodec` and
 * Netty's line decoder give it); the encoder adds the `\n`, so an echo is byte-exact. `\r` is
 * left in the frame: stripping it would make the echo of `a\r\n` differ from what was sent.
 */
export const linesCodec: Codec = {
  name: 'lines',
  forbiddenBytes: [NEWLINE],
  createDecoder: (limits) => new LinesDecoder(limitOf(limits)),
  encode(frame) {
    if (frame.includes(NEWLINE)) {
      throw new MalformedFrameError('a lines frame cannot contain a newline');
    }
    const out = Buffer.allocUnsafe(frame.length + 1);
    out.set(frame, 0);
    out[frame.length] = NEWLINE;
    return out;
  },
};

/** Bytes in a `length-prefixed` header. */
export const LENGTH_PREFIX_BYTES = 4;

class LengthPrefixedDecoder implements Decoder {
  private readonly header = Buffer.alloc(LENGTH_PREFIX_BYTES);
  private headerFilled = 0;
  /** Payload bytes still missing for the current frame, or -1 while reading a header. */
  private payloadMissing = -1;
  private readonly pending = new PendingBytes();

  constructor(private readonly maxFrameBytes: number) {}

  /** The header counts until its frame completes: a frame has started once its first byte came. */
  get bufferedBytes(): number {
    return (
      (this.payloadMissing === -1 ? this.headerFilled : LENGTH_PREFIX_BYTES) + this.pending.length
    );
  }

  push(chunk: Buffer): Buffer[] {
    let frames = EMPTY;
    let offset = 0;
    while (offset < chunk.length || this.payloadMissing === 0) {
      if (this.payloadMissing === -1) {
        // Fast path: a whole header inside this chunk needs no copy.
        let declared: number;
        if (this.headerFilled === 0 && chunk.length - offset >= LENGTH_PREFIX_BYTES) {
          declared = chunk.readUInt32BE(offset);
          offset += LENGTH_PREFIX_BYTES;
        } else {
          const copied = chunk.copy(
            this.header,
            this.headerFilled,
            offset,
            offset + LENGTH_PREFIX_BYTES - this.headerFilled,
          );
          this.headerFilled += copied;
          offset += copied;
          if (this.headerFilled < LENGTH_PREFIX_BYTES) break;
          declared = this.header.readUInt32BE(0);
          this.headerFilled = 0;
        }
        if (declared > this.maxFrameBytes)
          throw new FrameTooLargeError(declared, this.maxFrameBytes);
        this.payloadMissing = declared;
      }
      const available = Math.min(this.payloadMissing, chunk.length - offset);
      const piece = chunk.subarray(offset, offset + available);
      offset += available;
      this.payloadMissing -= available;
      if (this.payloadMissing > 0) {
        this.pending.add(piece);
        break;
      }
      if (frames === EMPTY) frames = [];
      frames.push(this.pending.take(piece));
      this.payloadMissing = -1;
    }
    return frames;
  }

  end(): void {
    const buffered = this.bufferedBytes;
    if (buffered > 0 || this.payloadMissing > 0) throw new TruncatedFrameError(buffered);
  }
}

/** A 4-byte unsigned big-endian length, then that many payload bytes. The frame is the payload. */
export const lengthPrefixedCodec: Codec = {
  name: 'length-prefixed',
  createDecoder: (limits) => new LengthPrefixedDecoder(limitOf(limits)),
  encode(frame) {
    const out = Buffer.allocUnsafe(LENGTH_PREFIX_BYTES + frame.length);
    out.writeUInt32BE(frame.length, 0);
    out.set(frame, LENGTH_PREFIX_BYTES);
    return out;
  },
};

const codecs: Readonly<Record<BuiltinCodecName, Codec>> = {
  raw: rawCodec,
  lines: linesCodec,
  'length-prefixed': lengthPrefixedCodec,
};

/** Looks a built-in codec up by name; throws `SWITCHYARD_ERR_UNKNOWN_CODEC`. */
export function getCodec(name: string): Codec {
  const codec = Object.hasOwn(codecs, name) ? codecs[name as BuiltinCodecName] : undefined;
  if (!codec) throw new UnknownCodecError(name);
  return codec;
}

/** True for the names of built-in codecs. */
export function isCodecName(name: string): name is BuiltinCodecName {
  return Object.hasOwn(codecs, name);
}
