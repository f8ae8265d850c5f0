/**
 * Offload's reply ring: a worker's finished replies in shared memory, where the main thread picks
 * them up whenever it is awake anyway (it reads the rings at the end of every turn that decoded
 * requests). A message to the main thread wakes it, and on a small VM a wakeup costs tens of
 * microseconds of CPU; with the ring, a worker sends one only when a reply has waited longer
 * than the merge budget or when it runs out of work with replies still unread.
 *
 * One producer (the worker), one consumer (the main thread). Fixed slots, so there is no
 * wrap-around inside a reply: a reply larger than a slot, or one that finds every slot unread,
 * goes by message as before. Counters are Int32 and wrap; the slot count is a power of two, so
 * `counter % slots` stays continuous across the wrap.
 */

/** Slots per worker: more than a worker finishes between two reads of a busy main thread. */
export const REPLY_RING_SLOTS = 64;
/** Payload bytes per slot: a 1 KiB echo fits, bulk replies go by message. */
export const REPLY_RING_SLOT_BYTES = 8192;

// Control words (Int32): replies written, replies read, batches done, batches done seen by the
// main thread, and whether the worker should use the ring at all (set by the main thread).
const WRITTEN = 0;
const READ = 1;
const BATCHES_DONE = 2;
const BATCHES_SEEN = 3;
const IN_USE = 4;
const CONTROL_BYTES = 64;
// Slot header (Float64): request id, reply length, handler microseconds.
const HEADER_BYTES = 24;
const SLOT_STRIDE = HEADER_BYTES + REPLY_RING_SLOT_BYTES;

/** A reply read from the ring. */
export interface RingReply {
  readonly requestId: number;
  /** A copy: the slot is reused once read. */
  readonly reply: Buffer;
  readonly runMicros: number;
}

/** One worker's reply ring, seen from either side: each thread makes its own over the memory. */
export class ReplyRing {
  private readonly control: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly headers: Float64Array;
  /** The main thread's last {@link use} setting, to skip storing an unchanged one. */
  private inUse: boolean | undefined;
  /** The worker's side: when the reply in each slot was written (its own clock, not shared). */
  private readonly writtenAt = new Float64Array(REPLY_RING_SLOTS);

  /** The shared memory of a new, empty ring; give it to the worker with its start data. */
  static allocate(): SharedArrayBuffer {
    return new SharedArrayBuffer(CONTROL_BYTES + REPLY_RING_SLOTS * SLOT_STRIDE);
  }

  constructor(readonly shared: SharedArrayBuffer) {
    this.control = new Int32Array(shared, 0, CONTROL_BYTES / 4);
    this.bytes = new Uint8Array(shared, CONTROL_BYTES);
    this.headers = new Float64Array(shared, CONTROL_BYTES);
  }

  // ---- the worker's side --------------------------------------------------------------------

  /** Replies written and not yet read by the main thread. */
  get unread(): number {
    return (Atomics.load(this.control, WRITTEN) - Atomics.load(this.control, READ)) | 0;
  }

  /**
   * When the oldest reply the main thread has not read yet was written (the `now` given to
   * {@link tryWrite}); Infinity when it has read them all.
   */
  get oldestUnreadSince(): number {
    if (this.unread === 0) return Number.POSITIVE_INFINITY;
    return this.writtenAt[(Atomics.load(this.control, READ) >>> 0) % REPLY_RING_SLOTS]!;
  }

  /**
   * Writes a reply, finished at `now` (any clock the worker uses for {@link oldestUnreadSince}),
   * if the ring is in use, the reply fits a slot and a slot is free; false means send it by
   * message.
   */
  tryWrite(requestId: number, reply: Uint8Array, runMicros: number, now: number): boolean {
    if (Atomics.load(this.control, IN_USE) === 0) return false;
    if (reply.length > REPLY_RING_SLOT_BYTES || this.unread >= REPLY_RING_SLOTS) return false;
    const written = Atomics.load(this.control, WRITTEN);
    const slot = (written >>> 0) % REPLY_RING_SLOTS;
    const header = (slot * SLOT_STRIDE) / 8;
    this.headers[header] = requestId;
    this.headers[header + 1] = reply.length;
    this.headers[header + 2] = runMicros;
    this.bytes.set(reply, slot * SLOT_STRIDE + HEADER_BYTES);
    this.writtenAt[slot] = now;
    // Publishes the slot: the plain writes above happen before this store.
    Atomics.store(this.control, WRITTEN, (written + 1) | 0);
    return true;
  }

  /** Counts batches whose every request ran (see `ReplyBatch.batchesDone`). */
  batchesDone(count: number): void {
    Atomics.add(this.control, BATCHES_DONE, count);
  }

  /**
   * True while the main thread may not have seen everything: unread replies, or batches done
   * that it has not counted. A worker about to go idle answers in that case, or the main thread
   * might sleep on work that is finished.
   */
  get owed(): boolean {
    return (
      this.unread > 0 ||
      Atomics.load(this.control, BATCHES_DONE) !== Atomics.load(this.control, BATCHES_SEEN)
    );
  }

  // ---- the main thread's side -----------------------------------------------------------------

  /**
   * Whether the worker should put replies in the ring (from its next reply on) or send them all
   * by message. Off when not set.
   */
  use(inUse: boolean): void {
    if (inUse === this.inUse) return;
    this.inUse = inUse;
    Atomics.store(this.control, IN_USE, inUse ? 1 : 0);
  }

  /**
   * Reads every reply written so far, oldest first, and returns the batches done since the last
   * call.
   */
  drain(onReply: (reply: RingReply) => void): number {
    const done = Atomics.load(this.control, BATCHES_DONE);
    const newlyDone = (done - Atomics.load(this.control, BATCHES_SEEN)) | 0;
    Atomics.store(this.control, BATCHES_SEEN, done);
    const written = Atomics.load(this.control, WRITTEN);
    let read = Atomics.load(this.control, READ);
    while (read !== written) {
      const slot = (read >>> 0) % REPLY_RING_SLOTS;
      const header = (slot * SLOT_STRIDE) / 8;
      const start = slot * SLOT_STRIDE + HEADER_BYTES;
      const reply = Buffer.allocUnsafe(this.headers[header + 1]!);
      reply.set(this.bytes.subarray(start, start + reply.length));
      onReply({ requestId: this.headers[header]!, reply, runMicros: this.headers[header + 2]! });
      read = (read + 1) | 0;
      // Frees the slot for the worker.
      Atomics.store(this.control, READ, read);
    }
    return newlyDone;
  }
}
