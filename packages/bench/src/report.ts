import { cpus, release, totalmem } from 'node:os';
import type { ServiceSpec } from './contenders.js';
import type { MergedLoad } from './load-pool.js';
import type { BenchOptions, CellPlan } from './plan.js';
import { clockTicksPerSecond } from './proc.js';
import { median, SATURATED_CLIENT_PERCENT, spreadPercent } from './stats.js';
import { type Fairness, fairnessOf, isUnfair, worstFairness } from './verdicts.js';

/** Version of the JSON report's shape; bump it when a field changes meaning. */
export const REPORT_SCHEMA = 'switchyard-bench/2';

/** One measurement window of one contender in one cell. */
export interface Measurement extends MergedLoad {
  /** Which run (1-based) of `--runs`. */
  readonly run: number;
  readonly requestsPerSecond: number;
  /** Megabytes (10^6) of payload echoed per second. */
  readonly megabytesPerSecond: number;
  /** Server process tree's CPU over the window, in microseconds. */
  readonly serverCpuMicros: number;
  readonly serverCpuMicrosPerRequest: number;
  /** Peak RSS of the server tree: over the window where it could be reset, else since start. */
  readonly serverPeakRssBytes: number;
  /** How the window's replies were spread over its connections. */
  readonly fairness: Fairness;
  /**
   * For a server of several processes: each serving process's ESTABLISHED connections on the
   * server's port at the end of the window, in pid order, as /proc shows them (see
   * `connectionsPerProcess`). Absent for one process, and when none was open at that moment
   * (churn's connections live too briefly to be caught).
   */
  readonly connectionsPerProcess?: readonly number[];
}

/** The figures a table shows: medians over runs, spread of req/s. */
export interface Summary {
  readonly requestsPerSecond: number;
  readonly spreadPercent?: number;
  readonly megabytesPerSecond: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly serverCpuMicrosPerRequest: number;
  readonly serverPeakRssBytes: number;
  /** Highest load-generator CPU in any run, % of one core. */
  readonly loadCpuPercent: number;
  readonly saturatedClient: boolean;
  readonly errors: number;
  /** Requests never answered, over every run (warm-up sends included). */
  readonly unanswered: number;
  /** The worst run's fairness. */
  readonly fairness: Fairness;
  /** Some connection was starved in some run (see `isUnfair`). */
  readonly starved: boolean;
  /** False when some run was measured before its throughput had settled (warm-up ran out). */
  readonly steady: boolean;
  /** Median warm-up before the window, in ms. */
  readonly warmupMs: number;
  /** Each run's `connectionsPerProcess`, for a server of several processes. */
  readonly connectionsPerProcess?: readonly (readonly number[])[];
}

export interface ContenderResult {
  readonly contender: string;
  /** `errored`: failed verification or crashed. `skipped`: cannot run this workload. */
  readonly status: 'ok' | 'errored' | 'skipped';
  readonly error?: string;
  readonly runs: Measurement[];
  summary?: Summary;
}

export interface CellReport extends CellPlan {
  readonly results: ContenderResult[];
}

export interface WorkloadReport {
  readonly name: string;
  readonly description: string;
  /** What every contender's server ran. */
  readonly service: ServiceSpec;
  readonly unit: 'req/s' | 'MB/s' | 'conn/s';
  readonly cells: CellReport[];
}

export interface ContenderInfo {
  readonly name: string;
  readonly kind: 'strategy' | 'baseline' | 'external';
  /**
   * It served TLS: the bench's clients spoke TLS and checked its certificate, with no session
   * kept between connections (every connection a full handshake).
   */
  readonly tls?: true;
  /** It listened on a Unix domain socket, and the bench's clients connected to its path. */
  readonly unixSocket?: true;
}

export interface Environment {
  readonly node: string;
  readonly platform: string;
  readonly kernel: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly totalMemoryBytes: number;
  readonly clockTicksPerSecond: number;
  /** How servers and load generators were placed on CPUs. */
  readonly pinning: string;
}

export interface BenchReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly startedAt: string;
  finishedAt: string;
  readonly environment: Environment;
  readonly options: BenchOptions;
  readonly contenders: readonly ContenderInfo[];
  readonly workloads: WorkloadReport[];
}

/** What the machine is, for the report header. */
export function describeEnvironment(pinning: string): Environment {
  const processors = cpus();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    kernel: release(),
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    totalMemoryBytes: totalmem(),
    clockTicksPerSecond: clockTicksPerSecond(),
    pinning,
  };
}

/**
 * Medians over runs (req/s, percentiles, CPU per request); the worst case for RSS, client CPU
 * and fairness. Needs at least one run.
 */
export function summarize(runs: readonly Measurement[]): Summary {
  const pick = (select: (run: Measurement) => number) => median(runs.map(select));
  const loadCpuPercent = Math.max(0, ...runs.flatMap((run) => run.loadCpuPercent));
  const fairness = worstFairness(runs.map((run) => run.fairness))!;
  return {
    requestsPerSecond: pick((run) => run.requestsPerSecond),
    spreadPercent: spreadPercent(runs.map((run) => run.requestsPerSecond)),
    megabytesPerSecond: pick((run) => run.megabytesPerSecond),
    p50: pick((run) => run.latencyUs.p50),
    p90: pick((run) => run.latencyUs.p90),
    p99: pick((run) => run.latencyUs.p99),
    p999: pick((run) => run.latencyUs.p999),
    max: pick((run) => run.latencyUs.max),
    serverCpuMicrosPerRequest: pick((run) => run.serverCpuMicrosPerRequest),
    serverPeakRssBytes: Math.max(0, ...runs.map((run) => run.serverPeakRssBytes)),
    loadCpuPercent,
    saturatedClient: loadCpuPercent >= SATURATED_CLIENT_PERCENT,
    errors: runs.reduce((total, run) => total + run.errors, 0),
    unanswered: runs.reduce((total, run) => total + run.unanswered, 0),
    fairness,
    starved: isUnfair(fairness),
    steady: runs.every((run) => run.warmup.steady),
    warmupMs: pick((run) => run.warmup.ms),
    ...(runs.some((run) => run.connectionsPerProcess) && {
      connectionsPerProcess: runs.map((run) => run.connectionsPerProcess ?? []),
    }),
  };
}

/** Builds one measurement from the load figures and the server's resource readings. */
export function toMeasurement(
  run: number,
  load: MergedLoad,
  server: { cpuMicros: number; peakRssBytes: number; connectionsPerProcess?: readonly number[] },
): Measurement {
  const seconds = load.elapsedMs / 1000;
  return {
    ...load,
    run,
    requestsPerSecond: seconds > 0 ? load.requests / seconds : 0,
    megabytesPerSecond: seconds > 0 ? load.bytes / 1e6 / seconds : 0,
    serverCpuMicros: server.cpuMicros,
    serverCpuMicrosPerRequest: load.requests > 0 ? server.cpuMicros / load.requests : 0,
    serverPeakRssBytes: server.peakRssBytes,
    fairness: fairnessOf(load.perConnection),
    ...(server.connectionsPerProcess && { connectionsPerProcess: server.connectionsPerProcess }),
  };
}

/** The figure a workload ranks by: MB/s for bulk, per second counts otherwise. */
export function headline(workload: Pick<WorkloadReport, 'unit'>, summary: Summary): number {
  return workload.unit === 'MB/s' ? summary.megabytesPerSecond : summary.requestsPerSecond;
}
