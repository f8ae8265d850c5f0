import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { LoadResult, LoadSpec } from './load.js';
import { newLatencyHistogram } from './load.js';
import type { FromLoadWorker, ToLoadWorker } from './load-protocol.js';
import { benchScriptCommand } from './scripts.js';
import { latencySummary } from './windows.js';

/** Timing of one measurement. */
export interface WindowTiming {
  /** Least warm-up: load before anything is measured. */
  readonly warmupMs: number;
  /**
   * Most warm-up: past `warmupMs` the load goes on in short windows until two in a row agree
   * within `steadyPercent`, or until this much warm-up in all. Equal to `warmupMs`: no wait.
   */
  readonly warmupMaxMs: number;
  /** Length of each settling window. */
  readonly steadyWindowMs: number;
  /** How close (in %) two consecutive settling windows' rates must be. */
  readonly steadyPercent: number;
  readonly durationMs: number;
  /** After the window, how long to wait for replies still owed. */
  readonly drainMs: number;
}

/** How the warm-up of one measurement ended. */
export interface WarmupOutcome {
  /** Warm-up it took, in ms. */
  readonly ms: number;
  /** False when the rate was still moving at `warmupMaxMs`: the figures may not be steady-state. */
  readonly steady: boolean;
}

/** True when two rates agree within `percent` of the larger (both zero agree). */
export function agreeWithin(a: number, b: number, percent: number): boolean {
  const larger = Math.max(a, b);
  return larger === 0 || (Math.abs(a - b) / larger) * 100 <= percent;
}

/** Called at the edges of the window, to sample the server's resources at the same moments. */
export interface WindowHooks {
  onWindowStart?(): void;
  /** At the end of the window, before the load generators stop: its connections are open. */
  onWindowLastMoment?(): void;
  onWindowEnd?(): void;
}

/**
 * A cell's figures merged over every load-generator process: the counts of {@link LoadResult}
 * summed (per-connection counts in cell order, error samples the first few), the window the
 * longest, the histogram merged and summarized, and each process's CPU kept apart.
 */
export interface MergedLoad extends Omit<LoadResult, 'cpuPercent'> {
  readonly latencyUs: LatencySummary;
  /** CPU of each load-generator process over the window, % of one core. */
  readonly loadCpuPercent: readonly number[];
  readonly warmup: WarmupOutcome;
}

export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
  readonly count: number;
}

/** Splits `total` into `parts` whole numbers that differ by at most one. */
export function splitEvenly(total: number, parts: number): number[] {
  return Array.from(
    { length: parts },
    (_, index) => Math.floor(total / parts) + (index < total % parts ? 1 : 0),
  );
}

/** Merges per-process results: counts add up, histograms merge, the window is the longest. */
export function mergeLoadResults(
  results: readonly LoadResult[],
  warmup: WarmupOutcome = { ms: 0, steady: true },
): MergedLoad {
  const histogram = newLatencyHistogram();
  for (const result of results) histogram.add(decodeFromCompressedBase64(result.histogram));
  const sum = (pick: (result: LoadResult) => number) =>
    results.reduce((total, result) => total + pick(result), 0);
  const elapsedMs = Math.max(0, ...results.map((result) => result.elapsedMs));
  return {
    requests: sum((result) => result.requests),
    bytes: sum((result) => result.bytes),
    elapsedMs,
    latencyUs: latencySummary(histogram),
    histogram: results.length === 1 ? results[0]!.histogram : encodeIntoCompressedBase64(histogram),
    errors: sum((result) => result.errors),
    lostBytes: sum((result) => result.lostBytes),
    wrongBytes: sum((result) => result.wrongBytes),
    errorSamples: results.flatMap((result) => result.errorSamples).slice(0, 5),
    unanswered: sum((result) => result.unanswered),
    perConnection: results.flatMap((result) => result.perConnection),
    loadCpuPercent: results.map((result) => result.cpuPercent),
    warmup,
  };
}

/** A cell's load whose windows the caller cuts (see `LoadPool.open`). */
export interface OpenLoad {
  /** Ends the current window and opens the next at once; the figures of the one that ended. */
  window(): Promise<MergedLoad>;
  /** Ends the last window, waits up to `drainMs` for replies owed, closes every connection. */
  stop(drainMs: number): Promise<MergedLoad>;
}

/** One load-generator child process, spoken to over IPC. */
class LoadWorkerProcess {
  private readonly inbox: FromLoadWorker[] = [];
  private waiting: ((message: FromLoadWorker) => void) | undefined;
  private exited = false;

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: FromLoadWorker) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (waiting) waiting(message);
      else this.inbox.push(message);
    });
    child.on('exit', () => {
      this.exited = true;
      this.waiting?.({ type: 'failed', message: 'load generator exited' });
    });
  }

  send(message: ToLoadWorker): void {
    // One that died before its exit was seen (a signal to the whole process group) fails the
    // send in the callback, not as an unhandled 'error'; `next()` reports it once it has exited.
    if (!this.exited && this.child.connected) this.child.send(message, () => {});
  }

  /** The next message; throws if it reports a failure. */
  async next(): Promise<FromLoadWorker> {
    const message =
      this.inbox.shift() ??
      (this.exited
        ? ({ type: 'failed', message: 'load generator exited' } as const)
        : await new Promise<FromLoadWorker>((resolve) => (this.waiting = resolve)));
    if (message.type === 'failed') throw new Error(`load generator: ${message.message}`);
    return message;
  }

  /** Ends the process: by closing its channel, or at once (`SIGKILL`) when `now`. */
  async close(now = false): Promise<void> {
    if (this.exited) return;
    const exited = once(this.child, 'exit');
    if (now) this.child.kill('SIGKILL');
    else this.child.disconnect();
    await Promise.race([exited, sleep(now ? 1000 : 2000)]);
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

/**
 * The load-generator processes of a bench: started once, reused for every cell. A cell's
 * connections (and rate) are split evenly among them; they start, open and close the window
 * together on the CLI's clock.
 */
export class LoadPool {
  private constructor(private readonly workers: LoadWorkerProcess[]) {}

  /**
   * Starts `count` load generators, each pinned to `cpus` with taskset when given. Once `signal`
   * aborts they are killed at once: they hold nothing worth a graceful end.
   */
  static async start(count: number, cpus?: string, signal?: AbortSignal): Promise<LoadPool> {
    signal?.throwIfAborted();
    const script = benchScriptCommand('load-worker');
    const workers = Array.from({ length: count }, () => {
      const [command, args] = cpus
        ? ['taskset', ['-c', cpus, script.command, ...script.args]]
        : [script.command, script.args];
      const child = spawn(command as string, args as string[], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      return new LoadWorkerProcess(child);
    });
    const pool = new LoadPool(workers);
    signal?.addEventListener('abort', () => void pool.close(true), { once: true });
    try {
      await Promise.all(workers.map((worker) => worker.next()));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Process ids of the load generators, for resource readings. */
  get pids(): number[] {
    return this.workers.map((worker) => worker.child.pid ?? 0);
  }

  /**
   * Runs one cell: connect, warm up until steady, measure, drain; merges every process's figures.
   * `signal` cuts every wait short (the caller then closes the pool).
   */
  async run(
    spec: Omit<LoadSpec, 'connectionOffset'>,
    timing: WindowTiming,
    hooks: WindowHooks = {},
    signal?: AbortSignal,
  ): Promise<MergedLoad> {
    const active = await this.startCell(spec);
    const warmup = await this.warmUp(active, timing, signal);
    hooks.onWindowStart?.();
    for (const worker of active) worker.send({ type: 'measure' });
    await sleep(timing.durationMs, undefined, { signal });
    hooks.onWindowLastMoment?.();
    for (const worker of active) worker.send({ type: 'stop', drainMs: timing.drainMs });
    hooks.onWindowEnd?.();
    const results: LoadResult[] = [];
    for (const worker of active) {
      const message = await worker.next();
      if (message.type !== 'result') throw new Error(`load generator: unexpected ${message.type}`);
      results.push(message.result);
    }
    return mergeLoadResults(results, warmup);
  }

  /**
   * Starts a cell's load for a caller that cuts its windows itself (chaos's phases), instead of
   * the warm-up and single window of `run`. Nothing is measured until the first `window()`.
   */
  async open(spec: Omit<LoadSpec, 'connectionOffset'>): Promise<OpenLoad> {
    const active = await this.startCell(spec);
    const collect = async (message: ToLoadWorker, warmup?: WarmupOutcome) => {
      for (const worker of active) worker.send(message);
      const results: LoadResult[] = [];
      for (const worker of active) {
        const reply = await worker.next();
        if (reply.type !== 'result') throw new Error(`load generator: unexpected ${reply.type}`);
        results.push(reply.result);
      }
      return mergeLoadResults(results, warmup);
    };
    return {
      window: () => collect({ type: 'window' }),
      stop: (drainMs) => collect({ type: 'stop', drainMs }),
    };
  }

  /** Sends each active load generator its share of the cell and waits until all have started. */
  private async startCell(spec: Omit<LoadSpec, 'connectionOffset'>): Promise<LoadWorkerProcess[]> {
    const active = this.workers.slice(
      0,
      Math.max(1, Math.min(this.workers.length, spec.connections)),
    );
    const connections = splitEvenly(spec.connections, active.length);
    let connectionOffset = 0;
    active.forEach((worker, index) => {
      const share = connections[index]!;
      const rate = spec.rate === undefined ? undefined : (spec.rate * share) / spec.connections;
      worker.send({ type: 'start', spec: { ...spec, connections: share, rate, connectionOffset } });
      connectionOffset += share;
    });
    await Promise.all(active.map((worker) => worker.next()));
    return active;
  }

  /**
   * Waits out the least warm-up, then watches the reply rate in short windows until two in a
   * row agree: JIT, caches and a worker pool's cost model are warm by then, and the figures are
   * of the steady state rather than of the start.
   */
  private async warmUp(
    active: readonly LoadWorkerProcess[],
    timing: WindowTiming,
    signal: AbortSignal | undefined,
  ): Promise<WarmupOutcome> {
    const started = performance.now();
    await sleep(timing.warmupMs, undefined, { signal });
    if (timing.warmupMaxMs <= timing.warmupMs) return { ms: timing.warmupMs, steady: true };
    const count = async () => {
      for (const worker of active) worker.send({ type: 'count' });
      let total = 0;
      for (const worker of active) {
        const message = await worker.next();
        if (message.type !== 'count') throw new Error(`load generator: unexpected ${message.type}`);
        total += message.completed;
      }
      return { total, at: performance.now() };
    };
    let last = await count();
    let previousRate: number | undefined;
    while (performance.now() - started < timing.warmupMaxMs) {
      await sleep(timing.steadyWindowMs, undefined, { signal });
      const now = await count();
      const rate = (now.total - last.total) / Math.max(1, now.at - last.at);
      last = now;
      if (previousRate !== undefined && agreeWithin(rate, previousRate, timing.steadyPercent)) {
        return { ms: Math.round(performance.now() - started), steady: true };
      }
      previousRate = rate;
    }
    return { ms: Math.round(performance.now() - started), steady: false };
  }

  /** Ends every load generator; `now` kills them at once (an interrupted bench). */
  async close(now = false): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close(now)));
  }
}
