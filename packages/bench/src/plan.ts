import {
  type HandlerOptions,
  InvalidOptionError,
  type LoadedWorkload,
  resolveCodecSpecifier,
  resolveHandlerSpecifier,
} from '@switchyard/protocol';
import type { ServiceSpec } from './contenders.js';
import type { WindowTiming } from './load-pool.js';

/**
 * Everything a bench run was asked for, contenders aside, the timing of each window included.
 * Recorded as is in the JSON report.
 */
export interface BenchOptions extends WindowTiming {
  /** Workloads, in the order they run: built-in names (`echo`, `burn`, ...) or module specifiers. */
  readonly workloads: readonly string[];
  /** Request sizes for every workload that takes sizes; default each workload's own. */
  readonly sizes?: readonly number[];
  /** Connection counts for every workload; default each workload's own. */
  readonly connections?: readonly number[];
  /** Closed loop: requests in flight per connection; default each workload's own (1). */
  readonly depth?: number;
  /** Open loop instead: requests per second per cell (stream workloads). */
  readonly rate?: number;
  /** Serve every workload with this handler instead of its own (a built-in name or a specifier). */
  readonly handler?: string;
  /** Serve and load every workload with this codec instead of its own. */
  readonly codec?: string;
  /** Handed to the handler as `context.options`, over the workload's own. */
  readonly handlerOptions?: HandlerOptions;
  /** Use each workload's `bench.quick` cells (a short look). */
  readonly quick: boolean;
  readonly runs: number;
  /** Load-generator processes. */
  readonly clients: number;
  /** Pin servers and load generators to separate CPUs with taskset. */
  readonly pin: boolean;
  readonly host: string;
  /** How long a server may take to be ready. */
  readonly readyTimeoutMs: number;
}

/** A thorough run (about 15 minutes on 2 cores with 5 contenders and the four built-ins). */
export const thoroughDefaults: BenchOptions = {
  workloads: ['echo', 'burn', 'bulk', 'churn'],
  quick: false,
  warmupMs: 1000,
  warmupMaxMs: 10_000,
  steadyWindowMs: 500,
  steadyPercent: 10,
  durationMs: 3000,
  drainMs: 1000,
  runs: 3,
  clients: 1,
  pin: false,
  host: '127.0.0.1',
  // tsx from sources on a busy machine is slow to start.
  readyTimeoutMs: 30_000,
};

/**
 * `--quick`, what `switchyard start` runs: each workload's quick cells and short windows, still
 * three runs (so a ratio can be told from noise) and still warmed up until steady.
 */
export const quickDefaults: BenchOptions = {
  ...thoroughDefaults,
  quick: true,
  warmupMs: 300,
  warmupMaxMs: 3000,
  steadyWindowMs: 300,
  durationMs: 500,
  drainMs: 500,
};

/** One cell of a workload: the load to apply, minus where (the contender's server) to apply it. */
export interface CellPlan {
  /** Stable id, e.g. `echo/1024B/c10/d1`. */
  readonly id: string;
  /** For tables and charts, e.g. `1 KiB x 10 conn`. */
  readonly label: string;
  readonly pattern: 'stream' | 'churn';
  /** Request size asked of the workload; absent for a workload without sizes. */
  readonly size?: number;
  readonly connections: number;
  readonly depth: number;
  readonly rate?: number;
}

export interface WorkloadPlan {
  readonly name: string;
  readonly description: string;
  readonly workload: LoadedWorkload;
  /** What each contender's server must run. */
  readonly service: ServiceSpec;
  /** The codec the load generators encode with (the service's). */
  readonly unit: 'req/s' | 'MB/s' | 'conn/s';
  readonly cells: readonly CellPlan[];
}

/** Connection counts of a workload that declares none. */
const DEFAULT_CONNECTIONS: readonly number[] = [1, 10];

/**
 * Turns options and the loaded workloads into the cells to run, in order: the workload's own
 * shape (`bench`, or `bench.quick`), with every size, connection count and depth the caller gave
 * on top.
 */
export function planWorkloads(
  options: BenchOptions,
  workloads: readonly LoadedWorkload[],
): WorkloadPlan[] {
  return workloads.map((workload) => {
    const shape = workload.bench ?? {};
    const quick = options.quick ? (shape.quick ?? {}) : {};
    const pattern = shape.pattern ?? 'stream';
    const sizes: readonly (number | undefined)[] = options.sizes ??
      quick.sizes ??
      shape.sizes ?? [undefined];
    const connections =
      options.connections ?? quick.connections ?? shape.connections ?? DEFAULT_CONNECTIONS;
    const depth = pattern === 'churn' ? 1 : (options.depth ?? shape.depth ?? 1);
    const rate = pattern === 'churn' ? undefined : options.rate;
    // An override is typed by the caller: a path in it is relative to the working directory.
    const codec =
      options.codec === undefined ? workload.codec : resolveCodecSpecifier(options.codec);
    const handler =
      options.handler === undefined ? workload.handler : resolveHandlerSpecifier(options.handler);
    const loop =
      pattern === 'churn'
        ? 'connect, one request, close (closed loop)'
        : rate === undefined
          ? `closed loop, depth ${depth}`
          : `open loop, ${rate} req/s`;
    return {
      name: workload.name,
      description: `${workload.description ?? workload.name}${overridden(options, codec, handler)}; ${loop}`,
      workload,
      service: {
        workload: workload.module ?? workload.label,
        codec,
        handler,
        handlerOptions: { ...workload.handlerOptions, ...options.handlerOptions },
      },
      unit: shape.unit ?? (pattern === 'churn' ? 'conn/s' : 'req/s'),
      cells: sizes.flatMap((size) =>
        connections.map((count) => cell(workload.name, pattern, size, count, depth, rate)),
      ),
    };
  });
}

/** What a description must add when the caller serves the workload with something else. */
function overridden(options: BenchOptions, codec: string, handler: string): string {
  const parts = [
    ...(options.codec === undefined ? [] : [`codec ${codec}`]),
    ...(options.handler === undefined ? [] : [`handler ${handler}`]),
  ];
  return parts.length === 0 ? '' : ` (served here with ${parts.join(' and ')})`;
}

function cell(
  workload: string,
  pattern: CellPlan['pattern'],
  size: number | undefined,
  connections: number,
  depth: number,
  rate?: number,
): CellPlan {
  const loop = rate === undefined ? `d${depth}` : `r${rate}`;
  const sized = size === undefined ? '' : `${formatBytes(size)} x `;
  const label =
    pattern === 'churn'
      ? `${sized}${connections} at once`
      : `${sized}${connections} conn${depth > 1 && rate === undefined ? ` x ${depth} deep` : ''}`;
  return {
    id: `${workload}/${size === undefined ? '' : `${size}B/`}c${connections}/${loop}`,
    label,
    pattern,
    ...(size === undefined ? {} : { size }),
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
