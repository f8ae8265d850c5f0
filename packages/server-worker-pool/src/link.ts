import { deserializeError, type HandlerContext } from '@switchyard/protocol';
import type { OffloadLoad } from './balance.js';
import { type PeerInfo, packBytes, type ReplyBatch, unpackAt } from './messages.js';
import type { PoolWorker } from './pool.js';
import type { Orphan } from './recovery.js';

/**
 * A request handed to the pool and not yet answered. It keeps its bytes until then, so that a
 * worker's death can send it to another worker if that thread never started it.
 */
export interface PoolRequest extends Orphan {
  /** Given when it enters a worker's queue (again, after its worker died). */
  requestId: number;
  /** When it entered a worker's queue (the pool's coarse clock), for `handlerTimeoutMs`. */
  since: number;
  readonly request: Buffer;
  readonly context: HandlerContext;
  resolve(reply: Buffer): void;
  reject(error: Error): void;
}

/**
 * Offload's link between the main thread and one worker, the only way work goes out and replies
 * come back: requests gathered during a turn leave as one message, and each answer (one message
 * kind, {@link ReplyBatch}) settles the requests it carries. What the link holds is the one
 * count of the worker's outstanding work. Request ids rise in the order it sends them.
 */
export class WorkerLink implements OffloadLoad {
  /** In the order added, which is the order sent and (per worker) the order started. */
  private readonly pending = new Map<number, PoolRequest>();
  /** Batches sent whose handler calls the worker has not all made yet. */
  private batchesInFlight = 0;
  /** Connections whose address this worker already has. */
  private readonly known = new Set<number>();
  private requestIds: number[] = [];
  private connectionIds: number[] = [];
  private requests: Buffer[] = [];
  private peers: PeerInfo[] = [];
  private forget: number[] = [];

  constructor(
    readonly worker: PoolWorker,
    /** Told of every request that leaves the link answered or failed by its worker. */
    private readonly onSettled: (request: PoolRequest) => void,
  ) {}

  /** Requests sent or gathered and not yet answered. */
  get outstanding(): number {
    return this.pending.size;
  }

  /** Requests gathered and not yet sent: adding one more costs no extra message. */
  get gathered(): number {
    return this.requestIds.length;
  }

  add(entry: PoolRequest): void {
    const { connectionId } = entry.context;
    if (!this.known.has(connectionId)) {
      this.known.add(connectionId);
      const { remoteAddress, remotePort, proxiedBy } = entry.context;
      this.peers.push([connectionId, remoteAddress, remotePort, proxiedBy]);
    }
    this.requestIds.push(entry.requestId);
    this.connectionIds.push(connectionId);
    this.requests.push(entry.request);
    this.pending.set(entry.requestId, entry);
  }

  /** When a request still held entered this queue; never for one that is not held. */
  entered(requestId: number): number {
    return this.pending.get(requestId)?.since ?? Number.POSITIVE_INFINITY;
  }

  /** The connection closed; the worker may drop its address with the next batch. */
  forgetConnection(connectionId: number): void {
    if (this.known.delete(connectionId)) this.forget.push(connectionId);
  }

  /**
   * Posts what was gathered as one message, the request bytes packed and transferred. With
   * `holdWhileBusy`, requests wait here instead while the worker still runs a batch, and go
   * together when it answers: for cheap requests, one message per request would cost more
   * than the requests.
   */
  flush(holdWhileBusy: boolean): void {
    if (this.requestIds.length === 0) return;
    if (holdWhileBusy && this.batchesInFlight > 0) return;
    this.batchesInFlight++;
    const { bytes, ends } = packBytes(this.requests);
    const { requestIds, connectionIds, peers, forget } = this;
    this.worker.post({ type: 'requests', requestIds, connectionIds, ends, bytes, peers, forget }, [
      bytes,
    ]);
    this.requestIds = [];
    this.connectionIds = [];
    this.requests = [];
    this.peers = [];
    this.forget = [];
  }

  /**
   * Settles the requests an answer carries and returns how many. Requests gathered meanwhile are
   * sent first when the worker finished batches, so it works while the replies are written.
   */
  settle(answer: ReplyBatch, holdWhileBusy: boolean): number {
    if (answer.batchesDone > 0) {
      this.batchesInFlight -= answer.batchesDone;
      this.flush(holdWhileBusy);
    }
    const { requestIds, ends, bytes, failures } = answer;
    for (let i = 0; i < requestIds.length; i++) {
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
   * Takes out the requests that entered this worker's queue before `cutoff`, oldest first: they
   * are past their deadline. A reply that comes for one later is dropped.
   */
  expire(cutoff: number): PoolRequest[] {
    const expired: PoolRequest[] = [];
    for (const entry of this.pending.values()) {
      if (entry.since >= cutoff) break;
      expired.push(entry);
    }
    for (const entry of expired) this.pending.delete(entry.requestId);
    return expired;
  }

  /** Takes out every request sent or gathered, in the order sent: the worker is gone. */
  drain(): PoolRequest[] {
    const all = [...this.pending.values()];
    this.pending.clear();
    this.requestIds = [];
    this.connectionIds = [];
    this.requests = [];
    this.batchesInFlight = 0;
    return all;
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
