import { cpus } from 'node:os';
import {
  type BenchContender,
  benchContenders,
  type ServerProcess,
  startServer,
} from './contenders.js';
import { LoadPool } from './load-pool.js';
import type { BenchOptions, CellPlan, WorkloadPlan } from './plan.js';
import { planWorkloads } from './plan.js';
import { resetTreePeakRss, treeCpuMicros, treePeakRssBytes } from './proc.js';
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
import { verifyEcho } from './verify.js';

/** Progress of a run, for a progress bar. */
export interface BenchProgress {
  /** Called once with the number of measurement windows planned. */
  planned?(windows: number): void;
  /** Called before each window (and for each one skipped), with what is running. */
  step?(label: string): void;
  /** Free-form notes (server failed to start, verification failed). */
  note?(message: string): void;
  /** Called by whoever started the run once it is over (success or not). */
  finished?(): void;
}

/** CPU placement for `--pin`: servers on every CPU but the last, load generators on the last. */
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
 * verifies it, then measures cell by cell. Within a cell, runs alternate contenders (the order
 * rotates every run) so slow drift on a shared machine spreads over all of them.
 */
export async function runBench(
  options: BenchOptions,
  progress: BenchProgress = {},
): Promise<BenchReport> {
  const contenders = benchContenders(options);
  const plans = planWorkloads(options);
  const placement = pinning(options.pin);
  const report: BenchReport = {
    schema: REPORT_SCHEMA,
    startedAt: new Date().toISOString(),
    finishedAt: '',
    environment: describeEnvironment(placement.description),
    options,
    contenders: contenders.map(({ name, kind }) => ({ name, kind })),
    workloads: [],
  };
  progress.planned?.(
    plans.reduce((total, plan) => total + plan.cells.length, 0) * options.runs * contenders.length,
  );
  const pool = await LoadPool.start(options.clients, placement.load);
  try {
    for (const plan of plans) {
      report.workloads.push(
        await runWorkload(plan, contenders, pool, options, placement.server, progress),
      );
    }
  } finally {
    await pool.close();
  }
  report.finishedAt = new Date().toISOString();
  return report;
}

async function runWorkload(
  plan: WorkloadPlan,
  contenders: readonly BenchContender[],
  pool: LoadPool,
  options: BenchOptions,
  serverCpus: string | undefined,
  progress: BenchProgress,
): Promise<WorkloadReport> {
  const servers = new Map<string, ServerProcess>();
  const failures = new Map<string, { status: 'errored' | 'skipped'; error: string }>();
  const sizes = [...new Set(plan.cells.map((cell) => cell.size))];
  try {
    // Start servers one by one: starting them all at once on 2 cores only slows each one down.
    for (const contender of contenders) {
      if (!contender.supports(plan.profile)) {
        failures.set(contender.name, {
          status: 'skipped',
          error: `runs no ${plan.profile.handler} handler`,
        });
        continue;
      }
      try {
        const server = await startServer(contender, plan.profile, {
          host: options.host,
          cpus: serverCpus,
        });
        servers.set(contender.name, server);
        const problem = await verifyEcho(server.host, server.port, sizes, plan.cells[0]!.framing);
        if (problem) throw new Error(`verification failed: ${problem}`);
      } catch (error) {
        const message = (error as Error).message;
        failures.set(contender.name, { status: 'errored', error: message });
        progress.note?.(`${plan.name}: ${contender.name} errored: ${message}`);
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
    for (const cell of cells) {
      for (let run = 1; run <= options.runs; run++) {
        // Rotate the order every run: A B C, then B C A, then C A B.
        for (let turn = 0; turn < contenders.length; turn++) {
          const index = (turn + run - 1) % contenders.length;
          const contender = contenders[index]!;
          const result = cell.results[index]!;
          progress.step?.(
            `${plan.name} ${cell.label} ${contender.name} (run ${run}/${options.runs})`,
          );
          const server = servers.get(contender.name);
          if (result.status !== 'ok' || !server) continue;
          await measureOnce(cell, run, server, result, pool, options);
        }
      }
      for (const result of cell.results) {
        if (result.status === 'ok' && result.runs.length > 0)
          result.summary = summarize(result.runs);
      }
    }
    return { name: plan.name, description: plan.description, unit: plan.unit, cells };
  } finally {
    await Promise.all([...servers.values()].map((server) => server.stop()));
  }
}

async function measureOnce(
  cell: CellPlan,
  run: number,
  server: ServerProcess,
  result: ContenderResult,
  pool: LoadPool,
  options: BenchOptions,
): Promise<void> {
  if (server.exited) {
    markErrored(result, `server exited${server.stderrTail() ? `: ${server.stderrTail()}` : ''}`);
    return;
  }
  let cpuAtStart = 0;
  let cpuMicros = 0;
  let peakRssBytes = 0;
  try {
    const load = await pool.run(
      { ...cell, host: server.host, port: server.port },
      { warmupMs: options.warmupMs, durationMs: options.durationMs, drainMs: options.drainMs },
      {
        onWindowStart() {
          resetTreePeakRss(server.pid);
          cpuAtStart = treeCpuMicros(server.pid);
        },
        onWindowEnd() {
          cpuMicros = treeCpuMicros(server.pid) - cpuAtStart;
          peakRssBytes = treePeakRssBytes(server.pid);
        },
      },
    );
    if (server.exited) {
      markErrored(
        result,
        `server exited during the window${server.stderrTail() ? `: ${server.stderrTail()}` : ''}`,
      );
      return;
    }
    result.runs.push(toMeasurement(run, load, { cpuMicros, peakRssBytes }));
  } catch (error) {
    markErrored(result, (error as Error).message);
  }
}

function markErrored(result: ContenderResult, error: string): void {
  Object.assign(result, { status: 'errored', error });
}
