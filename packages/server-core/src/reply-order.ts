import type { Reply } from '@switchyard/protocol';

/** A reply's place in the per-connection order; filled when its handler finishes. */
export interface ReplySlot {
  reply: Reply | undefined;
  /** Bytes this slot holds: the request while its handler runs, then the reply. */
  heldBytes: number;
  /** When its handler call started (`Date.now()`), if the connection times handler calls; else 0. */
  readonly startedAt: number;
}

/**
 * What one connection holds between reading a request and writing its reply, and the bytes that
 * costs: handler calls running (at most `maxInFlight`), requests waiting for one of them to
 * finish, and replies waiting for a reply before them. Replies come out in request order
 * whatever order their handlers finish in. No I/O: the connection asks, then writes.
 */
export class ReplyOrder {
  /** Bytes of the requests and replies held: the part of a connection's buffer it owns. */
  bytes = 0;
  private running = 0;
  /**
   * Replies not yet written, oldest first; `slots[0]` blocks the rest until it is filled. Never
   * empty: made with its first slot and dropped with its last, since an array keeps the room it
   * grew to (17 slots from its second push) and an idle connection should not hold that.
   */
  private slots: ReplySlot[] | undefined;
  /**
   * Requests not yet dispatched because `maxInFlight` handler calls are running, from
   * `waiting[waitingHead]` on. One read of tiny frames can leave tens of thousands here, and
   * `shift()` on an array that large copies all of it each time: the head moves instead.
   */
  private waiting: (Buffer | undefined)[] = [];
  private waitingHead = 0;

  constructor(private readonly maxInFlight: number) {}

  /** Requests and replies held (each costs memory beyond its bytes). */
  get frames(): number {
    return (this.slots?.length ?? 0) + this.waitingCount;
  }

  /**
   * The oldest handler call still pending, if any: replies that are ready are taken from the
   * head as soon as they are, so the head of the order is always one still running.
   */
  get oldestPending(): ReplySlot | undefined {
    return this.slots?.[0];
  }

  /** True while a handler call runs or a request or reply waits. */
  get owed(): boolean {
    return this.running > 0 || this.slots !== undefined || this.waitingCount > 0;
  }

  private get waitingCount(): number {
    return this.waiting.length - this.waitingHead;
  }

  /**
   * A request arrived. Returns true if its handler may run now (it counts as running from here);
   * false if it was queued behind the calls running, to come out of {@link takeRunnable}.
   */
  admit(request: Buffer): boolean {
    if (this.running < this.maxInFlight) {
      this.running++;
      return true;
    }
    this.waiting.push(request);
    this.bytes += request.length;
    return false;
  }

  /** The oldest waiting request, if a handler call may start now (it counts as running). */
  takeRunnable(): Buffer | undefined {
    if (this.waitingCount === 0 || this.running >= this.maxInFlight) return undefined;
    const request = this.waiting[this.waitingHead]!;
    this.waiting[this.waitingHead++] = undefined;
    if (this.waitingHead === this.waiting.length) {
      this.waiting = [];
      this.waitingHead = 0;
    } else if (this.waitingHead >= 1024 && this.waitingHead * 2 >= this.waiting.length) {
      // Drop the taken half at once: a copy of what is left, as rarely as the queue halves.
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
    this.bytes -= request.length;
    this.running++;
    return request;
  }

  /** A handler call ended without a reply to place (it threw, or returned no bytes). */
  abandon(): void {
    this.running--;
  }

  /**
   * A handler answered synchronously. Returns true if the reply may be written now; false if it
   * waits behind a reply still owed, to come out of {@link takeReady}.
   */
  answeredNow(reply: Reply): boolean {
    this.running--;
    if (this.slots === undefined) return true;
    this.slots.push({ reply, heldBytes: reply.length, startedAt: 0 });
    this.bytes += reply.length;
    return false;
  }

  /** A handler call is pending: its place in the order holds the request's bytes until then. */
  reserve(request: Buffer, startedAt = 0): ReplySlot {
    const slot: ReplySlot = { reply: undefined, heldBytes: request.length, startedAt };
    if (this.slots === undefined) this.slots = [slot];
    else this.slots.push(slot);
    this.bytes += request.length;
    return slot;
  }

  /** A pending handler call resolved (with a reply or not). */
  settle(): void {
    this.running--;
  }

  /** A pending call's reply arrived: it takes the place of the request's bytes. */
  fill(slot: ReplySlot, reply: Reply): void {
    slot.reply = reply;
    this.bytes += reply.length - slot.heldBytes;
    slot.heldBytes = reply.length;
  }

  /**
   * Gives up on every request and reply held: the connection closes without them. Handler calls
   * still running keep counting as running; whatever they settle with is ignored.
   */
  dropAll(): void {
    this.slots = undefined;
    this.waiting.length = 0;
    this.bytes = 0;
  }

  /** The oldest reply owed, if it is ready to write. */
  takeReady(): Reply | undefined {
    const { slots } = this;
    if (slots === undefined || slots[0]!.reply === undefined) return undefined;
    const head = slots.shift()!;
    if (slots.length === 0) this.slots = undefined;
    this.bytes -= head.heldBytes;
    return head.reply;
  }
}
