// Netstrings (D. J. Bernstein, https://cr.yp.to/proto/netstrings.txt): `5:hello,` is the frame
// `hello`. A decimal length (no leading zeros, except the length `0` itself), a colon, that many
// bytes, a comma. A Switchyard codec written against the public API only, as a plain ES module so
// that worker threads and the CLI load it without a build step: name it wherever a codec is asked
// for (`codec: './examples/netstring/codec.mjs'`, `--codec ./examples/netstring/codec.mjs`).
import {
  DEFAULT_MAX_FRAME_BYTES,
  FrameTooLargeError,
  InvalidOptionError,
  MalformedFrameError,
  PendingBytes,
  TruncatedFrameError,
} from '@switchyard/protocol';

/** @typedef {import('@switchyard/protocol').Codec} Codec */
/** @typedef {import('@switchyard/protocol').Decoder} Decoder */
/** @typedef {import('@switchyard/protocol').DecoderLimits} DecoderLimits */

const COLON = 0x3a;
const COMMA = 0x2c;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * Digits a length may have. Ten digits already declare more than 9 GB, past any buffer Node can
 * allocate, so an eleventh is refused whatever `maxFrameBytes` says; it also keeps the length an
 * exact integer.
 */
export const MAX_LENGTH_DIGITS = 10;

/** @type {Buffer[]} */
const NO_FRAMES = [];
const EMPTY = Buffer.alloc(0);

/**
 * Where the decoder is in the grammar:
 * `length` reading digits, `payload` reading the bytes the length declared, `comma` expecting the
 * comma that closes the frame.
 * @typedef {'length' | 'payload' | 'comma'} DecoderState
 */

/** @param {string} message */
function malformed(message) {
  return new MalformedFrameError(`netstring: ${message}`);
}

/** @param {number} byte */
function describeByte(byte) {
  return byte >= 0x20 && byte < 0x7f
    ? `"${String.fromCharCode(byte)}"`
    : `0x${byte.toString(16).padStart(2, '0')}`;
}

/**
 * @param {DecoderLimits | undefined} limits
 * @returns {number}
 */
function maxFrameBytesOf(limits) {
  const limit = limits?.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new InvalidOptionError(
      'maxFrameBytes',
      `expected a non-negative integer, got ${String(limit)}`,
    );
  }
  return limit;
}

/**
 * The decoder: a state machine fed chunk by chunk. A frame whose payload lies inside one chunk
 * is handed out as a view into it; a payload that spans chunks is held by `PendingBytes` and
 * joined once, when its comma arrives: long pieces stay views, short ones are copied as they
 * arrive, so a payload dribbled one byte per TCP segment is a few buffers and not a million.
 * @implements {Decoder}
 */
class NetstringDecoder {
  /** @type {DecoderState} */
  state = 'length';
  /** The length read so far (state `length`), then the declared length of the frame. */
  declared = 0;
  /** Digits of the length read so far. */
  digits = 0;
  /** Payload bytes not yet arrived (state `payload`). */
  missing = 0;
  /** The payload's pieces so far, but the last. */
  payload = new PendingBytes();
  /**
   * The payload's last piece, once it has all arrived: handed to `take` as it is, uncopied.
   * @type {Buffer}
   */
  last = EMPTY;

  /** @param {number} maxFrameBytes */
  constructor(maxFrameBytes) {
    this.maxFrameBytes = maxFrameBytes;
  }

  get bufferedBytes() {
    // Length digits and the colon count as held: they belong to a frame not yet complete.
    const header = this.state === 'length' ? this.digits : this.digits + 1;
    return header + this.payload.length + this.last.length;
  }

  /**
   * @param {Buffer} chunk
   * @returns {Buffer[]}
   */
  push(chunk) {
    let frames = NO_FRAMES;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.state === 'length') {
        offset = this.readLength(chunk, offset);
      } else if (this.state === 'payload') {
        const take = Math.min(this.missing, chunk.length - offset);
        const piece = chunk.subarray(offset, offset + take);
        offset += take;
        this.missing -= take;
        if (this.missing > 0) {
          this.payload.add(piece);
        } else {
          this.last = piece;
          this.state = 'comma';
        }
      } else {
        const byte = chunk[offset++];
        if (byte !== COMMA) {
          throw malformed(
            `expected "," after the ${this.declared}-byte payload, got ${describeByte(/** @type {number} */ (byte))}`,
          );
        }
        if (frames === NO_FRAMES) frames = [];
        frames.push(this.takeFrame());
      }
    }
    return frames;
  }

  /**
   * Reads length digits from `offset` up to the colon or the end of the chunk.
   * @param {Buffer} chunk
   * @param {number} offset
   * @returns {number} the offset after what was read
   */
  readLength(chunk, offset) {
    while (offset < chunk.length) {
      const byte = /** @type {number} */ (chunk[offset++]);
      if (byte === COLON) {
        if (this.digits === 0) throw malformed('expected a length before ":"');
        this.missing = this.declared;
        this.state = this.missing === 0 ? 'comma' : 'payload';
        return offset;
      }
      if (byte < ZERO || byte > NINE) {
        throw malformed(`expected a digit or ":" in the length, got ${describeByte(byte)}`);
      }
      if (this.digits === 1 && this.declared === 0) {
        throw malformed('a length has no leading zeros');
      }
      this.declared = this.declared * 10 + (byte - ZERO);
      this.digits++;
      // Refused as soon as the digits say so, before the colon: nothing of the payload is read.
      // The error names the length read so far, the least the frame would have been.
      if (this.declared > this.maxFrameBytes) {
        throw new FrameTooLargeError(this.declared, this.maxFrameBytes);
      }
      if (this.digits > MAX_LENGTH_DIGITS) {
        throw malformed(`a length has at most ${MAX_LENGTH_DIGITS} digits`);
      }
    }
    return offset;
  }

  /** The payload as one buffer, and the decoder back at the start of a frame. */
  takeFrame() {
    const frame = this.payload.take(this.last);
    this.last = EMPTY;
    this.state = 'length';
    this.declared = 0;
    this.digits = 0;
    return frame;
  }

  end() {
    if (this.state !== 'length' || this.digits > 0) {
      throw new TruncatedFrameError(this.bufferedBytes);
    }
  }
}

/** @type {Codec} */
const netstringCodec = {
  name: 'netstring',
  // Each one alone makes the decoder throw SWITCHYARD_ERR_MALFORMED_FRAME; the conformance suite
  // sends them. Any byte may appear in a payload, so there are no forbidden bytes.
  malformedExamples: Object.freeze([
    Buffer.from('hello'), // not a digit where the length starts
    Buffer.from('05:hello,'), // a leading zero
    Buffer.from('5hello,'), // no colon after the length
    Buffer.from(':hello,'), // no length at all
    Buffer.from('5:hello!'), // no comma after the payload
  ]),
  createDecoder: (limits) => new NetstringDecoder(maxFrameBytesOf(limits)),
  encode(frame) {
    const header = `${frame.length}:`;
    const out = Buffer.allocUnsafe(header.length + frame.length + 1);
    out.write(header, 0, 'latin1');
    out.set(frame, header.length);
    out[out.length - 1] = COMMA;
    return out;
  },
};

export default netstringCodec;
