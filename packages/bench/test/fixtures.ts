import type { MergedLoad } from '../src/load-pool.js';
import { quickDefaults } from '../src/plan.js';
import {
  type BenchReport,
  type ContenderResult,
  describeEnvironment,
  type Measurement,
  REPORT_SCHEMA,
  summarize,
  toMeasurement,
  type WorkloadReport,
} from '../src/report.js';

/** Load figures as a load generator would report them, scaled by `speed`. */
export function fakeLoad(speed: number, overrides: Partial<MergedLoad> = {}): MergedLoad {
  const perConnection = overrides.perConnection ?? [1000 * speed];
  return {
    requests: 1000 * speed,
    bytes: 64_000 * speed,
    elapsedMs: 1000,
    latencyUs: {
      p50: 100 / speed,
      p90: 150 / speed,
      p99: 300 / speed,
      p999: 900,
      max: 2000,
      mean: 110,
      count: 1000 * speed,
    },
    histogram: '',
    errors: 0,
    lostBytes: 0,
    wrongBytes: 0,
    errorSamples: [],
    unanswered: 0,
    perConnection,
    loadCpuPercent: [40],
    warmup: { ms: 300, steady: true },
    ...overrides,
  };
}

export function fakeMeasurement(
  speed: number,
  overrides: Partial<MergedLoad> = {},
  run = 1,
): Measurement {
  return toMeasurement(run, fakeLoad(speed, overrides), {
    cpuMicros: 20_000,
    peakRssBytes: 50 * 1024 * 1024,
  });
}

/** One measurement per speed, numbered as runs 1, 2, ... */
export function fakeRuns(speeds: readonly number[], overrides: Partial<MergedLoad> = {}) {
  return speeds.map((speed, index) => fakeMeasurement(speed, overrides, index + 1));
}

/** A contender that was measured, with its summary, as the bench leaves it. */
export function measured(contender: string, runs: Measurement[]): ContenderResult {
  return { contender, status: 'ok', runs, summary: summarize(runs) };
}

const ECHO_SERVICE = {
  workload: '@switchyard/protocol/workloads/echo',
  codec: 'raw',
  handler: '@switchyard/protocol/handlers/echo',
  handlerOptions: {},
};

/** A workload of one cell (64 B x 10 conn) holding `results`. */
export function oneCellWorkload(
  results: ContenderResult[],
  unit: WorkloadReport['unit'] = 'req/s',
): WorkloadReport {
  return {
    name: 'echo',
    description: 'echo, raw codec, closed loop, depth 1',
    service: ECHO_SERVICE,
    unit,
    cells: [
      {
        id: 'echo/64B/c10/d1',
        label: '64 B x 10 conn',
        pattern: 'stream',
        size: 64,
        connections: 10,
        depth: 1,
        results,
      },
    ],
  };
}

/** A small report: two cells of echo, baseline faster than selector, one errored external. */
export function fakeReport(): BenchReport {
  const cell = (id: string, label: string, connections: number) => {
    const fast = [fakeMeasurement(2)];
    const slow = [fakeMeasurement(1, { loadCpuPercent: [97] })];
    return {
      id,
      label,
      pattern: 'stream' as const,
      size: 64,
      connections,
      depth: 1,
      results: [
        { contender: 'baseline', status: 'ok' as const, runs: fast, summary: summarize(fast) },
        { contender: 'selector', status: 'ok' as const, runs: slow, summary: summarize(slow) },
        {
          contender: 'broken',
          status: 'errored' as const,
          error: 'verification failed: wrong reply',
          runs: [],
        },
      ],
    };
  };
  return {
    schema: REPORT_SCHEMA,
    startedAt: '2026-11-29T10:00:00.000Z',
    finishedAt: '2026-11-29T10:01:00.000Z',
    environment: describeEnvironment('not pinned'),
    options: quickDefaults,
    contenders: [
      { name: 'baseline', kind: 'baseline' },
      { name: 'selector', kind: 'strategy' },
      { name: 'broken', kind: 'external' },
    ],
    workloads: [
      {
        name: 'echo',
        description: 'echo, raw codec, closed loop, depth 1',
        service: ECHO_SERVICE,
        unit: 'req/s',
        cells: [
          cell('echo/64B/c1/d1', '64 B x 1 conn', 1),
          cell('echo/64B/c10/d1', '64 B x 10 conn', 10),
        ],
      },
    ],
  };
}
