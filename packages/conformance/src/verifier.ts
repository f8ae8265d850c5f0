import type { ByteSource } from './bytes.js';

export type { ByteSource };

/** What one reply must be: its bytes, or a source that makes them on demand (long streams). */
export type ExpectedReply = Uint8Array | ByteSource;

/** Where the replies first went wrong, and how. */
export type ReplyMismatch =
  | {
      /** A byte differs from the one expected. */
      readonly kind: 'differs';
      /** Which reply, counted from 0 over everything this verifier was given. */
      readonly reply: number;
      /** Offset of the first wrong byte within that reply, and the reply's length. */
      readonly offset: number;
      readonly length: number;
      readonly expected: number;
      readonly actual: number;
      /** `reply 3: byte 17 of 1028 differs (expected 0x41 'A', got 0x61 'a')`. */
      readonly message: string;
    }
  | {
      /** Bytes arrived while no reply was expected. */
      readonly kind: 'unexpected';
      /** How many of them arrived in the chunk, and the first one. */
      readonly count: number;
      readonly actual: number;
      /** `received more than the 44 bytes expected (3 more, next byte 0x0a)`. */
      readonly message: string;
    };

/**
 * Checks a byte stream against the replies expected on it, in order, however the stream is
 * split into chunks. Bytes are compared where they lie, without copying or keeping them. The
 * first wrong byte is a {@link ReplyMismatch}, and it sticks: the stream is out of step after it.
 */
export class ReplyVerifier {
  private readonly queue: ExpectedReply[] = [];
  private head = 0;
  /** Bytes of the oldest pending reply already verified. */
  private offset = 0;
  /** Bytes of every reply ever expected, for messages. */
  private expectedTotal = 0;
  private verified = 0;
  private completed = 0;
  private failure: ReplyMismatch | undefined;

  /** Queues the next reply the stream must carry. */
  expect(reply: ExpectedReply): void {
    if (reply.length === 0) throw new RangeError('an expected reply must have at least one byte');
    this.queue.push(reply);
    this.expectedTotal += reply.length;
  }

  /** Replies expected and not yet complete. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Bytes that matched so far, over all replies. */
  get verifiedBytes(): number {
    return this.verified;
  }

  /** The first mismatch, once there was one. */
  get mismatch(): ReplyMismatch | undefined {
    return this.failure;
  }

  /**
   * Checks the next chunk of the stream; calls `onComplete` once for each reply it completes,
   * oldest first. Returns the mismatch at the first wrong byte (then and on every later call).
   */
  consume(chunk: Buffer, onComplete?: () => void): ReplyMismatch | undefined {
    if (this.failure) return this.failure;
    let position = 0;
    while (position < chunk.length) {
      const reply = this.queue[this.head];
      if (reply === undefined) return this.failUnexpected(chunk, position);
      const take = Math.min(reply.length - this.offset, chunk.length - position);
      if (!matches(reply, this.offset, chunk, position, take)) {
        return this.failDiffers(reply, chunk, position, take);
      }
      this.offset += take;
      this.verified += take;
      position += take;
      if (this.offset === reply.length) {
        this.offset = 0;
        this.head++;
        this.completed++;
        // Drop completed replies now and then, so a long-lived stream's queue stays short.
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue.splice(0, this.head);
          this.head = 0;
        }
        onComplete?.();
      }
    }
    return undefined;
  }

  private failDiffers(
    reply: ExpectedReply,
    chunk: Buffer,
    position: number,
    take: number,
  ): ReplyMismatch {
    const want = expectedBytes(reply, this.offset, take);
    const at = firstDifference(want, chunk.subarray(position, position + take));
    const offset = this.offset + at;
    const expected = want[at]!;
    const actual = chunk[position + at]!;
    // Name the reply only when there is more than one to tell apart.
    const which = this.expectedTotal > reply.length ? `reply ${this.completed + 1}: ` : '';
    return (this.failure = {
      kind: 'differs',
      reply: this.completed,
      offset,
      length: reply.length,
      expected,
      actual,
      message:
        `${which}byte ${offset} of ${reply.length} differs ` +
        `(expected ${describeByte(expected)}, got ${describeByte(actual)})`,
    });
  }

  private failUnexpected(chunk: Buffer, position: number): ReplyMismatch {
    const count = chunk.length - position;
    const actual = chunk[position]!;
    return (this.failure = {
      kind: 'unexpected',
      count,
      actual,
      message:
        `received more than the ${this.expectedTotal} bytes expected ` +
        `(${count} more, next byte ${describeByte(actual)})`,
    });
  }
}

/** The expected bytes `[offset, offset + length)` of a reply; a view when they are in memory. */
function expectedBytes(reply: ExpectedReply, offset: number, length: number): Uint8Array {
  return reply instanceof Uint8Array
    ? reply.subarray(offset, offset + length)
    : reply.slice(offset, offset + length);
}

/**
 * Whether `chunk[position, position + length)` is the reply's `[offset, offset + length)`. The
 * hot path of every load run: bytes in memory are compared in place, with nothing allocated.
 */
function matches(
  reply: ExpectedReply,
  offset: number,
  chunk: Buffer,
  position: number,
  length: number,
): boolean {
  if (reply instanceof Uint8Array) {
    return chunk.compare(reply, offset, offset + length, position, position + length) === 0;
  }
  return (
    chunk.compare(reply.slice(offset, offset + length), 0, length, position, position + length) ===
    0
  );
}

/** Index of the first byte where `a` and `b` differ over their common length, or -1. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  if (Buffer.compare(a.subarray(0, length), b.subarray(0, length)) === 0) return -1;
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** `0x41 'A'` style, for failure messages. */
function describeByte(byte: number | undefined): string {
  if (byte === undefined) return 'nothing';
  const hex = `0x${byte.toString(16).padStart(2, '0')}`;
  return byte >= 0x20 && byte < 0x7f ? `${hex} '${String.fromCharCode(byte)}'` : hex;
}
