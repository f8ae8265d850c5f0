import type { Socket } from 'node:net';
import { Connection, type ConnectionOptions } from '@switchyard/server-core';
import { type ConnectionLoad, mayRun, poolHeldBytes } from './admission.js';
import type { PoolRequest } from './link.js';

const EMPTY = Buffer.alloc(0);

/** The reason the pool pauses a connection for: past its share of the queue, or its cap. */
const POOL_PAUSE = 'pool';

/** Whether the pool lets a connection read: within its share and cap, or paused, and why. */
export type Standing = 'reading' | 'over-share' | 'over-memory';

/**
 * One connection as offload serves it: server-core's {@link Connection}, plus what the pool holds
 * for it (its requests in the pool's queue, and those waiting for room there) and where it
 * stands. The server decides (`src/admission.ts`); this keeps the counts and applies them.
 */
export class OffloadConnection extends Connection implements ConnectionLoad {
  /** Its requests in the pool's queue: gathered for or sent to a worker, not answered. */
  queued = 0;
  /** Their bytes. */
  queuedBytes = 0;
  /**
   * Its requests waiting for room, oldest first (no worker has them); never empty. Made as one
   * arrives and dropped once emptied: an array keeps the room it grew to (17 slots from its
   * second push), and an idle connection should cost little.
   */
  private backlog: PoolRequest[] | undefined;
  standing: Standing = 'reading';
  /** The pool's sweep count when it took its standing. */
  standingSince = 0;
  /**
   * Under `connection` affinity: the worker slot its requests go to, once one has gone. Kept
   * here rather than in a Map of the pool's, which costs more per entry than this field does.
   */
  pinnedSlot: number | undefined;
  /** Hogging is told once per connection, not per request or per pause. */
  throttleTold = false;
  /** A zero-length write is queued to say when its unwritten replies have gone out. */
  private flushWatched = false;
  /** Sequence numbers of its requests for the pool: every one below `settledBelow` has settled. */
  private nextSeq = 0;
  private settledBelow = 0;
  /**
   * Settled out of order, at or above `settledBelow`. Made on the first one: a connection whose
   * requests one worker answers in order (synchronous handlers, `affinity: 'connection'`) never
   * has one, and an idle connection should cost little.
   */
  private settledAhead: Set<number> | undefined;
  /**
   * Told once what has been written so far has left the socket ({@link whenWritten}); made when
   * a reply is lent, and dropped once they are told.
   */
  private writeWaiters: (() => void)[] | undefined;

  constructor(
    socket: Socket,
    init: ConnectionOptions,
    /** Told as its socket closes: a method the pool shares, not a reaction to `closed` each. */
    private readonly onClosed: (connection: OffloadConnection) => void,
  ) {
    super(socket, init);
  }

  /** What its Connection holds, plus what the pool holds for it (its part of the cap). */
  override get bufferedBytes(): number {
    return super.bufferedBytes + poolHeldBytes(this);
  }

  /** What its Connection holds: a partial frame, requests' bytes, unwritten replies. */
  get connectionBytes(): number {
    return super.bufferedBytes;
  }

  get waiting(): number {
    return this.backlog?.length ?? 0;
  }

  /** True while it has requests in the pool or waiting to enter it. */
  get busy(): boolean {
    return this.queued > 0 || this.backlog !== undefined;
  }

  /** A request for the pool, in the order the connection read them; it waits for room. */
  enqueue(entry: PoolRequest): void {
    entry.seq = this.nextSeq++;
    if (this.backlog === undefined) this.backlog = [entry];
    else this.backlog.push(entry);
  }

  /** Its waiting requests go nowhere: it has closed, nobody would read their replies. */
  dropWaiting(): void {
    this.backlog = undefined;
  }

  /** The pool lets go of it now, before whoever awaits `closed` hears of it. */
  override socketClosed(): void {
    super.socketClosed();
    this.onClosed(this);
  }

  /**
   * True when `entry`'s reply, settled now, is written at once to a socket that is not backed
   * up: every request before it has been answered, and nothing waits in the socket.
   */
  writesNow(entry: PoolRequest): boolean {
    const { socket } = this;
    return entry.seq === this.settledBelow && socket.writableLength === 0 && !socket.destroyed;
  }

  /**
   * Calls `done` once the replies written so far have left the socket: looked at after this turn's
   * microtasks (the Connection writes a settled reply from one), then, if bytes are still queued,
   * after a zero-length write completes, which comes after everything written before it.
   */
  whenWritten(done: () => void): void {
    if (this.writeWaiters) {
      this.writeWaiters.push(done);
      return;
    }
    this.writeWaiters = [done];
    setImmediate(() => this.checkWritten());
  }

  private checkWritten(): void {
    const { socket } = this;
    const waiters = this.writeWaiters!;
    this.writeWaiters = undefined;
    const release = () => {
      for (const done of waiters) done();
    };
    if (socket.destroyed || socket.writableLength === 0) release();
    else if (socket.writableEnded) socket.once('close', release);
    else socket.write(EMPTY, release);
  }

  /** One of its requests left the pool's queue: answered, failed or past its deadline. */
  left(entry: PoolRequest): void {
    if (entry.seq === this.settledBelow) {
      this.settledBelow++;
      while (this.settledAhead?.delete(this.settledBelow)) this.settledBelow++;
    } else if (entry.seq !== undefined) {
      (this.settledAhead ??= new Set()).add(entry.seq);
    }
    this.queued--;
    this.queuedBytes -= entry.request.length;
  }

  /**
   * Hands `enter` its waiting requests, oldest first: at most `room`, and only while its
   * undelivered output is within `cap` ({@link mayRun}). True when some are still held back for
   * its output (its client is not reading its replies).
   */
  release(room: number, cap: number, enter: (entry: PoolRequest) => void): boolean {
    const unwritten = this.socket.writableLength;
    let free = room;
    while (free > 0 && this.backlog !== undefined) {
      if (!mayRun(unwritten, this.queued, this.queuedBytes, cap)) return true;
      const entry = this.backlog.shift()!;
      if (this.backlog.length === 0) this.backlog = undefined;
      this.queued++;
      this.queuedBytes += entry.request.length;
      free--;
      enter(entry);
    }
    return this.backlog !== undefined && !mayRun(unwritten, this.queued, this.queuedBytes, cap);
  }

  /** Takes its standing: reading resumes, or stops, for the pool's reason. */
  stand(standing: Standing, sweep: number): void {
    if (standing === this.standing) return;
    this.standing = standing;
    this.standingSince = sweep;
    if (standing === 'reading') this.resume(POOL_PAUSE);
    else this.pause(POOL_PAUSE);
  }

  /**
   * Calls `then` once its unwritten replies have gone out. `drain` says so only past the
   * socket's high-water mark; below it a zero-length write, which completes right after
   * everything queued before it, is the signal.
   */
  watchOutput(then: () => void): void {
    const { socket } = this;
    if (this.flushWatched || socket.writableEnded || socket.writableLength === 0) return;
    this.flushWatched = true;
    const done = () => {
      this.flushWatched = false;
      then();
    };
    if (socket.writableNeedDrain) socket.once('drain', done);
    else socket.write(EMPTY, done);
  }
}
