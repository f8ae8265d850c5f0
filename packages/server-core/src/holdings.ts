import type { Socket } from 'node:net';
import type { Decoder, MemoryBudgetError } from '@switchyard/protocol';
import type { BudgetAccount, BudgetMember, MemoryBudget } from './memory-budget.js';
import type { ReplyOrder } from './reply-order.js';
import type { StatsRecorder } from './stats.js';

const EMPTY = Buffer.alloc(0);

/**
 * What one frame held costs beyond its bytes (its Buffer object, its reply slot and promise, its
 * entry in the socket's write queue, or the decoder's pieces of a partial frame). The cap and the
 * budget charge it, so that a flood of tiny frames is bounded by the memory it takes and not
 * only by payload bytes; stats count bytes only.
 */
export const FRAME_OVERHEAD_BYTES = 128;

/**
 * What one connection holds, and what it costs: the partial frame in its decoder, the requests
 * and replies in its reply order, and the replies written to its socket but not yet sent. It
 * keeps the connection's account in the server's memory budget; the connection compares what
 * {@link update} returns with its cap.
 */
export class Holdings implements BudgetMember {
  /** After {@link measure}: what is held besides the partial frame, overheads included. */
  besidesPartialFrame = 0;
  /** Writes queued in the socket since its queue was last seen empty (an upper bound). */
  private writesQueued = 0;
  /** A zero-length write is queued to tell us when the bytes before it have been written. */
  private flushWatch = false;
  /** The socket is corked until the microtasks queued so far have run ({@link gatherWrites}). */
  private gathering = false;

  private readonly account: BudgetAccount;

  constructor(
    private readonly socket: Socket,
    private readonly order: ReplyOrder,
    private readonly decoder: Decoder | undefined,
    private readonly stats: StatsRecorder,
    budget: MemoryBudget,
    /** Closes the connection: the budget picked it to free memory. */
    private readonly owner: {
      fail(error: MemoryBudgetError): void;
      /** Bytes watched by {@link watchFlush} have been written. */
      flushed(): void;
    },
  ) {
    this.account = budget.join(this);
  }

  /** {@link BudgetMember}: read fresh when the budget picks what to close. */
  heldBytes(): number {
    return this.socket.destroyed ? 0 : this.measure();
  }

  /** {@link BudgetMember}: the budget picked this connection to free memory. */
  evict(error: MemoryBudgetError): void {
    this.owner.fail(error);
  }

  /** Bytes held now, without overheads: what stats report. */
  get bufferedBytes(): number {
    return (this.decoder?.bufferedBytes ?? 0) + this.order.bytes + this.socket.writableLength;
  }

  /** Hands a reply's bytes to the socket, and counts them. */
  write(bytes: Buffer): void {
    this.stats.framesOut++;
    this.stats.bytesOut += bytes.length;
    this.socket.write(bytes);
    // Written through at once (the common case) unless something is left queued.
    if (this.socket.writableLength > 0) this.writesQueued++;
  }

  /**
   * Replies that settle together (a worker's answer settles many) leave in one writev instead of
   * a syscall each: the socket stays corked until the microtasks already queued, their
   * completions among them, have run. Small writes one by one to a peer that does not read also
   * make the kernel collapse its queue, at a cost to every client.
   */
  gatherWrites(): void {
    if (this.gathering) return;
    this.gathering = true;
    this.socket.cork();
    queueMicrotask(() => {
      this.gathering = false;
      this.socket.uncork();
    });
  }

  /** Measures what is held now and tells the budget; returns it (see {@link measure}). */
  update(): number {
    const held = this.measure();
    this.account.set(held);
    return held;
  }

  /** The connection has closed: what it held no longer counts against the budget. */
  release(): void {
    this.account.close();
  }

  /**
   * What the connection holds now, each frame and queued write charged
   * {@link FRAME_OVERHEAD_BYTES} on top of its bytes (and the partial frame one overhead for its
   * pieces, which the built-in decoders keep few). Notes the bytes in stats' peak.
   */
  measure(): number {
    const writable = this.socket.writableLength;
    if (writable === 0) this.writesQueued = 0;
    const partial = this.decoder?.bufferedBytes ?? 0;
    const bytes = this.order.bytes + writable;
    this.stats.observeBuffered(bytes + partial);
    const rest = bytes + (this.order.frames + this.writesQueued) * FRAME_OVERHEAD_BYTES;
    this.besidesPartialFrame = rest;
    return partial === 0 ? rest : rest + partial + FRAME_OVERHEAD_BYTES;
  }

  /**
   * Makes sure the owner hears (`flushed`) once queued bytes are written, for a connection paused until they
   * are. `drain` fires only after a write returned false, that is at the socket's high-water mark
   * (16 KiB on Node 20, 64 KiB on 22+); a smaller cap would wait for it forever. A zero-length
   * write completes, in order, right after everything queued before it, so its callback is
   * that signal. Re-armed on every check: replies finishing while paused queue bytes behind it.
   * Requests awaiting replies need no watch: each completion checks again.
   */
  watchFlush(): void {
    const socket = this.socket;
    if (this.flushWatch || socket.writableLength === 0 || socket.writableNeedDrain) return;
    if (socket.writableEnded) return;
    this.flushWatch = true;
    socket.write(EMPTY, () => {
      this.flushWatch = false;
      this.owner.flushed();
    });
  }
}
