import { deserializeError, type HandlerContext } from '@switchyard/protocol';
import type { OffloadLoad } from './balance.js';
import {
  ByteRing,
  carry,
  ReplyLender,
  RING_MIN_BYTES,
  totalLength,
  worthRing,
} from './byte-ring.js';
import { FairQueue } from './fair-queue.js';
import {
  type LinkRings,
  type PeerInfo,
  type ReplyBatch,
  type RequestBatch,
  type RingPlace,
  unpackAt,
} from './messages.js';
import type { PoolWorker } from './pool.js';
import type { Orphan } from './recovery.js';

/**
 * A request handed to the pool and not yet answered. It keeps its bytes until then, so that a
 * worker's death can send it to another worker if that thread never started it.
 */
export interface PoolRequest extends Orphan {
  /** Given by the link when it sends the request (again, to another worker, if its worker died). */
  requestId: number;
  /** When it entered a worker's queue (the pool's coarse clock), for `handlerTimeoutMs`. */
  since: number;
  readonly request: Buffer;
  readonly context: HandlerContext;
  /** Its place among its connection's requests for the pool (set by the connection). */
  seq?: number;
  resolve(reply: Buffer): void;
  reject(error: Error): void;
}

/** Bytes of each of a link's two rings: a batch or answer larger than what is free goes packed. */
export const RING_BYTES = 1 << 20;

/**
 * Whether a reply may be handed to its connection as a view of the reply ring, and when it has
 * been written: the ring's bytes are reused after that.
 */
export interface ReplyLending {
  /** True when the connection writes the reply as it settles, to a socket not backed up. */
  mayLend(entry: PoolRequest): boolean;
  /** Calls `done` once what the connection has written so far has left its socket. */
  whenWritten(entry: PoolRequest, done: () => void): void;
}

/** Messages of requests a link has sent to its worker and not had answered, at most. */
export const MAX_BATCHES_IN_FLIGHT = 2;

/** What a dead worker's link held: what it had sent, in the order sent, and what it had not. */
export interface DrainedLink {
  readonly sent: PoolRequest[];
  readonly unsent: PoolRequest[];
}

/**
 * Offload's link between the main thread and one worker, the only way work goes out and replies
 * come back. Requests wait in a {@link FairQueue} (round-robin across connections) and leave in
 * messages of at most `limit` requests, two messages in flight at most, so that a
 * connection's request never waits behind more than a batch of other connections' work; each
 * answer (one message kind, {@link ReplyBatch}) settles the requests it carries. What the link
 * holds is the one count of the worker's outstanding work. Request ids rise in the order it
 * sends them, which is the order the worker starts them.
 */
export class WorkerLink implements OffloadLoad {
  /** Sent and not answered, in the order sent. */
  private readonly pending = new Map<number, PoolRequest>();
  /** Not sent yet. */
  private readonly waiting = new FairQueue<PoolRequest>();
  /** Batches sent whose handler calls the worker has not all made yet. */
  private batchesInFlight = 0;
  private nextRequestId = 1;
  /** Connections whose address this worker already has. */
  private readonly known = new Set<number>();
  private peers: PeerInfo[] = [];
  private forget: number[] = [];
  /**
   * With lending, once a batch or an answer has been worth a ring: requests go out through this
   * ring, replies come back through the lender's. Made by {@link send} and sent with the batch it
   * makes them for, so the worker has them before any region of theirs is used (and answers
   * without them, packed, until then). A link that only ever carries small payloads makes none:
   * they are 2 MiB of shared memory per worker.
   */
  private requestRing: ByteRing | undefined;
  private lender: ReplyLender | undefined;
  /** A packed answer is worth a ring (small requests, large replies): the next batch makes them. */
  private ringsWanted = false;

  constructor(
    readonly worker: PoolWorker,
    /** Told of every request that leaves the link answered or failed by its worker. */
    private readonly onSettled: (request: PoolRequest) => void,
    /** Without it, bytes travel in transferred buffers both ways and replies are copied. */
    private readonly lending?: ReplyLending,
  ) {}

  /** Requests sent or waiting and not yet answered. */
  get outstanding(): number {
    return this.pending.size + this.waiting.size;
  }

  /** Requests waiting to be sent: adding one more costs no extra message. */
  get gathered(): number {
    return this.waiting.size;
  }

  add(entry: PoolRequest): void {
    this.waiting.push(entry.context.connectionId, entry);
  }

  /** When a request sent and not answered entered this queue; never for one that is not held. */
  entered(requestId: number): number {
    return this.pending.get(requestId)?.since ?? Number.POSITIVE_INFINITY;
  }

  /** The connection closed; the worker may drop its address with the next batch. */
  forgetConnection(connectionId: number): void {
    if (this.known.delete(connectionId)) this.forget.push(connectionId);
  }

  /**
   * Sends what waits, in messages of at most `limit` requests (their bytes packed and
   * transferred), while fewer than {@link MAX_BATCHES_IN_FLIGHT} are in flight; the rest waits
   * here and goes when the worker has answered. Two in flight keep the worker busy while an
   * answer travels back, and bound what one worker's answers can make the main thread do in a
   * turn.
   */
  flush(limit: number): void {
    while (this.waiting.size > 0 && this.batchesInFlight < MAX_BATCHES_IN_FLIGHT) this.send(limit);
  }

  private send(limit: number): void {
    const count = Math.min(limit, this.waiting.size);
    const requestIds: number[] = [];
    const connectionIds: number[] = [];
    const requests: Buffer[] = [];
    for (let index = 0; index < count; index++) {
      const entry = this.waiting.take()!;
      const { connectionId, remoteAddress, remotePort, proxiedBy } = entry.context;
      if (!this.known.has(connectionId)) {
        this.known.add(connectionId);
        this.peers.push([connectionId, remoteAddress, remotePort, proxiedBy]);
      }
      entry.requestId = this.nextRequestId++;
      this.pending.set(entry.requestId, entry);
      requestIds.push(entry.requestId);
      connectionIds.push(connectionId);
      requests.push(entry.request);
    }
    this.batchesInFlight++;
    const { peers, forget } = this;
    const total = totalLength(requests);
    const worth = worthRing(requests.length, total);
    const rings = worth || this.ringsWanted ? this.makeRings() : undefined;
    const ring = worth ? this.requestRing?.reserve(total) : undefined;
    const { ends, bytes } = carry(requests, this.requestRing, ring);
    // One object literal, never a spread: see the note on messages at the top of messages.ts.
    const batch: RequestBatch = {
      type: 'requests',
      requestIds,
      connectionIds,
      peers,
      forget,
      ends,
      bytes,
      ring,
      rings,
    };
    this.worker.post(batch, bytes && [bytes]);
    this.peers = [];
    this.forget = [];
  }

  /** The rings' shared memory when this call makes them (with lending, once), for the batch. */
  private makeRings(): LinkRings | undefined {
    if (!this.lending || this.requestRing) return undefined;
    this.requestRing = ByteRing.create(RING_BYTES);
    this.lender = new ReplyLender(ByteRing.create(RING_BYTES));
    return { requests: this.requestRing.shared, replies: this.lender.ring.shared };
  }

  /**
   * Settles the requests an answer carries and returns how many. What waits is not sent from
   * here but by the next {@link flush}, after the event loop's poll phase: a fast worker's
   * answers would otherwise keep the main thread in this message port's queue, batch after
   * batch, while sockets wait for the next turn to be read.
   */
  settle(answer: ReplyBatch): number {
    this.batchesInFlight -= answer.batchesDone;
    const { requestIds, ends, bytes, ring, failures } = answer;
    if (ring && this.lender) this.settleLent(requestIds, ends, ring, this.lender);
    if (bytes && worthRing(requestIds.length, bytes.byteLength)) this.ringsWanted = true;
    for (let i = 0; bytes && i < requestIds.length; i++) {
      const entry = this.take(requestIds[i]!);
      if (entry === undefined) continue;
      entry.resolve(ownBytes(unpackAt(bytes, ends, i), bytes));
      this.onSettled(entry);
    }
    for (const { requestId, error } of failures) {
      const entry = this.take(requestId);
      if (entry === undefined) continue;
      entry.reject(deserializeError(error));
      this.onSettled(entry);
    }
    return requestIds.length + failures.length;
  }

  /**
   * Replies in the reply ring: each large one its connection writes at once goes as a view, and
   * the answer's region is given back once they have all been written; the others are copied (one
   * waiting behind an earlier reply, or for a socket that is backed up, would hold the ring).
   */
  private settleLent(
    requestIds: readonly number[],
    ends: readonly number[],
    ring: RingPlace,
    lender: ReplyLender,
  ): void {
    const held = lender.arrived(ring.size);
    const done = () => lender.done(held);
    for (let i = 0; i < requestIds.length; i++) {
      const entry = this.take(requestIds[i]!);
      if (entry === undefined) continue;
      const view = lender.ring.view(ring.at, ends, i);
      // A small copy is cheaper than watching the write.
      if (view.length >= RING_MIN_BYTES && this.lending!.mayLend(entry)) {
        lender.lend(held);
        entry.resolve(view);
        this.lending!.whenWritten(entry, done);
      } else {
        entry.resolve(Buffer.from(view));
      }
      this.onSettled(entry);
    }
    done();
  }

  /**
   * Takes out the requests, sent or waiting, that entered this worker's queue before `cutoff`:
   * they are past their deadline. A reply that comes for one later is dropped.
   */
  expire(cutoff: number): PoolRequest[] {
    const expired: PoolRequest[] = [];
    for (const entry of this.pending.values()) if (entry.since < cutoff) expired.push(entry);
    for (const entry of expired) this.pending.delete(entry.requestId);
    expired.push(...this.waiting.extract((entry) => entry.since < cutoff));
    return expired;
  }

  /** Takes out every request sent or waiting: the worker is gone. */
  drain(): DrainedLink {
    const sent = [...this.pending.values()];
    this.pending.clear();
    this.batchesInFlight = 0;
    return { sent, unsent: this.waiting.drain() };
  }

  private take(requestId: number): PoolRequest | undefined {
    const entry = this.pending.get(requestId);
    if (entry) this.pending.delete(requestId);
    return entry;
  }
}

/**
 * A reply shares one transferred buffer with every reply of its answer. Kept as a view, one
 * small reply waiting in a socket that is not read would keep all of them alive; a copy costs
 * one memcpy and frees the answer as soon as the others are written.
 */
function ownBytes(reply: Buffer, answer: ArrayBuffer): Buffer {
  return reply.length * 2 > answer.byteLength ? reply : Buffer.from(reply);
}
