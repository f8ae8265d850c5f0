import type { Socket } from 'node:net';
import {
  type Codec,
  type HandlerContext,
  HandlerTimeoutError,
  type ResolvedServerOptions,
  ServerClosedError,
  WorkerExitedError,
} from '@switchyard/protocol';
import {
  type ConnectionOptions,
  type Dispatch,
  type MakeConnection,
  openConnection,
  type ServedConnection,
} from '@switchyard/server-core';
import {
  batchLimit,
  fairShare,
  MAX_BATCH_REQUESTS,
  maxRequestsInPool,
  overMemoryCap,
  overShare,
  roomInShare,
} from './admission.js';
import { type Affinity, pickOffloadWorker, pinnedWorker } from './balance.js';
import { type PoolRequest, type ReplyLending, WorkerLink } from './link.js';
import type { FromWorker } from './messages.js';
import { OffloadConnection, type Standing } from './offload-connection.js';
import type { PoolWorker } from './pool.js';
import { PoolServer, type WorkerLoss } from './pool-server.js';
import { sortOrphans } from './recovery.js';

/**
 * What one more message to a worker costs, in microseconds of handler time it is worth: a post
 * and a thread wakeup each way (see the README's cost model). A request goes to a worker that
 * needs no new message unless another worker would finish it this much sooner.
 */
const MESSAGE_COST_MICROS = 40;
/** Handler cost assumed before the first answer is timed: high, so the first requests spread. */
const INITIAL_COST_MICROS = 1000;
/** Weight of the newest answer in the moving average of handler cost. */
const COST_SMOOTHING = 0.25;

export interface OffloadInit {
  readonly options: ResolvedServerOptions;
  readonly codec: Codec;
  readonly workers: number;
  readonly maxQueuedRequests: number;
  /** Default `connection`. */
  readonly affinity?: Affinity;
}

/**
 * Offload mode: this thread owns sockets and codecs (server-core's {@link Connection}); each
 * decoded request goes to the worker expected to finish it first ({@link pickOffloadWorker}).
 * Requests that arrive during one turn of the event loop travel to a worker in one message, and
 * its replies come back the same way ({@link WorkerLink}), so the per-message cost is shared.
 * Replies are written in request order by the Connection. Each connection may hold its
 * {@link fairShare} of the pool's queue; past it, it waits and is paused alone.
 */
export class OffloadServer extends PoolServer {
  private readonly codec: Codec;
  private readonly maxQueuedRequests: number;
  private readonly affinity: Affinity;
  /** By pool slot; a slot's link is replaced with its worker. */
  private readonly links: (WorkerLink | undefined)[] = [];
  private readonly live = new Map<number, OffloadConnection>();
  /** Connections with requests in the pool or waiting to enter it: the queue is shared among them. */
  private readonly busy = new Set<OffloadConnection>();
  private flushScheduled = false;
  /** Sweeps so far: how long a connection has stood where it stands, in sweeps. */
  private sweeps = 0;
  /** Moving average of handler time per request, as the workers measure it. */
  private costMicros = INITIAL_COST_MICROS;
  /** False until a worker has timed a call: the first messages are not cut to the guessed cost. */
  private costMeasured = false;
  private readonly onSettled = (entry: PoolRequest) => this.settled(entry);
  // Made once and given to every connection, not a closure or a copy each: an idle connection
  // should cost little.
  private readonly connectionOptions: ResolvedServerOptions;
  private readonly toPool: Dispatch = (request, context) => this.dispatch(request, context);
  private readonly adopt: MakeConnection = (socket, init) => this.adoptConnection(socket, init);
  private readonly forget = (connection: OffloadConnection) => this.forgetConnection(connection);
  /** Replies lent from a worker's ring go to connections that write them at once. */
  private readonly lending: ReplyLending = {
    mayLend: (entry) => this.live.get(entry.context.connectionId)?.writesNow(entry) ?? false,
    whenWritten: (entry, done) => {
      const connection = this.live.get(entry.context.connectionId);
      if (connection) connection.whenWritten(done);
      else done();
    },
  };

  constructor({ options, codec, workers, maxQueuedRequests, affinity }: OffloadInit) {
    super({ options, codec, mode: 'offload', workers });
    this.codec = codec;
    this.maxQueuedRequests = maxQueuedRequests;
    this.affinity = affinity ?? 'connection';
    // The pool keeps the handler deadline itself, from when a request reaches a worker's queue
    // (it can tell a stuck thread and move its queue elsewhere): none in the connection too.
    this.connectionOptions = { ...this.options, handlerTimeoutMs: 0 };
  }

  protected accept(socket: Socket, connectionId: number): ServedConnection {
    const options: ConnectionOptions = {
      id: connectionId,
      codec: this.codec,
      options: this.connectionOptions,
      stats: this.recorder,
      budget: this.budget,
      dispatch: this.toPool,
      // The workers time the handler calls, where they run.
      timesHandler: false,
      // More wait in the Connection, which holds only their bytes.
      maxInFlight: maxRequestsInPool(
        this.maxQueuedRequests,
        this.options.maxBufferedBytesPerConnection,
      ),
      onFailure: this.reportFailure,
    };
    // Made at once, or once a PROXY header that precedes the TLS handshake has been read.
    return openConnection(socket, options, this.adopt);
  }

  /** The connection that serves `socket`, known by id to the pool until it closes. */
  private adoptConnection(socket: Socket, options: ConnectionOptions): OffloadConnection {
    const connection = new OffloadConnection(socket, options, this.forget);
    this.live.set(options.id, connection);
    return connection;
  }

  /** Its socket closed: the pool lets go of it (before those awaiting its `closed` hear of it). */
  private forgetConnection(connection: OffloadConnection): void {
    const { id } = connection;
    this.live.delete(id);
    this.busy.delete(connection);
    // Nobody reads these replies: they never go to a worker.
    connection.dropWaiting();
    for (const link of this.links) link?.forgetConnection(id);
  }

  /** Requests per message to a worker: about a millisecond of handler time ({@link batchLimit}). */
  private get batchLimit(): number {
    return this.costMeasured ? batchLimit(this.costMicros) : MAX_BATCH_REQUESTS;
  }

  /** The link of every live worker, by slot (made on first use for a new thread). */
  private currentLinks(): (WorkerLink | undefined)[] {
    const { workers } = this.pool;
    for (let index = 0; index < workers.length; index++) {
      const worker = workers[index];
      if (this.links[index]?.worker !== worker) {
        this.links[index] = worker && new WorkerLink(worker, this.onSettled, this.lending);
      }
    }
    return this.links;
  }

  private dispatch(request: Buffer, context: HandlerContext): Promise<Buffer> {
    const connection = this.live.get(context.connectionId)!;
    return new Promise<Buffer>((resolve, reject) => {
      this.busy.add(connection);
      connection.enqueue({ requestId: 0, since: 0, request, context, resolve, reject });
      this.admitWaiting(connection);
    });
  }

  private room(connection: OffloadConnection): number {
    return roomInShare(connection, this.maxQueuedRequests, this.busy.size);
  }

  /** Puts a request of `connection` in a live worker's queue, to go with its next message. */
  private place(entry: PoolRequest, connection: OffloadConnection): void {
    const links = this.currentLinks();
    const index =
      pinnedWorker(this.affinity, connection.pinnedSlot, links) ??
      pickOffloadWorker(links, {
        handlerMicros: this.costMicros,
        messageMicros: MESSAGE_COST_MICROS,
      });
    if (this.affinity === 'connection' && index >= 0) connection.pinnedSlot = index;
    const link = links[index];
    if (!link) {
      entry.reject(new WorkerExitedError('no worker thread is running'));
      this.settled(entry);
      return;
    }
    entry.since = this.now;
    link.add(entry);
    this.scheduleFlush();
  }

  /**
   * Sends what waits after the poll phase: every socket readable this turn has been decoded by
   * then, and every worker answer that came has been settled.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** A request left the pool's queue: its connection has room for one more of its own. */
  private settled(entry: PoolRequest): void {
    const connection = this.live.get(entry.context.connectionId);
    if (connection === undefined) return;
    connection.left(entry);
    this.admitWaiting(connection);
  }

  /**
   * Moves a connection's waiting requests into the pool while it has room in its share and its
   * undelivered output is within its cap, then pauses or resumes its reading to match: past its
   * share, or its cap counting what the pool holds for it ({@link overMemoryCap}).
   */
  private admitWaiting(connection: OffloadConnection): void {
    const cap = this.options.maxBufferedBytesPerConnection;
    const enter = (entry: PoolRequest) => this.place(entry, connection);
    const held = connection.release(this.room(connection), cap, enter);
    if (!connection.busy) this.busy.delete(connection);
    if (held) {
      // Its client is not reading its replies: look again once they have gone out.
      connection.watchOutput(() => {
        if (this.live.has(connection.id)) this.admitWaiting(connection);
      });
    }
    const standing: Standing =
      held || overMemoryCap(connection, connection.connectionBytes, cap)
        ? 'over-memory'
        : overShare(connection, this.maxQueuedRequests, this.busy.size)
          ? 'over-share'
          : 'reading';
    connection.stand(standing, this.sweeps);
  }

  /**
   * A connection's share shrinks when others start using the pool, which is not its own event:
   * each sweep looks again at the connections using it, so a hog whose requests never settle is
   * paused too. One that has stayed past its share through a whole sweep is told of, once; a
   * pipelining client paused for a moment at its share is not.
   */
  protected override review(): void {
    this.sweeps++;
    for (const connection of this.busy) {
      this.admitWaiting(connection);
      if (
        connection.standing === 'over-share' &&
        this.sweeps - connection.standingSince >= 2 &&
        !connection.throttleTold
      ) {
        connection.throttleTold = true;
        this.tellThrottled(connection);
      }
    }
  }

  private tellThrottled(connection: OffloadConnection): void {
    const { id } = connection;
    const { remoteAddress, remotePort } = connection.peer;
    const share = fairShare(this.maxQueuedRequests, this.busy.size);
    const held = connection.queued + connection.waiting;
    this.emit('warning', {
      kind: 'connection-throttled',
      message: `connection ${id} ${remoteAddress}:${remotePort} is paused: it has ${held} requests in the worker pool, past its share of ${share} (maxQueuedRequests ${this.maxQueuedRequests} shared by ${this.busy.size} connections), and has not come back within it; it reads again as they are answered (told once per connection)`,
      connectionId: id,
      remoteAddress,
      remotePort,
    });
  }

  /** End of a turn that decoded requests or settled answers: send each worker what waits. */
  private flush(): void {
    this.flushScheduled = false;
    const limit = this.batchLimit;
    for (const link of this.links) link?.flush(limit);
  }

  protected onWorkerMessage(worker: PoolWorker, message: FromWorker): void {
    if (message.type !== 'replies') return;
    const link = this.links[worker.index];
    if (link?.worker !== worker) return;
    if (message.handlerCalls > 0) {
      const measured = message.runMicros / message.handlerCalls;
      this.costMicros += (measured - this.costMicros) * COST_SMOOTHING;
      this.costMeasured = true;
    }
    link.settle(message);
    if (message.batchesDone > 0) this.scheduleFlush();
  }

  /**
   * Requests past their deadline fail and close their connections. A worker whose running call
   * is one of them is stuck in it: it is stopped instead, and its exit sorts out its requests.
   */
  protected override expire(cutoff: number): void {
    for (const link of this.links) {
      if (link === undefined || link.worker.stoppedFor !== undefined) continue;
      const running = link.worker.running;
      if (running !== 0 && link.entered(running) < cutoff) {
        this.stopStuck(link.worker);
        continue;
      }
      for (const entry of link.expire(cutoff)) {
        entry.reject(new HandlerTimeoutError(this.options.handlerTimeoutMs));
        this.settled(entry);
      }
    }
  }

  /**
   * Requests the dead thread had not started go to live workers, in order; those it had started
   * fail (the one it was running, and async calls it had pending), closing their connections.
   */
  protected onWorkerExit(worker: PoolWorker, error: WorkerExitedError): WorkerLoss {
    const link = this.links[worker.index];
    if (link?.worker !== worker) return { failedRequests: 0, redispatched: 0 };
    this.links[worker.index] = undefined;
    const { sent, unsent } = link.drain();
    const { lost, redispatch } = sortOrphans(sent, worker.started);
    // Moved first: a failure below lets its connection's waiting requests in, after these.
    let moved = 0;
    for (const entry of [...redispatch, ...unsent]) {
      // A connection that closed meanwhile has nobody to answer.
      const connection = this.live.get(entry.context.connectionId);
      if (connection === undefined) continue;
      moved++;
      this.place(entry, connection);
    }
    const running = worker.running;
    for (const entry of lost) {
      const timedOut = entry.requestId === running ? worker.stoppedFor?.cause : undefined;
      entry.reject(timedOut instanceof HandlerTimeoutError ? timedOut : error);
      this.settled(entry);
    }
    return { failedRequests: lost.length, redispatched: moved };
  }

  protected override async onShutdown(): Promise<void> {
    await super.onShutdown();
    // Only after destroy can work still be pending; its connections are gone already.
    const closed = new ServerClosedError();
    for (const link of this.links) {
      if (link === undefined) continue;
      const { sent, unsent } = link.drain();
      for (const entry of [...sent, ...unsent]) entry.reject(closed);
    }
  }
}
