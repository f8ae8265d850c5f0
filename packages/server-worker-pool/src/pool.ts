import { Worker } from 'node:worker_threads';
import {
  type Codec,
  deserializeError,
  type ResolvedServerOptions,
  WorkerExitedError,
} from '@switchyard/protocol';
import {
  BaseServer,
  siblingModule,
  type WorkerThreadStart,
  workerThreadStart,
} from '@switchyard/server-core';
import type { FromWorker, PoolMode, ToWorker, WorkerInit } from './messages.js';

/** One thread of the pool. */
export class PoolWorker {
  constructor(
    readonly index: number,
    readonly thread: Worker,
  ) {}

  /** True once it loaded the handler and ran its setup. */
  ready = false;

  post(message: ToWorker, transfer?: readonly unknown[]): void {
    this.thread.postMessage(message, transfer as readonly ArrayBuffer[] | undefined);
  }
}

export interface WorkerPoolInit {
  readonly size: number;
  /** Which entry each thread runs: `worker-offload` or `worker-handoff`. */
  readonly mode: PoolMode;
  readonly workerData: WorkerInit;
  /** Every message a worker sends once ready. */
  readonly onMessage: (worker: PoolWorker, message: FromWorker) => void;
  /**
   * A worker exited while the pool was running: its work failed. A replacement has already
   * taken its slot (unless it died before loading the handler, which would only repeat).
   */
  readonly onExit: (worker: PoolWorker, error: WorkerExitedError) => void;
}

/** How long a worker's handler `teardown` may take when the pool shuts down. */
export const TEARDOWN_LIMIT_MS = 5000;

/** Slot states: a slot is empty when its thread died before it could load the handler. */
type Slot = PoolWorker | undefined;

/**
 * A fixed number of worker threads that all load the same handler. Replaces a thread that
 * exits and terminates them all on {@link terminate}.
 */
export class WorkerPool {
  /** By slot index. */
  readonly workers: Slot[] = [];
  private stopping = false;
  /** The mode's own entry, from the build or (in tests) from TypeScript sources. */
  private readonly entry: WorkerThreadStart;

  constructor(private readonly init: WorkerPoolInit) {
    this.entry = workerThreadStart(siblingModule(import.meta.url, `./worker-${init.mode}.ts`));
  }

  /** Starts every thread; resolves once each has loaded the handler, or rejects with why not. */
  async start(): Promise<void> {
    const started = Array.from({ length: this.init.size }, (_, index) => this.spawn(index));
    const outcomes = await Promise.allSettled(started);
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) {
      await this.terminate();
      throw failed.reason;
    }
  }

  /** Stops replacing threads and terminates all of them. Idempotent. */
  async terminate(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.workers.map((worker) => worker?.thread.terminate()));
  }

  /**
   * Asks every ready thread to run the handler's `teardown`, waits for each to say it has (or to
   * exit, or for {@link TEARDOWN_LIMIT_MS}: a hung teardown must not hang `close`), then
   * terminates them all.
   */
  async tearDownAndTerminate(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.workers.map((worker) => {
        if (!worker?.ready) return undefined;
        const thread = worker.thread;
        return new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, TEARDOWN_LIMIT_MS);
          const done = () => {
            clearTimeout(timer);
            resolve();
          };
          thread.on('message', (message: FromWorker) => {
            if (message.type === 'torn-down') done();
          });
          thread.once('exit', done);
          worker.post({ type: 'teardown' });
        });
      }),
    );
    await this.terminate();
  }

  private spawn(index: number): Promise<void> {
    const { filename, options } = this.entry;
    const thread = new Worker(filename, { ...options, workerData: this.init.workerData });
    const worker = new PoolWorker(index, thread);
    this.workers[index] = worker;
    let ready = false;
    return new Promise((resolve, reject) => {
      let crash: unknown;
      thread.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          ready = true;
          worker.ready = true;
          resolve();
        } else if (message.type === 'load-failed') {
          reject(deserializeError(message.error));
        } else {
          this.init.onMessage(worker, message);
        }
      });
      // An uncaught exception in the handler: 'exit' follows, and that is where it counts.
      thread.on('error', (error) => {
        crash = error;
      });
      thread.once('exit', (exitCode) => {
        const error = new WorkerExitedError(
          `worker ${index} exited with code ${exitCode}${crash instanceof Error ? `: ${crash.message}` : ''}`,
          { cause: crash },
        );
        reject(error);
        if (this.stopping || this.workers[index] !== worker) return;
        if (ready) {
          // Replace first, so the failed work's owners can retry on a live thread.
          this.spawn(index).catch(() => {});
        } else {
          this.workers[index] = undefined;
        }
        this.init.onExit(worker, error);
      });
    });
  }
}

export interface PoolServerInit {
  readonly options: ResolvedServerOptions;
  /** Loaded on this thread; workers get `options.codec` as a specifier (handoff) or its name. */
  readonly codec: Codec;
  readonly mode: PoolMode;
  readonly workers: number;
  readonly pauseOnConnect?: boolean;
}

/** The lifecycle both modes share: threads start before the listener, end after the last connection. */
export abstract class PoolServer extends BaseServer {
  protected readonly pool: WorkerPool;

  constructor({ options, codec, mode, workers, pauseOnConnect }: PoolServerInit) {
    super({ options, pauseOnConnect });
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
      onExit: (worker, error) => this.onWorkerExit(worker, error),
    });
  }

  /** Starts the threads, then listens; a failure on either leaves nothing running. */
  async start(): Promise<this> {
    await this.pool.start();
    try {
      return await this.listen();
    } catch (error) {
      await this.pool.terminate();
      throw error;
    }
  }

  protected abstract onWorkerMessage(worker: PoolWorker, message: FromWorker): void;
  protected abstract onWorkerExit(worker: PoolWorker, error: WorkerExitedError): void;

  protected override async onShutdown(): Promise<void> {
    await this.pool.tearDownAndTerminate();
  }
}
