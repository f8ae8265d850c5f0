import { Worker } from 'node:worker_threads';
import { deserializeError, WorkerExitedError } from '@switchyard/protocol';
import {
  HandlerTimes,
  siblingModule,
  type WorkerThreadStart,
  workerThreadStart,
} from '@switchyard/server-core';
import {
  type FromWorker,
  type PoolMode,
  PROGRESS_BYTES,
  type Progress,
  RUNNING,
  STARTED,
  type ToWorker,
  type WorkerExiting,
  type WorkerInit,
  type WorkerStart,
} from './messages.js';

/** One thread of the pool. */
export class PoolWorker {
  /** What the thread writes as it begins and ends handler calls (see {@link Progress}). */
  private readonly progress: Progress;
  /** The call the watchdog last saw running, and since when. */
  private watched = 0;
  private watchedSince = 0;

  /** The handler calls the thread has timed, in memory it writes (see `WorkerStart`). */
  readonly handlerTime: HandlerTimes;

  constructor(
    readonly index: number,
    readonly thread: Worker,
    { progress, handlerTime }: Pick<WorkerStart, 'progress' | 'handlerTime'>,
  ) {
    this.progress = new Float64Array(progress);
    this.handlerTime = new HandlerTimes(handlerTime);
  }

  /** True once it loaded the handler and ran its setup. */
  ready = false;
  /** Why the pool stopped it, when it did (a handler call that never returned). */
  stoppedFor: WorkerExitedError | undefined;

  /** The last handler call the thread began. */
  get started(): number {
    return this.progress[STARTED]!;
  }

  /** The handler call running synchronously on the thread now, 0 between calls. */
  get running(): number {
    return this.progress[RUNNING]!;
  }

  /**
   * True when one handler call has been running, synchronously, since at least `limitMs` before
   * `now`, as seen by calls to this method: the thread is stuck in it, and nothing on it can
   * run, not even a timer. Called at a steady interval, it notices within one interval.
   */
  stuck(now: number, limitMs: number): boolean {
    const running = this.running;
    if (running === 0 || running !== this.watched) {
      this.watched = running;
      this.watchedSince = now;
      return false;
    }
    return now - this.watchedSince >= limitMs;
  }

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
   * A worker exited while the pool was running, `error` saying why (its own error, with its
   * stack, as `cause`). `replaced` unless it died before loading the handler, which would only
   * repeat; the replacement has already taken its slot, so its work can move there.
   */
  readonly onExit: (worker: PoolWorker, error: WorkerExitedError, replaced: boolean) => void;
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

  /**
   * Ends a thread that cannot end itself (stuck in a handler call); its exit is handled like any
   * other, `reason` saying why, and it is replaced.
   */
  stop(worker: PoolWorker, reason: WorkerExitedError): void {
    if (worker.stoppedFor !== undefined) return;
    worker.stoppedFor = reason;
    void worker.thread.terminate();
  }

  private spawn(index: number): Promise<void> {
    const { filename, options } = this.entry;
    const shared = {
      progress: new SharedArrayBuffer(PROGRESS_BYTES),
      handlerTime: new SharedArrayBuffer(HandlerTimes.BYTES),
    };
    const thread = new Worker(filename, {
      ...options,
      workerData: { ...this.init.workerData, ...shared } satisfies WorkerStart,
    });
    const worker = new PoolWorker(index, thread, shared);
    this.workers[index] = worker;
    return new Promise((resolve, reject) => {
      let crash: unknown;
      let exiting: WorkerExiting | undefined;
      thread.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          worker.ready = true;
          resolve();
        } else if (message.type === 'load-failed') {
          reject(deserializeError(message.error));
        } else if (message.type === 'exiting') {
          exiting = message;
        } else {
          this.init.onMessage(worker, message);
        }
      });
      // An uncaught exception in the handler: 'exit' follows, and that is where it counts.
      thread.on('error', (error) => {
        crash = error;
      });
      thread.once('exit', (exitCode) => {
        const error = worker.stoppedFor ?? exitError(index, exitCode, exiting, crash);
        reject(error);
        if (this.stopping || this.workers[index] !== worker) return;
        const replaced = worker.ready;
        if (replaced) {
          // Replace first, so the failed work's owners can retry on a live thread.
          this.spawn(index).catch(() => {});
        } else {
          this.workers[index] = undefined;
        }
        this.init.onExit(worker, error, replaced);
      });
    });
  }
}

/**
 * Why a thread exited, as one error: what it said as it went (its crash, or where it called
 * process.exit, with the stack), else the error Node reported, else only the exit code.
 */
function exitError(
  index: number,
  exitCode: number,
  exiting: WorkerExiting | undefined,
  crash: unknown,
): WorkerExitedError {
  let cause: unknown = crash;
  if (exiting !== undefined) {
    cause = deserializeError(exiting.error);
    if (exiting.stack !== undefined) {
      Object.defineProperty(cause, 'stack', { value: exiting.stack, configurable: true });
    }
  }
  if (!(cause instanceof Error)) {
    return new WorkerExitedError(`worker ${index} exited with code ${exitCode}`);
  }
  const how = exiting?.crashed === false ? 'exited' : 'crashed';
  return new WorkerExitedError(`worker ${index} ${how}: ${cause.message}`, { cause });
}
