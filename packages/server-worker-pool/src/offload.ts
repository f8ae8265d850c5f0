import type { Socket } from 'node:net';
import {
  type Codec,
  type HandlerContext,
  type ResolvedServerOptions,
  ServerClosedError,
  WorkerExitedError,
} from '@switchyard/protocol';
import { Connection } from '@switchyard/server-core';
import { type Affinity, pickOffloadWorker, pinnedWorker } from './balance.js';
import { WorkerLink } from './link.js';
import type { FromWorker } from './messages.js';
import { PoolServer, type PoolWorker } from './pool.js';

/** The pause reason used on every connection while the pool's queue is full. */
const QUEUE_FULL = 'pool-queue-full';

/**
 * What one more message to a worker costs, in microseconds of handler time it is worth: a post
 * and a thread wakeup each way (see the README's cost model). A request goes to a worker that
 * needs no new message unless another worker would finish it this much sooner; below this
 * measured cost, requests for a busy worker wait and go together when it answers.
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
 * Replies are written in request order by the Connection.
 */
export class OffloadServer extends PoolServer {
  private readonly codec: Codec;
  private readonly maxQueuedRequests: number;
  private readonly affinity: Affinity;
  /** Under `connection` affinity: the worker slot each connection's requests go to. */
  private readonly pinned = new Map<number, number>();
  /** By pool slot; a slot's link is replaced with its worker. */
  private readonly links: (WorkerLink | undefined)[] = [];
  private readonly live = new Set<Connection>();
  private queueFull = false;
  private flushScheduled = false;
  private nextRequestId = 1;
  /** Moving average of handler time per request, as the workers measure it. */
  private costMicros = INITIAL_COST_MICROS;

  constructor({ options, codec, workers, maxQueuedRequests, affinity }: OffloadInit) {
    super({ options, codec, mode: 'offload', workers });
    this.codec = codec;
    this.maxQueuedRequests = maxQueuedRequests;
    this.affinity = affinity ?? 'connection';
  }

  protected accept(socket: Socket, connectionId: number): Connection {
    const connection = new Connection(socket, {
      id: connectionId,
      codec: this.codec,
      options: this.options,
      stats: this.recorder,
      budget: this.budget,
      dispatch: (request, context) => this.dispatch(request, context),
      onFailure: this.reportFailure,
    });
    if (this.queueFull) connection.pause(QUEUE_FULL);
    this.live.add(connection);
    void connection.closed.then(() => {
      this.live.delete(connection);
      this.pinned.delete(connectionId);
      for (const link of this.links) link?.forgetConnection(connectionId);
    });
    return connection;
  }

  /** Requests handed to workers and not yet answered, over the whole pool. */
  private get queued(): number {
    let total = 0;
    for (const link of this.links) total += link?.outstanding ?? 0;
    return total;
  }

  /** Cheap requests: a busy worker's next batch waits until it answers. */
  private get holdWhileBusy(): boolean {
    return this.costMicros < MESSAGE_COST_MICROS;
  }

  /** The link of every live worker, by slot (made on first use for a new thread). */
  private currentLinks(): (WorkerLink | undefined)[] {
    const { workers } = this.pool;
    for (let index = 0; index < workers.length; index++) {
      const worker = workers[index];
      if (this.links[index]?.worker !== worker) {
        this.links[index] = worker && new WorkerLink(worker);
      }
    }
    return this.links;
  }

  private dispatch(request: Buffer, context: HandlerContext): Promise<Buffer> {
    const links = this.currentLinks();
    const id = context.connectionId;
    const index =
      pinnedWorker(this.affinity, this.pinned.get(id), links) ??
      pickOffloadWorker(links, {
        handlerMicros: this.costMicros,
        messageMicros: MESSAGE_COST_MICROS,
      });
    if (this.affinity === 'connection' && index >= 0) this.pinned.set(id, index);
    const link = links[index];
    if (!link) return Promise.reject(new WorkerExitedError('no worker thread is running'));
    const requestId = this.nextRequestId++;
    const promise = new Promise<Buffer>((resolve, reject) => {
      link.add(requestId, request, context, { resolve, reject });
    });
    if (!this.queueFull && this.queued >= this.maxQueuedRequests) this.setQueueFull(true);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // After the poll phase: every socket readable this turn has been decoded by then.
      setImmediate(() => this.flush());
    }
    return promise;
  }

  /** End of a turn that decoded requests: send each worker what was gathered for it. */
  private flush(): void {
    this.flushScheduled = false;
    const hold = this.holdWhileBusy;
    for (const link of this.links) link?.flush(hold);
  }

  protected onWorkerMessage(worker: PoolWorker, message: FromWorker): void {
    if (message.type !== 'replies') return;
    const link = this.links[worker.index];
    if (link?.worker !== worker) return;
    if (message.handlerCalls > 0) {
      const measured = message.runMicros / message.handlerCalls;
      this.costMicros += (measured - this.costMicros) * COST_SMOOTHING;
    }
    link.settle(message, this.holdWhileBusy);
    this.dequeued();
  }

  protected onWorkerExit(worker: PoolWorker, error: WorkerExitedError): void {
    const link = this.links[worker.index];
    if (link?.worker !== worker) return;
    this.links[worker.index] = undefined;
    link.failAll(error);
    this.dequeued();
  }

  /** Resumes reading at half the bound, so that it does not flap on and off at the limit. */
  private dequeued(): void {
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
    for (const link of this.links) link?.failAll(closed);
  }
}
