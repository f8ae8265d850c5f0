import { InvalidOptionError } from '@switchyard/protocol';
import type { ServerProfile } from './contenders.js';
import type { Framing, LoadSpec } from './load.js';

/** The workloads, in the order they run and are reported. */
export const workloadNames = ['echo', 'burn', 'bulk', 'churn'] as const;
export type WorkloadName = (typeof workloadNames)[number];

/** Everything a bench run was asked for. Recorded as is in the JSON report. */
export interface BenchOptions {
  readonly workloads: readonly WorkloadName[];
  /** echo: request sizes in bytes. */
  readonly sizes: readonly number[];
  /** echo: connection counts. */
  readonly connections: readonly number[];
  /** Closed loop: requests in flight per connection. */
  readonly depth: number;
  /** Open loop instead: requests per second per cell (echo and burn). */
  readonly rate?: number;
  readonly burnSize: number;
  readonly burnConnections: readonly number[];
  readonly burnRounds?: number;
  readonly bulkChunk: number;
  readonly bulkDepth: number;
  readonly bulkConnections: readonly number[];
  readonly churnConnections: readonly number[];
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly drainMs: number;
  readonly runs: number;
  /** Load-generator processes. */
  readonly clients: number;
  /** Pin servers and load generators to separate CPUs with taskset. */
  readonly pin: boolean;
  readonly host: string;
  readonly strategies: string;
  readonly baseline: boolean;
  readonly externals: readonly string[];
}

/** A thorough run (about 15 minutes on 2 cores with 5 contenders). */
export const thoroughDefaults: BenchOptions = {
  workloads: workloadNames,
  sizes: [64, 1024, 10 * 1024, 100 * 1024],
  connections: [1, 10, 100],
  depth: 1,
  burnSize: 1024,
  burnConnections: [1, 10],
  bulkChunk: 64 * 1024,
  bulkDepth: 8,
  bulkConnections: [1, 4],
  churnConnections: [1, 10],
  warmupMs: 1000,
  durationMs: 3000,
  drainMs: 1000,
  runs: 3,
  clients: 1,
  pin: false,
  host: '127.0.0.1',
  strategies: 'all',
  baseline: true,
  externals: [],
};

/** `--quick`, used by `switchyard start`: a handful of cells, short windows, one run. */
export const quickDefaults: BenchOptions = {
  ...thoroughDefaults,
  sizes: [64, 10 * 1024],
  connections: [1, 10],
  burnConnections: [10],
  bulkConnections: [2],
  churnConnections: [10],
  warmupMs: 300,
  durationMs: 1000,
  drainMs: 500,
  runs: 1,
};

/** One measured configuration: every contender runs it, under the same load. */
/** One cell of a workload: the load to apply, minus where (the contender's server) to apply it. */
export interface CellPlan extends Omit<LoadSpec, 'host' | 'port'> {
  /** Stable id, e.g. `echo/1024B/c10/d1`. */
  readonly id: string;
  /** For tables and charts, e.g. `1 KiB x 10 conn`. */
  readonly label: string;
}

export interface WorkloadPlan {
  readonly name: WorkloadName;
  readonly description: string;
  readonly profile: ServerProfile;
  /** The figure the workload is about: requests, bytes or connections per second. */
  readonly unit: 'req/s' | 'MB/s' | 'conn/s';
  readonly cells: readonly CellPlan[];
}

/** Turns options into the workloads and cells to run, in order. */
export function planWorkloads(options: BenchOptions): WorkloadPlan[] {
  const plans: WorkloadPlan[] = [];
  const loop =
    options.rate === undefined
      ? `closed loop, depth ${options.depth}`
      : `open loop, ${options.rate} req/s`;
  for (const name of options.workloads) {
    if (name === 'echo') {
      plans.push({
        name,
        description: `echo, raw codec, ${loop}`,
        profile: { codec: 'raw', handler: 'echo' },
        unit: 'req/s',
        cells: options.sizes.flatMap((size) =>
          options.connections.map((connections) =>
            cell(name, 'stream', size, 'raw', connections, options.depth, options.rate),
          ),
        ),
      });
    } else if (name === 'burn') {
      plans.push({
        name,
        description: `burn handler (CPU-bound), length-prefixed codec, ${loop}`,
        profile: { codec: 'length-prefixed', handler: 'burn', burnRounds: options.burnRounds },
        unit: 'req/s',
        cells: options.burnConnections.map((connections) =>
          cell(
            name,
            'stream',
            options.burnSize,
            'length-prefixed',
            connections,
            options.depth,
            options.rate,
          ),
        ),
      });
    } else if (name === 'bulk') {
      plans.push({
        name,
        description: `bulk streaming, ${formatBytes(options.bulkChunk)} chunks, ${options.bulkDepth} in flight per connection`,
        profile: { codec: 'raw', handler: 'echo' },
        unit: 'MB/s',
        cells: options.bulkConnections.map((connections) =>
          cell(name, 'stream', options.bulkChunk, 'raw', connections, options.bulkDepth),
        ),
      });
    } else {
      plans.push({
        name,
        description: 'churn: connect, one 64 B request, close (closed loop)',
        profile: { codec: 'raw', handler: 'echo' },
        unit: 'conn/s',
        cells: options.churnConnections.map((connections) =>
          cell(name, 'churn', 64, 'raw', connections, 1),
        ),
      });
    }
  }
  return plans;
}

function cell(
  workload: WorkloadName,
  kind: CellPlan['kind'],
  size: number,
  framing: Framing,
  connections: number,
  depth: number,
  rate?: number,
): CellPlan {
  const loop = rate === undefined ? `d${depth}` : `r${rate}`;
  const label =
    kind === 'churn'
      ? `${connections} at once`
      : `${formatBytes(size)} x ${connections} conn${depth > 1 && rate === undefined ? ` x ${depth} deep` : ''}`;
  return {
    id: `${workload}/${size}B/c${connections}/${loop}`,
    label,
    kind,
    size,
    framing,
    connections,
    depth,
    ...(rate === undefined ? {} : { rate }),
  };
}

/** `64 B`, `1 KiB`, `100 KiB`, `1 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / 1024 / 1024} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** Parses `64`, `1k`, `10KiB`, `1m` into bytes; throws `SWITCHYARD_ERR_INVALID_OPTION`. */
export function parseSize(text: string, option = '--sizes'): number {
  const match = /^(\d+)\s*(b|k|kb|kib|m|mb|mib)?$/i.exec(text.trim());
  if (!match)
    throw new InvalidOptionError(option, `expected a size like 64, 1k or 100KiB, got "${text}"`);
  const unit = (match[2] ?? 'b').toLowerCase()[0];
  const bytes = Number(match[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 * 1024 : 1);
  if (bytes < 1) throw new InvalidOptionError(option, 'sizes must be at least 1 byte');
  return bytes;
}

/** Parses a comma-separated list with `parse` for each item. */
export function parseList<T>(text: string, parse: (item: string) => T): T[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map(parse);
}
