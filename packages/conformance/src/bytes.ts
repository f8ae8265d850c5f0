import type { Codec } from '@switchyard/protocol';

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
 * `count`/**
 * `count` blocks, each made on demand by `makeBlock(index)`. Used for the large streams (16 MiB,
 * 64 MiB): the sender and the verifier each build a block when they reach it. Blocks are of
 * equal length (`blockLength`), or of the lengths given, one per block.
 */
export class BlockSource implements ByteSource {
  readonly length: number;
  /** The length of every block, or of the largest when they differ. */
  readonly blockLength: number;
  /** Where each block starts, and the end; only when blocks differ in length. */
  private readonly starts: Float64Array | undefined;
  private cachedIndex = -1;
  private cached: Buffer = Buffer.alloc(0);

  constructor(
    readonly count: number,
    blockLengths: number | readonly number[],
    private readonly makeBlock: (index: number) => Buffer,
  ) {
    if (typeof blockLengths === 'number') {
      this.blockLength = blockLengths;
      this.length = count * blockLengths;
      this.starts = undefined;
    } else {
      const starts = new Float64Array(count + 1);
      for (let index = 0; index < count; index++)
        starts[index + 1] = starts[index]! + blockLengths[index]!;
      this.starts = starts;
      this.length = starts[count]!;
      this.blockLength = Math.max(0, ...blockLengths);
    }
  }

  block(index: number): Buffer {
    if (index !== this.cachedIndex) {
      this.cached = this.makeBlock(index);
      this.cachedIndex = index;
    }
    return this.cached;
  }

  /** Offset of the first byte of block `index` (or the length, for `index === count`). */
  start(index: number): number {
    return this.starts ? this.starts[index]! : index * this.blockLength;
  }

  /** The block holding byte `offset`. */
  indexAt(offset: number): number {
    const starts = this.starts;
    if (!starts) return Math.floor(offset / this.blockLength);
    let low = 0;
    let high = this.count - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (starts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** The end of the last whole block within the first `offset` bytes. */
  boundaryAtOrBefore(offset: number): number {
    if (offset >= this.length) return this.length;
    return this.start(this.indexAt(offset));
  }

  slice(start: number, end: number): Buffer {
    const first = this.indexAt(start);
    const last = this.indexAt(end - 1);
    if (first === last) {
      const offset = this.start(first);
      return this.block(first).subarray(start - offset, end - offset);
    }
    const parts: Buffer[] = [];
    for (let index = first; index <= last; index++) {
      const offset = this.start(index);
      const block = this.block(index);
      parts.push(
        Buffer.from(
          block.subarray(Math.max(0, start - offset), Math.min(block.length, end - offset)),
        ),
      );
    }
    return Buffer.concat(parts);
  }
}

/** Per codec: for each byte value, itself, or the next value the codec allows in a frame. */
const substitutions = new WeakMap<Codec, Uint8Array>();

function substitutionTable(codec: Codec): Uint8Array {
  let table = substitutions.get(codec);
  if (table) return table;
  const forbidden = new Set(codec.forbiddenBytes ?? []);
  if (forbidden.size >= 255) {
    throw new RangeError(`codec ${codec.name} forbids ${forbidden.size} of 256 byte values`);
  }
  table = new Uint8Array(256);
  for (let value = 0; value < 256; value++) {
    let substitute = value;
    while (forbidden.has(substitute)) substitute = (substitute + 1) & 0xff;
    table[value] = substitute;
  }
  substitutions.set(codec, table);
  return table;
}

/**
 * Replaces, in place, every byte `codec` forbids in a frame (its `forbiddenBytes`, `\n` for
 * `lines`) by the next value it allows. Returns `bytes`.
 */
export function withoutForbidden(codec: Codec, bytes: Buffer): Buffer {
  if (!codec.forbiddenBytes?.length) return bytes;
  const table = substitutionTable(codec);
  for (let i = 0; i < bytes.length; i++) bytes[i] = table[bytes[i]!]!;
  return bytes;
}

/** The byte values `codec` allows in a frame, ascending. */
function allowedBytes(codec: Codec): number[] {
  const forbidden = new Set(codec.forbiddenBytes ?? []);
  return Array.from({ length: 256 }, (_, value) => value).filter((value) => !forbidden.has(value));
}

/**
 * Writes `value` (32 bits) at `offset` as fixed-width digits drawn from the bytes `codec`
 * allows: distinct values stay distinct whatever the codec forbids. Returns the width.
 */
export function writeAllowedNumber(
  codec: Codec,
  target: Buffer,
  offset: number,
  value: number,
): number {
  const digits = allowedBytes(codec);
  const width = Math.ceil(32 / Math.log2(digits.length));
  let rest = value >>> 0;
  for (let i = width - 1; i >= 0; i--) {
    target[offset + i] = digits[rest % digits.length]!;
    rest = Math.floor(rest / digits.length);
  }
  return width;
}

/**
 * The wire bytes of one request carrying `payload`, made by the codec's own encoder: an echo of
 * them is byte-identical. A string is a label: bytes the codec forbids in it are replaced first.
 */
export function wireFrame(codec: Codec, payload: Uint8Array | string): Buffer {
  const frame =
    typeof payload === 'string' ? withoutForbidden(codec, Buffer.from(payload)) : payload;
  const wire = codec.encode(frame);
  return Buffer.isBuffer(wire) ? wire : Buffer.from(wire);
}

/** The wire bytes of several requests back to back. */
export function wireFrames(codec: Codec, payloads: readonly Uint8Array[]): Buffer {
  return Buffer.concat(payloads.map((payload) => wireFrame(codec, payload)));
}

/**
 * A stream of `count` pseudo-random frames of `payloadLength` bytes each, as wire bytes, with
 * only bytes the codec allows. Each payload starts with its index, so a dropped, duplicated or
 * reordered block shows up at the first byte that moved.
 */
export function frameStream(
  codec: Codec,
  count: number,
  payloadLength: number,
  seed: number,
): BlockSource {
  const base = withoutForbidden(codec, pseudoRandomBytes(payloadLength, seed));
  const block = (index: number): Buffer => {
    const payload = Buffer.from(base);
    const width = writeAllowedNumber(codec, payload, 0, index);
    writeAllowedNumber(codec, payload, width, seed);
    return wireFrame(codec, payload);
  };
  const lengths = [0, count >>> 1, count - 1].map((index) => block(index).length);
  if (lengths.every((length) => length === lengths[0])) {
    // The encoding's length depends on the payload's length only (as for every codec with a
    // header or a delimiter): checked on each block as it is made.
    const blockLength = lengths[0]!;
    return new BlockSource(count, blockLength, (index) => {
      const made = block(index);
      if (made.length !== blockLength) {
        throw new Error(
          `codec ${codec.name} encoded frame ${index} of ${payloadLength} bytes to ${made.length} bytes, frame 0 to ${blockLength}`,
        );
      }
      return made;
    });
  }
  // An encoding whose length depends on the bytes (escaping): measure every block once.
  return new BlockSource(
    count,
    Array.from({ length: count }, (_, index) => block(index).length),
    block,
  );
}

/** Human size: `16 MiB`, `512 KiB`, `44 B`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}
