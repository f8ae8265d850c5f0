import { deserializeError, type HandlerContext } from '@switchyard/protocol';
import type { OffloadLoad } from './balance.js';
import { type PeerInfo, packBytes, type ReplyBatch, unpackAt } from './messages.js';
import type { PoolWorker } from './pool.js';

/** A request sent (or about to be) and not yet answered. */
export interface PendingRequest {
  resolve(reply: Buffer): void;
  reject(error: Error): void;
}

/**
 * Offload's link between the main thread and one worker, the only way work goes out and replies
 * come back: requests gathered during a turn leave as one message, and each answer (one message
 * kind, {@link ReplyBatch}) settles the requests it carries. What the link holds is the one
 * count of the worker's outstanding work.
 */
export class WorkerLink implements OffloadLoad {
  private readonly pending = new Map<number, PendingRequest>();
  /** Batches sent whose handler calls the worker has not all made yet. */
  private batchesInFlight = 0;
  /** Connections whose address this worker already has. */
  private readonly known = new Set<number>();
  private requestIds: number[] = [];
  private connectionIds: number[] = [];
  private requests: Buffer[] = [];
  private peers: PeerInfo[] = [];
  private forget: number[] = [];

  constructor(readonly worker: PoolWorker) {}

  /** Requests sent or gathered and not yet answered. */
  get outstanding(): number {
    return this.pending.size;
  }

  /** Requests gathered and not yet sent: adding one more costs no extra message. */
  get gathered(): number {
    return this.requestIds.length;
  }

  add(requestId: number, request: Buffer, context: HandlerContext, pending: PendingRequest): void {
    const { connectionId } = context;
    if (!this.known.has(connectionId)) {
      this.known.add(connectionId);
      this.peers.push([connectionId, context.remoteAddress, context.remotePort]);
    }
    this.requestIds.push(requestId);
    this.connectionIds.push(connectionId);
    this.requests.push(request);
    this.pending.set(requestId, pending);
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
      this.take(requestIds[i]!)?.resolve(unpackAt(bytes, ends, i));
    }
    for (const { requestId, error } of failures) {
      this.take(requestId)?.reject(deserializeError(error));
    }
    return requestIds.length + failures.length;
  }

  /** Fails every request sent or gathered; returns how many. */
  failAll(error: Error): number {
    const count = this.pending.size;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    this.requestIds = [];
    this.connectionIds = [];
    this.requests = [];
    this.batchesInFlight = 0;
    return count;
  }

  private take(requestId: number): PendingRequest | undefined {
    const pending = this.pending.get(requestId);
    if (pending) this.pending.delete(requestId);
    return pending;
  }
}
