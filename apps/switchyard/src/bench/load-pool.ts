import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { LoadResult, LoadSpec } from './load.js';
import { newLatencyHistogram } from './load.js';
import type { FromLoadWorker, ToLoadWorker } from './load-protocol.js';
import { benchScriptCommand } from './scripts.js';

/** Timing of one measurement. */
export interface WindowTiming {
  readonly warmupMs: number;
  readonly durationMs: number;
  /** After the window, how long to wait for replies still owed. */
  readonly drainMs: number;
}

/** Called at the edges of the window, to sample the server's resources at the same moments. */
export interface WindowHooks {
  onWindowStart?(): void;
  onWindowEnd?(): void;
}

/** A cell's figures merged over every load-generator process. */
export interface MergedLoad {
  readonly requests: number;
  readonly bytes: number;
  readonly elapsedMs: number;
  readonly latencyUs: LatencySummary;
  /** Compressed HDR histogram of all latencies, for re-analysis. */
  readonly histogram: string;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly unanswered: number;
  /** CPU of each load-generator process over the window, % of one core. */
  readonly loadCpuPercent: readonly number[];
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
export function mergeLoadResults(results: readonly LoadResult[]): MergedLoad {
  const histogram = newLatencyHistogram();
  for (const result of results) histogram.add(decodeFromCompressedBase64(result.histogram));
  const sum = (pick: (result: LoadResult) => number) =>
    results.reduce((total, result) => total + pick(result), 0);
  const elapsedMs = Math.max(0, ...results.map((result) => result.elapsedMs));
  const empty = histogram.totalCount === 0;
  return {
    requests: sum((result) => result.requests),
    bytes: sum((result) => result.bytes),
    elapsedMs,
    latencyUs: {
      p50: empty ? 0 : histogram.getValueAtPercentile(50),
      p90: empty ? 0 : histogram.getValueAtPercentile(90),
      p99: empty ? 0 : histogram.getValueAtPercentile(99),
      p999: empty ? 0 : histogram.getValueAtPercentile(99.9),
      max: empty ? 0 : histogram.maxValue,
      mean: empty ? 0 : histogram.mean,
      count: histogram.totalCount,
    },
    histogram: results.length === 1 ? results[0]!.histogram : encodeIntoCompressedBase64(histogram),
    errors: sum((result) => result.errors),
    errorSamples: results.flatMap((result) => result.errorSamples).slice(0, 5),
    unanswered: sum((result) => result.unanswered),
    loadCpuPercent: results.map((result) => result.cpuPercent),
  };
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
    if (!this.exited) this.child.send(message);
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

  async close(): Promise<void> {
    if (this.exited) return;
    const exited = once(this.child, 'exit');
    this.child.disconnect();
    await Promise.race([exited, sleep(2000)]);
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

  /** Starts `count` load generators, each pinned to `cpus` with taskset when given. */
  static async start(count: number, cpus?: string): Promise<LoadPool> {
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

  /** Runs one cell: connect, warm up, measure, drain; merges every process's figures. */
  async run(spec: LoadSpec, timing: WindowTiming, hooks: WindowHooks = {}): Promise<MergedLoad> {
    const active = this.workers.slice(
      0,
      Math.max(1, Math.min(this.workers.length, spec.connections)),
    );
    const connections = splitEvenly(spec.connections, active.length);
    active.forEach((worker, index) => {
      const share = connections[index]!;
      const rate = spec.rate === undefined ? undefined : (spec.rate * share) / spec.connections;
      worker.send({ type: 'start', spec: { ...spec, connections: share, rate } });
    });
    await Promise.all(active.map((worker) => worker.next()));
    await sleep(timing.warmupMs);
    hooks.onWindowStart?.();
    for (const worker of active) worker.send({ type: 'measure' });
    await sleep(timing.durationMs);
    for (const worker of active) worker.send({ type: 'stop', drainMs: timing.drainMs });
    hooks.onWindowEnd?.();
    const results: LoadResult[] = [];
    for (const worker of active) {
      const message = await worker.next();
      if (message.type !== 'result') throw new Error(`load generator: unexpected ${message.type}`);
      results.push(message.result);
    }
    return mergeLoadResults(results);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }
}
