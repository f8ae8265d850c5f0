import type { Socket } from 'node:net';
import {
  type Codec,
  ErrorCode,
  getCodec,
  type HandlerContext,
  HandlerFailedError,
  type ResolvedServerOptions,
  ServerClosedError,
  SwitchyardError,
  WorkerExitedError,
} from '@switchyard/protocol';
import { Connection } from '@switchyard/server-core';
import {
  type FromWorker,
  type PeerInfo,
  packBytes,
  type ReplyBatch,
  type RequestFailure,
  unpackAt,
} from './messages.js';
import { PoolServer, type PoolWorker } from './pool.js';

interface PendingRequest {
  resolve(reply: Buffer): void;
  reject(error: Error): void;
}

/** The pause reason used on every connection while the pool's queue is full. */
const QUEUE_FULL = 'pool-queue-full';

/**
 * What one more message to a worker costs, in microseconds of handler time it is worth: a post
 * and a thread wakeup each way (see the README's cost model). A request goes to a worker that
 * needs no new message unless another worker would finish it this much sooner.
 */
const MESSAGE_COST_MICROS = 40;
/**
 * Batches a worker holds at once while requests are cheap (measured cost below
 * {@link MESSAGE_COST_MICROS}): requests for a busy worker wait here and go together when it
 * answers, so a busy worker costs no message per request. (Two measured no better.) Costly
 * requests are sent every turn: the message is small next to the handler, and the worker finds
 * its next batch queued when it finishes (holding them back measured slower on `burn`).
 */
const MAX_BATCHES_IN_FLIGHT = 1;
/**
 * How long a finished reply may wait in its worker for the replies after it, so that they share
 * one message back. Every answer wakes this thread, which costs tens of microseconds of CPU on a
 * small VM, so a worker running costly handlers runs the requests it has (and batches already
 * queued) before answering. Answering only when out of work, though, idles the worker while its
 * replies go round to the client and back; answering every 500 us keeps requests in hand for
 * that round trip. On `burn` (200 us per request, 10 connections, 2 workers) offload went from
 * 6.67k to 6.86k req/s, medians of 8 alternating runs, against answering only when a batch ends
 * (1 ms budget). With the reply ring, an answer is only a wakeup, and the main thread usually
 * reads the ring before one is due. Cheap handlers finish a whole batch well within the budget.
 * The worker never waits for work to merge.
 */
export const DEFAULT_MERGE_BUDGET_MICROS = 500;
/** Handler cost assumed before the first batch is timed: high, so the first requests spread. */
const INITIAL_COST_MICROS = 1000;

/**
 * One worker's side of offload: requests gathered this turn (sent as one message) and requests
 * sent but not yet answered.
 */
class Outbox {
  readonly pending = new Map<number, PendingRequest>();
  /**
   * Batches with the worker whose synchronous part it has not answered yet. At
   * {@link MAX_BATCHES_IN_FLIGHT}, requests for it wait here and go as one message when it
   * answers.
   */
  inFlight = 0;
  /** Connections whose address this worker already has. */
  private readonly known = new Set<number>();
  private requestIds: number[] = [];
  private connectionIds: number[] = [];
  private requests: Buffer[] = [];
  private peers: PeerInfo[] = [];
  private forget: number[] = [];

  constructor(readonly worker: PoolWorker) {}

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
    this.worker.load++;
  }

  /** The connection closed; the worker may drop its address with the next batch. */
  forgetConnection(connectionId: number): void {
    if (this.known.delete(connectionId)) this.forget.push(connectionId);
  }

  /** Posts what was gathered as one message, the request bytes packed and transferred. */
  flush(coalesce: boolean): void {
    if (this.requestIds.length === 0) return;
    if (coalesce && this.inFlight >= MAX_BATCHES_IN_FLIGHT) return;
    this.inFlight++;
    // Cheap requests come back a whole batch per message anyway, which costs this thread less
    // than reading them one by one from the ring; costly ones use it.
    this.worker.replyRing?.use(!coalesce);
    const { bytes, ends } = packBytes(this.requests);
    this.worker.post(
      {
        type: 'requests',
        requestIds: this.requestIds,
        connectionIds: this.connectionIds,
        ends,
        bytes,
        peers: this.peers,
        forget: this.forget,
      },
      [bytes],
    );
    this.requestIds = [];
    this.connectionIds = [];
    this.requests = [];
    this.peers = [];
    this.forget = [];
  }

  /** Settles the requests a reply batch answers; returns how many. */
  settle(
    { requestIds, ends, bytes, failures, batchesDone }: ReplyBatch,
    coalesce: boolean,
  ): number {
    this.batchesFinished(batchesDone, coalesce);
    for (let i = 0; i < requestIds.length; i++) {
      this.take(requestIds[i]!)?.resolve(unpackAt(bytes, ends, i));
    }
    for (const failure of failures) this.take(failure.requestId)?.reject(failureError(failure));
    return requestIds.length + failures.length;
  }

  /**
   * Settles the requests answered in the worker's reply ring so far; returns how many, the
   * handler time they took, and the batches the worker finished (for {@link batchesFinished}).
   */
  settleFromRing(): { settled: number; runMicros: number; batchesDone: number } {
    let settled = 0;
    let runMicros = 0;
    const batchesDone = this.worker.replyRing!.drain(({ requestId, reply, runMicros: micros }) => {
      this.take(requestId)?.resolve(reply);
      settled++;
      runMicros += micros;
    });
    return { settled, runMicros, batchesDone };
  }

  /**
   * The worker is ready for more batches: send what gathered meanwhile. Called before the
   * replies are written (resolving a reply only queues its writing), so the worker works
   * meanwhile.
   */
  batchesFinished(batchesDone: number, coalesce: boolean): void {
    if (batchesDone === 0) return;
    this.inFlight -= batchesDone;
    this.flush(coalesce);
  }

  /** Fails every request sent or gathered; returns how many. */
  failAll(error: Error): number {
    const count = this.pending.size;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    this.requestIds = [];
    this.connectionIds = [];
    this.requests = [];
    this.inFlight = 0;
    this.worker.load = 0;
    return count;
  }

  private take(requestId: number): PendingRequest | undefined {
    const pending = this.pending.get(requestId);
    if (pending) {
      this.pending.delete(requestId);
      this.worker.load--;
    }
    return pending;
  }
}

function failureError({ code, message }: RequestFailure): Error {
  if (code && (Object.values(ErrorCode) as string[]).includes(code)) {
    return new SwitchyardError(code as ErrorCode, message);
  }
  return new HandlerFailedError(`handler failed: ${message}`);
}

export interface OffloadInit {
  readonly options: ResolvedServerOptions;
  readonly workers: number;
  readonly maxQueuedRequests: number;
  /**
   * Microseconds a finished reply may wait in its worker for the replies after it (the rest of
   * its batch and batches already queued), to share one message back; 0 answers every request on
   * its own. Default {@link DEFAULT_MERGE_BUDGET_MICROS}.
   */
  readonly mergeBudgetMicros?: number;
  /**
   * Workers leave synchronous replies in shared memory, read by this thread whenever it is awake,
   * and message it only when a reply has waited past the merge budget or they run out of work.
   * Default true; false sends every reply by message.
   */
  readonly replyRing?: boolean;
}

/**
 * Offload mode: this thread owns sockets and codecs (server-core's {@link Connection}); each
 * decoded request goes to the worker expected to finish it first (see {@link pick}). Requests that arrive during one turn of the
 * event loop travel to a worker in one message, and a worker's replies come back the same way,
 * so the per-message cost is shared. Replies are written in request order by the Connection.
 */
export class OffloadServer extends PoolServer {
  private readonly codec: Codec;
  private readonly maxQueuedRequests: number;
  private readonly outboxes = new Map<PoolWorker, Outbox>();
  private readonly live = new Set<Connection>();
  /** Requests handed to workers and not yet answered, over all workers. */
  private queued = 0;
  private queueFull = false;
  private flushScheduled = false;
  private nextRequestId = 1;
  /** Moving average of handler time per request, as the workers measure it. */
  private costMicros = INITIAL_COST_MICROS;

  constructor({
    options,
    workers,
    maxQueuedRequests,
    mergeBudgetMicros = DEFAULT_MERGE_BUDGET_MICROS,
    replyRing = true,
  }: OffloadInit) {
    super({ options, mode: 'offload', workers, mergeBudgetMicros, replyRings: replyRing });
    this.codec = getCodec(options.codec);
    this.maxQueuedRequests = maxQueuedRequests;
  }

  protected accept(socket: Socket, connectionId: number): Connection {
    const connection = new Connection(socket, {
      id: connectionId,
      codec: this.codec,
      options: this.options,
      stats: this.recorder,
      dispatch: (request, context) => this.dispatch(request, context),
    });
    if (this.queueFull) connection.pause(QUEUE_FULL);
    this.live.add(connection);
    void connection.closed.then(() => {
      this.live.delete(connection);
      for (const outbox of this.outboxes.values()) outbox.forgetConnection(connectionId);
    });
    return connection;
  }

  /**
   * The worker expected to finish this request first: its outstanding requests times the
   * measured handler cost, plus the cost of a message when nothing is gathered for it yet. A
   * CPU-bound handler spreads over every worker; a tiny one (echo) fills one message first.
   */
  private pick(): Outbox | undefined {
    let best: Outbox | undefined;
    let bestScore = Number.POSITIVE_INFINITY;
    for (const worker of this.pool.workers) {
      if (!worker) continue;
      let outbox = this.outboxes.get(worker);
      if (!outbox) {
        outbox = new Outbox(worker);
        this.outboxes.set(worker, outbox);
      }
      const score =
        worker.load * this.costMicros + (outbox.gathered === 0 ? MESSAGE_COST_MICROS : 0);
      if (score < bestScore) {
        best = outbox;
        bestScore = score;
      }
    }
    return best;
  }

  /** Cheap requests: hold a busy worker's next batch until it answers. */
  private get coalesce(): boolean {
    return this.costMicros < MESSAGE_COST_MICROS;
  }

  private dispatch(request: Buffer, context: HandlerContext): Promise<Buffer> {
    const outbox = this.pick();
    if (!outbox) return Promise.reject(new WorkerExitedError('no worker thread is running'));
    const requestId = this.nextRequestId++;
    const promise = new Promise<Buffer>((resolve, reject) => {
      outbox.add(requestId, request, context, { resolve, reject });
    });
    this.queued++;
    if (this.queued >= this.maxQueuedRequests && !this.queueFull) this.setQueueFull(true);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // After the poll phase: every socket readable this turn has been decoded by then.
      setImmediate(() => this.flush());
    }
    return promise;
  }

  /** End of a turn that decoded requests: pick up finished replies, then send the batches. */
  private flush(): void {
    this.flushScheduled = false;
    this.readReplyRings();
    const coalesce = this.coalesce;
    for (const outbox of this.outboxes.values()) outbox.flush(coalesce);
  }

  /**
   * Settles every reply the workers left in their rings. Called whenever this thread is awake
   * anyway, so that a worker seldom has to wake it.
   */
  private readReplyRings(): void {
    for (const outbox of this.outboxes.values()) {
      if (!outbox.worker.replyRing) continue;
      const { settled, runMicros, batchesDone } = outbox.settleFromRing();
      outbox.batchesFinished(batchesDone, this.coalesce);
      if (settled === 0) continue;
      this.measuredCost(runMicros, settled);
      this.dequeued(settled);
    }
  }

  protected onWorkerMessage(worker: PoolWorker, message: FromWorker): void {
    if (message.type !== 'replies') return;
    this.readReplyRings();
    if (message.handlerCalls > 0) this.measuredCost(message.runMicros, message.handlerCalls);
    const outbox = this.outboxes.get(worker);
    if (outbox) this.dequeued(outbox.settle(message, this.coalesce));
  }

  private measuredCost(runMicros: number, calls: number): void {
    this.costMicros += (runMicros / calls - this.costMicros) * 0.25;
  }

  protected onWorkerExit(worker: PoolWorker, error: WorkerExitedError): void {
    const outbox = this.outboxes.get(worker);
    this.outboxes.delete(worker);
    if (!outbox) return;
    // Replies it finished before it died are good.
    if (worker.replyRing) this.dequeued(outbox.settleFromRing().settled);
    this.dequeued(outbox.failAll(error));
  }

  private dequeued(count: number): void {
    this.queued -= count;
    // Resume at half the bound, so reading does not flap on and off at the limit.
    if (this.queueFull && this.queued <= this.maxQueuedRequests / 2) this.setQueueFull(false);
  }

  /** Stops (or restarts) reading on every connection: a full queue is everyone's backpressure. */
  private setQueueFull(full: boolean): void {
    this.queueFull = full;
    for (const connection of this.live) {
      if (full) connection.pause(QUEUE_FULL);
      else connection.resume(QUEUE_FULL);
    }
  }

  protected override async onShutdown(): Promise<void> {
    await super.onShutdown();
    // Only after destroy can work still be pending; its connections are gone already.
    const closed = new ServerClosedError();
    for (const outbox of this.outboxes.values()) this.dequeued(outbox.failAll(closed));
  }
}
