import { type CodecName, getCodec } from '@switchyard/protocol';

/**
 * Fills `target` with pseudo-random bytes from `seed` (xorshift32). Deterministic, so the bytes a
 * case expects can be rebuilt on the fly instead of being kept in memory beside what arrived.
 */
function fillPseudoRandom(target: Buffer, seed: number): Buffer {
  let state = seed >>> 0 || 0x9e3779b9;
  for (let offset = 0; offset < target.length; offset += 4) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    const remaining = target.length - offset;
    if (remaining >= 4) target.writeUInt32LE(state, offset);
    else for (let i = 0; i < remaining; i++) target[offset + i] = (state >>> (8 * i)) & 0xff;
  }
  return target;
}

/** Pseudo-random bytes of the given length. */
export function pseudoRandomBytes(length: number, seed: number): Buffer {
  return fillPseudoRandom(Buffer.allocUnsafe(length), seed);
}

/** Bytes a case expects on the wire, read by position, possibly generated lazily. */
export interface ByteSource {
  readonly length: number;
  /** The bytes in `[start, end)`. */
  slice(start: number, end: number): Buffer;
}

/** A {@link ByteSource} over bytes already in memory. */
export function bufferSource(bytes: Buffer): ByteSource {
  return { length: bytes.length, slice: (start, end) => bytes.subarray(start, end) };
}

/**
 * `count` blocks of equal length, each made on demand by `makeBlock(index)`. Used for the large
 * streams (16 MiB, 64 MiB): the sender and the verifier each build a block when they reach it.
 */
export class BlockSource implements ByteSource {
  readonly length: number;
  private cachedIndex = -1;
  private cached: Buffer = Buffer.alloc(0);

  constructor(
    readonly count: number,
    readonly blockLength: number,
    private readonly makeBlock: (index: number) => Buffer,
  ) {
    this.length = count * blockLength;
  }

  block(index: number): Buffer {
    if (index !== this.cachedIndex) {
      this.cached = this.makeBlock(index);
      this.cachedIndex = index;
    }
    return this.cached;
  }

  slice(start: number, end: number): Buffer {
    const first = Math.floor(start / this.blockLength);
    const last = Math.floor((end - 1) / this.blockLength);
    if (first === last) {
      const offset = first * this.blockLength;
      return this.block(first).subarray(start - offset, end - offset);
    }
    const parts: Buffer[] = [];
    for (let index = first; index <= last; index++) {
      const offset = index * this.blockLength;
      parts.push(
        Buffer.from(
          this.block(index).subarray(
            Math.max(0, start - offset),
            Math.min(this.blockLength, end - offset),
          ),
        ),
      );
    }
    return Buffer.concat(parts);
  }
}

/**
 * The wire bytes of one request carrying `payload` in `codec`, chosen so that an echo of it is
 * byte-identical: `raw` sends the payload as is, `lines` ends it with `\n`, `length-prefixed`
 * adds the 4-byte header.
 */
export function wireFrame(codec: CodecName, payload: Buffer): Buffer {
  if (codec === 'raw') return payload;
  return getCodec(codec).encode(payload);
}

/** The wire bytes of several requests back to back. */
export function wireFrames(codec: CodecName, payloads: readonly Buffer[]): Buffer {
  return Buffer.concat(payloads.map((payload) => wireFrame(codec, payload)));
}

/**
 * A stream of `count` pseudo-random frames of `payloadLength` bytes each, as wire bytes. Each
 * payload starts with its index, so a dropped, duplicated or reordered block shows up at the
 * first byte that moved.
 */
export function frameStream(
  codec: CodecName,
  count: number,
  payloadLength: number,
  seed: number,
): BlockSource {
  const base = pseudoRandomBytes(payloadLength, seed);
  const block = (index: number): Buffer => {
    const payload = Buffer.from(base);
    payload.writeUInt32BE(index, 0);
    payload.writeUInt32BE(seed >>> 0, 4);
    // `lines`: the block must end its own frame, whatever the random bytes are.
    if (codec === 'lines') payload[payload.length - 1] = 0x0a;
    return wireFrame(codec, payload);
  };
  // Measured on a real block: for `lines` the payload already ends its frame, so no byte is added.
  return new BlockSource(count, block(0).length, block);
}

/** Human size: `16 MiB`, `512 KiB`, `44 B`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}
