import { describe, expect, it } from 'vitest';
import { quickDefaults } from '../src/bench/plan.js';
import { runBench } from '../src/bench/run.js';

// One short real run: servers and the load generator are real child processes. Windows are
// tiny, so the figures are only checked for presence and sanity, never for speed.
describe('switchyard bench, end to end', () => {
  it('measures baseline and selector with verified replies and every figure filled in', async () => {
    const report = await runBench({
      ...quickDefaults,
      workloads: ['echo', 'churn'],
      sizes: [1024],
      connections: [2],
      churnConnections: [2],
      warmupMs: 100,
      durationMs: 500,
      drainMs: 500,
      runs: 2,
      strategies: 'selector',
    });
    expect(report.contenders.map((contender) => contender.name)).toEqual(['baseline', 'selector']);
    for (const workload of report.workloads) {
      for (const cell of workload.cells) {
        for (const result of cell.results) {
          expect(result, `${workload.name} ${cell.label} ${result.contender}`).toMatchObject({
            status: 'ok',
          });
          expect(result.runs).toHaveLength(2);
          const summary = result.summary!;
          expect(summary.errors).toBe(0);
          expect(summary.requestsPerSecond).toBeGreaterThan(0);
          expect(summary.p50).toBeGreaterThan(0);
          expect(summary.p99).toBeGreaterThanOrEqual(summary.p50);
          expect(summary.max).toBeGreaterThanOrEqual(summary.p99);
          expect(summary.serverPeakRssBytes).toBeGreaterThan(1024 * 1024);
          expect(summary.loadCpuPercent).toBeGreaterThan(0);
          expect(summary.spreadPercent).toBeDefined();
          for (const run of result.runs) expect(run.serverCpuMicros).toBeGreaterThan(0);
        }
      }
    }
  }, 120_000);

  it('reports a contender that does not start as errored instead of measuring it', async () => {
    const report = await runBench({
      ...quickDefaults,
      workloads: ['echo'],
      sizes: [64],
      connections: [1],
      warmupMs: 0,
      durationMs: 100,
      strategies: 'selector',
      baseline: false,
      externals: ['nothing=exit 3 {port}'],
    });
    const [selector, nothing] = report.workloads[0]!.cells[0]!.results;
    expect(selector?.status).toBe('ok');
    expect(nothing).toMatchObject({ contender: 'nothing', status: 'errored', runs: [] });
    expect(nothing?.error).toMatch(/exited/);
  }, 120_000);
});
