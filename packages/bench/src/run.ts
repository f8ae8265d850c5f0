import { cpus } from 'node:os';
import { loadCodec, loadWorkload } from '@switchyard/protocol';
import {
  ABORT_GRACE_MS,
  type BenchContender,
  type ServerProcess,
  type ServiceSpec,
  startServer,
} from './contenders.js';
import type { DialTarget } from './dial.js';
import { LoadPool } from './load-pool.js';
import type { BenchOptions, CellPlan, WorkloadPlan } from './plan.js';
import { planWorkloads } from './plan.js';
import {
  connectionsPerProcess,
  resetTreePeakRss,
  treeCpuMicros,
  treePeakRssBytes,
} from './proc.js';
import {
  type BenchReport,
  type CellReport,
  type ContenderResult,
  describeEnvironment,
  REPORT_SCHEMA,
  summarize,
  toMeasurement,
  type WorkloadReport,
} from './report.js';
import { makeTraffic, type Traffic } from './traffic.js';
import { verifyService } from './verify.js';

/** One measurement window about to run (or skipped, for a contender that is not measured). */
export interface BenchStep {
  readonly workload: string;
  readonly cell: string;
  readonly contender: string;
  /** 1-based, of `runs`. */
  readonly run: number;
  readonly runs: number;
  /** `echo 1 KiB x 10 conn selector (run 2/3)`. */
  readonly label: string;
}

/** What a run tells its caller as it goes. */
export interface BenchListener {
  /** Once, with the number of measurement windows planned (skipped ones included). */
  planned?(windows: number): void;
  /** Before each window, and for each one skipped. */
  step?(step: BenchStep): void;
  /** A server failed to start or to verify, or exited. */
  note?(message: string): void;
}

/** CPU placement for `pin`: servers on every CPU but the last, load generators on the last. */
export function pinning(pin: boolean): { server?: string; load?: string; description: string } {
  const count = cpus().length;
  if (!pin) return { description: 'not pinned (the scheduler places processes)' };
  if (count < 2) return { description: 'not pinned (only one CPU)' };
  const server = count === 2 ? '0' : `0-${count - 2}`;
  const load = String(count - 1);
  return { server, load, description: `servers on CPU ${server}, load generators on CPU ${load}` };
}

/**
 * Runs the benchmark: for each workload, starts every contender's server in its own process,
 * checks its replies with the workload's oracle, then measures cell by cell. Within a cell, runs
 * alternate contenders (the order rotates every run) so slow drift on a shared machine spreads
 * over all of them. An aborted `signal` stops every server and load generator it started and
 * rejects with the signal's reason.
 */
export async function runBench(
  options: BenchOptions,
  contenders: readonly BenchContender[],
  listener: BenchListener = {},
  signal?: AbortSignal,
): Promise<BenchReport> {
  signal?.throwIfAborted();
  const workloads = await Promise.all(options.workloads.map((name) => loadWorkload(name)));
  const plans = planWorkloads(options, workloads);
  const placement = pinning(options.pin);
  const report: BenchReport = {
    schema: REPORT_SCHEMA,
    startedAt: new Date().toISOString(),
    finishedAt: '',
    environment: describeEnvironment(placement.description),
    options,
    contenders: contenders.map(({ name, kind, tls, unixSocket }) => ({
      name,
      kind,
      ...(tls !== undefined && { tls: true }),
      ...(unixSocket && { unixSocket: true }),
    })),
    workloads: [],
  };
  listener.planned?.(
    plans.reduce((total, plan) => total + plan.cells.length, 0) * options.runs * contenders.length,
  );
  const pool = await LoadPool.start(options.clients, placement.load, signal);
  try {
    const context: RunContext = {
      contenders,
      pool,
      options,
      serverCpus: placement.server,
      listener,
      signal,
      first: plans[0]!.service,
    };
    for (const plan of plans) report.workloads.push(await runWorkload(plan, context));
  } finally {
    await pool.close(signal?.aborted);
  }
  report.finishedAt = new Date().toISOString();
  return report;
}

interface RunContext {
  readonly contenders: readonly BenchContender[];
  readonly pool: LoadPool;
  readonly options: BenchOptions;
  readonly serverCpus: string | undefined;
  readonly listener: BenchListener;
  readonly signal: AbortSignal | undefined;
  /** The first workload's service: what a contender serving one fixed service runs. */
  readonly first: ServiceSpec;
}

async function runWorkload(plan: WorkloadPlan, context: RunContext): Promise<WorkloadReport> {
  const { contenders, options, listener, signal } = context;
  const servers = new Map<string, ServerProcess>();
  const failures = new Map<string, { status: 'errored' | 'skipped'; error: string }>();
  try {
    const traffics = await verificationTraffic(plan);
    // Start servers one by one: starting them all at once on 2 cores only slows each one down.
    for (const contender of contenders) {
      signal?.throwIfAborted();
      const serves = contender.serves?.(plan.service, context.first) ?? true;
      if (serves !== true) {
        failures.set(contender.name, { status: 'skipped', error: serves });
        continue;
      }
      try {
        const server = await startServer(contender, plan.service, {
          host: options.host,
          cpus: context.serverCpus,
          readyTimeoutMs: options.readyTimeoutMs,
          signal,
        });
        servers.set(contender.name, server);
        const problem = await verifyService(dialTarget(server, contender), traffics);
        if (problem) throw new Error(`verification failed: ${problem}`);
      } catch (error) {
        signal?.throwIfAborted();
        const message = (error as Error).message;
        failures.set(contender.name, { status: 'errored', error: message });
        listener.note?.(`${plan.name}: ${contender.name} errored: ${message}`);
        await servers.get(contender.name)?.stop();
        servers.delete(contender.name);
      }
    }
    const cells: CellReport[] = plan.cells.map((cell) => ({
      ...cell,
      results: contenders.map((contender) => {
        const failure = failures.get(contender.name);
        return {
          contender: contender.name,
          status: failure?.status ?? 'ok',
          error: failure?.error,
          runs: [],
        };
      }),
    }));
    for (const cell of cells) await runCell(plan, cell, servers, context);
    return {
      name: plan.name,
      description: plan.description,
      service: plan.service,
      unit: plan.unit,
      cells,
    };
  } finally {
    const grace = signal?.aborted ? ABORT_GRACE_MS : undefined;
    await Promise.all([...servers.values()].map((server) => server.stop(grace)));
  }
}

/** One traffic per distinct request size of the plan: the correctness check tries each. */
async function verificationTraffic(plan: WorkloadPlan): Promise<Traffic[]> {
  const codec = await loadCodec(plan.service.codec);
  const seen = new Set<number | undefined>();
  const traffics: Traffic[] = [];
  for (const cell of plan.cells) {
    if (seen.has(cell.size)) continue;
    seen.add(cell.size);
    traffics.push(makeTraffic(plan.workload, codec, cellOf(cell)));
  }
  return traffics;
}

function cellOf(cell: CellPlan): { size?: number; connections: number; depth: number } {
  return {
    ...(cell.size === undefined ? {} : { size: cell.size }),
    connections: cell.connections,
    depth: cell.depth,
  };
}

async function runCell(
  plan: WorkloadPlan,
  cell: CellReport,
  servers: ReadonlyMap<string, ServerProcess>,
  context: RunContext,
): Promise<void> {
  const { contenders, options, listener, signal } = context;
  for (let run = 1; run <= options.runs; run++) {
    // Rotate the order every run: A B C, then B C A, then C A B.
    for (let turn = 0; turn < contenders.length; turn++) {
      signal?.throwIfAborted();
      const index = (turn + run - 1) % contenders.length;
      const contender = contenders[index]!;
      const result = cell.results[index]!;
      listener.step?.({
        workload: plan.name,
        cell: cell.label,
        contender: contender.name,
        run,
        runs: options.runs,
        label: `${plan.name} ${cell.label} ${contender.name} (run ${run}/${options.runs})`,
      });
      const server = servers.get(contender.name);
      if (result.status !== 'ok' || !server) continue;
      await measureOnce(plan, cell, run, server, contender, result, context);
    }
  }
  for (const result of cell.results) {
    if (result.status === 'ok' && result.runs.length > 0) result.summary = summarize(result.runs);
  }
}

async function measureOnce(
  plan: WorkloadPlan,
  cell: CellPlan,
  run: number,
  server: ServerProcess,
  contender: BenchContender,
  result: ContenderResult,
  context: RunContext,
): Promise<void> {
  const { options, signal } = context;
  if (server.exited) {
    markErrored(result, `server exited${server.stderrTail() ? `: ${server.stderrTail()}` : ''}`);
    return;
  }
  let cpuAtStart = 0;
  let cpuMicros = 0;
  let peakRssBytes = 0;
  let perProcess: number[] = [];
  try {
    const load = await context.pool.run(
      {
        workload: plan.service.workload,
        codec: plan.service.codec,
        cell: cellOf(cell),
        pattern: cell.pattern,
        connections: cell.connections,
        depth: cell.depth,
        rate: cell.rate,
        ...dialTarget(server, contender),
      },
      options,
      {
        onWindowStart() {
          resetTreePeakRss(server.pid);
          cpuAtStart = treeCpuMicros(server.pid);
        },
        onWindowLastMoment() {
          // Counted from /proc/net/tcp: a TCP port's connections only.
          if (server.path === undefined)
            perProcess = connectionsPerProcess(server.pid, server.port);
        },
        onWindowEnd() {
          cpuMicros = treeCpuMicros(server.pid) - cpuAtStart;
          peakRssBytes = treePeakRssBytes(server.pid);
        },
      },
      signal,
    );
    if (server.exited) {
      markErrored(
        result,
        `server exited during the window${server.stderrTail() ? `: ${server.stderrTail()}` : ''}`,
      );
      return;
    }
    result.runs.push(
      toMeasurement(run, load, {
        cpuMicros,
        peakRssBytes,
        // Several processes, caught with connections open (a churn window's live a moment).
        ...(perProcess.length > 1 &&
          perProcess.some((count) => count > 0) && { connectionsPerProcess: perProcess }),
      }),
    );
  } catch (error) {
    signal?.throwIfAborted();
    markErrored(result, (error as Error).message);
  }
}

/**
 * How the bench's clients reach `contender`'s running server: its address (its Unix socket's
 * path, for one that listens on a path), over TLS if it serves it.
 */
function dialTarget(server: ServerProcess, contender: BenchContender): DialTarget {
  const { host, port, path } = server;
  return {
    host,
    port,
    ...(path !== undefined && { path }),
    ...(contender.tls !== undefined && { tls: contender.tls }),
  };
}

function markErrored(result: ContenderResult, error: string): void {
  Object.assign(result, { status: 'errored', error });
}
