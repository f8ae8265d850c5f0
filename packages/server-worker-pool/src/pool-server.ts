import { performance } from 'node:perf_hooks';
import {
  addHandlerTimes,
  type Codec,
  EMPTY_HANDLER_TIME,
  HandlerTimeoutError,
  type ResolvedServerOptions,
  type ServerStats,
  WorkerExitedError,
} from '@switchyard/protocol';
import { BaseServer, HandlerTimes } from '@switchyard/server-core';
import type { FromWorker, PoolMode } from './messages.js';
import { type PoolWorker, WorkerPool } from './pool.js';

export interface PoolServerInit {
  readonly options: ResolvedServerOptions;
  /** Loaded on this thread; workers get `options.codec` as a specifier (handoff) or its name. */
  readonly codec: Codec;
  readonly mode: PoolMode;
  readonly workers: number;
  readonly pauseOnConnect?: boolean;
}

/** What a worker's death cost, as its mode counts it, for the warning that tells of it. */
export interface WorkerLoss {
  /** Offload: requests it had started and not answered; they failed. */
  readonly failedRequests?: number;
  /** Offload: requests it had not started; they went to live workers. */
  readonly redispatched?: number;
  /** Handoff: connections it served; their sockets ended with the thread. */
  readonly lostConnections?: number;
}

/** What the threads that held one slot before its present one did. */
interface SlotPast {
  /** Their handler calls (each thread's own, as it left them when it exited). */
  readonly handlerTime: HandlerTimes;
  exits: number;
}

/** The shortest and longest interval between two looks for requests past their deadline. */
const SWEEP_MIN_MS = 5;
const SWEEP_MAX_MS = 1000;

/**
 * The lifecycle both modes share: threads start before the listener, end after the last
 * connection. Watches for handler calls past `handlerTimeoutMs` and tells of every worker exit.
 */
export abstract class PoolServer extends BaseServer {
  protected readonly pool: WorkerPool;
  /**
   * The pool's coarse clock (performance.now() at the last sweep): what a request's deadline is
   * measured by, read without a clock call per request.
   */
  protected now = performance.now();
  private sweeper: NodeJS.Timeout | undefined;
  /** By slot: with each live thread's own figures, `stats().workers`. */
  private readonly past: SlotPast[];

  constructor({ options, codec, mode, workers, pauseOnConnect }: PoolServerInit) {
    super({ options, pauseOnConnect });
    // A codec object cannot be cloned to a thread; offload workers only need its name.
    const forWorkers = {
      ...options,
      // A codec object cannot be cloned to a thread; offload workers only need its name.
      codec: typeof options.codec === 'string' ? options.codec : codec.name,
      // Handoff threads hold connections, each its share of the server-wide memory budget.
      maxServerBufferedBytes: Math.max(1, Math.floor(options.maxServerBufferedBytes / workers)),
    };
    this.pool = new WorkerPool({
      size: workers,
      mode,
      workerData: { options: forWorkers, codecName: codec.name, loadsCodec: mode === 'handoff' },
      onMessage: (worker, message) => this.onWorkerMessage(worker, message),
      onExit: (worker, error, replaced) => this.workerExited(worker, error, replaced),
    });
    this.past = Array.from({ length: workers }, () => ({
      handlerTime: new HandlerTimes(),
      exits: 0,
    }));
  }

  /**
   * The server's stats, with the handler calls every thread timed (read from the memory each
   * writes them to) by slot, and the server's as their sum.
   */
  override stats(): ServerStats {
    const workers = this.past.map(({ handlerTime, exits }, index) => ({
      index,
      handlerTime: addHandlerTimes([
        handlerTime.snapshot(),
        this.pool.workers[index]?.handlerTime.snapshot() ?? EMPTY_HANDLER_TIME,
      ]),
      exits,
    }));
    return {
      ...super.stats(),
      handlerTime: addHandlerTimes(workers.map((worker) => worker.handlerTime)),
      workers,
    };
  }

  /** Starts the threads, then listens; a failure on either leaves nothing running. */
  async start(): Promise<this> {
    await this.pool.start();
    try {
      await this.listen();
    } catch (error) {
      await this.pool.terminate();
      throw error;
    }
    const limit = this.options.handlerTimeoutMs;
    // A deadline is noticed between `limit` and `limit` plus two intervals after it began.
    const interval =
      limit > 0
        ? Math.min(SWEEP_MAX_MS, Math.max(SWEEP_MIN_MS, Math.floor(limit / 8)))
        : SWEEP_MAX_MS;
    this.sweeper = setInterval(() => this.sweep(limit), interval);
    this.sweeper.unref();
    return this;
  }

  /**
   * With a deadline: lets the mode fail (or stop the threads of) what entered the pool more than
   * `limit` ago and is still not answered, then stops every thread seen stuck in one handler call
   * for `limit` (nothing else can end it: a synchronous loop holds its thread, timers included).
   * Then the mode looks over what it holds ({@link review}).
   */
  private sweep(limit: number): void {
    this.now = performance.now();
    if (limit > 0) {
      this.expire(this.now - limit);
      for (const worker of this.pool.workers) {
        if (worker?.ready && worker.stoppedFor === undefined && worker.stuck(this.now, limit)) {
          this.stopStuck(worker);
        }
      }
    }
    this.review();
  }

  /** Runs at every sweep: what changes by the passing of time rather than by an event. */
  protected review(): void {}

  /** Fails what entered the pool before `cutoff` and is still not answered. */
  protected expire(_cutoff: number): void {}

  /** Ends a thread held by a handler call past `handlerTimeoutMs`; a new one takes its place. */
  protected stopStuck(worker: PoolWorker): void {
    const timeout = new HandlerTimeoutError(this.options.handlerTimeoutMs);
    // Made here, its stack would tell of this sweep, not of the call that holds the thread.
    timeout.stack = `${timeout.name}: ${timeout.message}`;
    const reason = new WorkerExitedError(
      `worker ${worker.index} was stopped: ${timeout.message}, holding its thread`,
      { cause: timeout },
    );
    this.pool.stop(worker, reason);
  }

  private workerExited(worker: PoolWorker, error: WorkerExitedError, replaced: boolean): void {
    // The pool has already put its replacement (if any) in the slot: what it did is the past now.
    const past = this.past[worker.index];
    if (past) {
      past.exits++;
      past.handlerTime.add(worker.handlerTime.snapshot());
    }
    const loss = this.onWorkerExit(worker, error);
    const next = replaced
      ? 'a new thread took its place'
      : 'not replaced: it died before it was ready';
    this.emit('warning', {
      kind: 'worker-exited',
      message: `${error.message}; ${describeLoss(loss)}; ${next}`,
      error,
    });
  }

  protected abstract onWorkerMessage(worker: PoolWorker, message: FromWorker): void;
  /** A worker exited while running: recover or fail its work, and say what that cost. */
  protected abstract onWorkerExit(worker: PoolWorker, error: WorkerExitedError): WorkerLoss;

  protected override async onShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    await this.pool.tearDownAndTerminate();
  }
}

function describeLoss({ failedRequests, redispatched, lostConnections }: WorkerLoss): string {
  const parts: string[] = [];
  if (failedRequests !== undefined)
    parts.push(`${count(failedRequests, 'request')} it had started failed`);
  if (redispatched !== undefined)
    parts.push(`${count(redispatched, 'request')} it had not started went to live workers`);
  if (lostConnections !== undefined)
    parts.push(
      `${count(lostConnections, 'connection')} it served lost (a thread's sockets end with it)`,
    );
  return parts.join(', ');
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
