/**
 * Reusable shared memory for the bytes offload moves between the main thread and a worker.
 *
 * Why: a fresh ArrayBuffer per message (and a copy per reply on the main thread) each count as
 * V8 external memory, and external memory allocated since the last full GC eats into the old
 * generation's headroom: at 10 KiB payloads the main isolate ran an incremental Mark-Compact
 * every few hundred requests for that alone (docs/benchmarks.md, 2026-12-07). A ring allocated
 * once is counted once.
 */

import { packBytes } from './messages.js';

/** Bytes at the start of the shared buffer for the count of free bytes. */
const CONTROL_BYTES = 8;

/** A region handed out: where its bytes start, and what it takes from the ring (with any skip). */
export interface RingRegion {
  readonly at: number;
  readonly size: number;
}

/**
 * A SharedArrayBuffer that one thread (the producer) hands out in regions and the other (the
 * consumer) gives back in the order they were handed out. The only shared state is the count of
 * free bytes (atomic); because regions come back in order, the free bytes are always the one gap
 * from the producer's head to the oldest region still held. A region never wraps: the end of the
 * ring too short for it is skipped and counted in its size. When there is no room the producer
 * falls back to a fresh buffer, so a region held for long (a reply waiting on a slow socket) costs
 * speed, never correctness or memory beyond the ring.
 */
export class ByteRing {
  readonly data: Uint8Array;
  private readonly free: Int32Array;
  /** Producer side only: where the next region starts. */
  private head = 0;

  constructor(readonly shared: SharedArrayBuffer) {
    this.free = new Int32Array(shared, 0, 1);
    this.data = new Uint8Array(shared, CONTROL_BYTES);
  }

  /** A new ring with `capacity` bytes for data, all free. */
  static create(capacity: number): ByteRing {
    const ring = new ByteRing(new SharedArrayBuffer(CONTROL_BYTES + capacity));
    Atomics.store(ring.free, 0, capacity);
    return ring;
  }

  /** Producer: `length` contiguous bytes, or undefined when the ring has no room for them now. */
  reserve(length: number): RingRegion | undefined {
    const capacity = this.data.length;
    let at = this.head;
    let skip = 0;
    if (at + length > capacity) {
      skip = capacity - at;
      at = 0;
    }
    const size = skip + length;
    if (size > Atomics.load(this.free, 0)) return undefined;
    Atomics.sub(this.free, 0, size);
    this.head = at + length;
    return { at, size };
  }

  /** Consumer: gives back the oldest region still held. */
  release(size: number): void {
    Atomics.add(this.free, 0, size);
  }

  /** Bytes free now (for tests and stats). */
  get available(): number {
    return Atomics.load(this.free, 0);
  }

  /** The `index`-th byte string of a region packed with `ends` (relative to the region's data). */
  view(at: number, ends: readonly number[], index: number): Buffer {
    const start = index === 0 ? 0 : ends[index - 1]!;
    return Buffer.from(this.shared, CONTROL_BYTES + at + start, ends[index]! - start);
  }

  /** Copies `parts` one after another from `at`; returns their end offsets. */
  write(at: number, parts: readonly Uint8Array[]): number[] {
    const ends = new Array<number>(parts.length);
    let offset = 0;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      this.data.set(part, at + offset);
      offset += part.length;
      ends[i] = offset;
    }
    return ends;
  }
}

/** Total bytes of `parts`. */
export function totalLength(parts: readonly Uint8Array[]): number {
  let total = 0;
  for (const part of parts) total += part.length;
  return total;
}

/**
 * Payloads this size or larger are worth a ring: below it, a fresh buffer per message is cheap
 * (external memory grows too slowly to start full GCs), while the ring's extra copy on the far
 * side and its bookkeeping cost 1-3 us a request. A constant, not `Buffer.poolSize`-based: the
 * pool is 8 KiB on Node 20 and 64 KiB on Node 26, and a pooled copy still grows external memory
 * by a slab every few copies.
 */
export const RING_MIN_BYTES = 4096;

/** True when `count` payloads of `total` bytes (one message) are worth a ring, on average. */
export function worthRing(count: number, total: number): boolean {
  return count > 0 && total >= RING_MIN_BYTES * count;
}

/**
 * One message's payloads, where the message carries them: written into `ring` at `region` (one it
 * reserved for them), or, without a region, packed into one ArrayBuffer to transfer.
 */
export function carry(
  parts: readonly Uint8Array[],
  ring: ByteRing | undefined,
  region: RingRegion | undefined,
): { ends: number[]; bytes: ArrayBuffer | undefined } {
  if (ring && region) return { ends: ring.write(region.at, parts), bytes: undefined };
  return packBytes(parts);
}

/** An answer whose replies sit in the reply ring: its region, and the replies not yet written. */
interface HeldAnswer {
  readonly size: number;
  owed: number;
}

/**
 * The main thread's side of the reply ring: replies lent to connections as views of the ring, and
 * each answer's region given back once every reply lent from it has been written to its socket.
 */
export class ReplyLender {
  private readonly held: HeldAnswer[] = [];

  constructor(readonly ring: ByteRing) {}

  /** An answer arrived in `size` bytes of the ring. Call {@link done} once lending from it ends. */
  arrived(size: number): HeldAnswer {
    const answer = { size, owed: 1 };
    this.held.push(answer);
    return answer;
  }

  /** One more of the answer's replies is out as a view. */
  lend(answer: HeldAnswer): void {
    answer.owed++;
  }

  /** A lent reply was written (or lending from the answer ended); regions go back in order. */
  done(answer: HeldAnswer): void {
    answer.owed--;
    while (this.held.length > 0 && this.held[0]!.owed === 0) {
      this.ring.release(this.held.shift()!.size);
    }
  }
}
