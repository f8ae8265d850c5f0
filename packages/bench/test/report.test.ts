import { describe, expect, it } from 'vitest';
import { quickDefaults } from '../src/plan.js';
import { headline, REPORT_SCHEMA, summarize } from '../src/report.js';
import { fakeReport, fakeRuns, oneCellWorkload } from './fixtures.js';

describe('bench report', () => {
  it('keeps raw figures and the environment in the JSON report', () => {
    const json = JSON.parse(JSON.stringify(fakeReport()));
    expect(json.schema).toBe(REPORT_SCHEMA);
    expect(Object.keys(json.environment)).toEqual(
      expect.arrayContaining(['node', 'cpuModel', 'cores', 'kernel']),
    );
    expect(json.options.runs).toBe(quickDefaults.runs);
    expect(json.workloads[0].service.workload).toBe('@switchyard/protocol/workloads/echo');
    const run = json.workloads[0].cells[0].results[0].runs[0];
    expect(Object.keys(run)).toEqual(
      expect.arrayContaining([
        'requestsPerSecond',
        'megabytesPerSecond',
        'latencyUs',
        'serverCpuMicrosPerRequest',
        'serverPeakRssBytes',
        'loadCpuPercent',
        'errors',
        'unanswered',
        'perConnection',
        'fairness',
        'warmup',
      ]),
    );
    expect(Object.keys(run.latencyUs)).toEqual([
      'p50',
      'p90',
      'p99',
      'p999',
      'max',
      'mean',
      'count',
    ]);
  });

  it('summarizes fairness as the worst run: one starved window makes the contender starved', () => {
    const summary = summarize([
      ...fakeRuns([1], { perConnection: [100, 100, 100, 100] }),
      ...fakeRuns([1], { perConnection: [400, 0, 0, 0] }),
      ...fakeRuns([1], { perConnection: [100, 100, 100, 100] }),
    ]);
    expect(summary.fairness).toEqual({ connections: 4, zeroReplyConnections: 3, slowestShare: 0 });
    expect(summary.starved).toBe(true);
  });

  it('counts every unanswered request and is unsteady when any run was', () => {
    const summary = summarize([
      ...fakeRuns([1], { unanswered: 4, warmup: { ms: 400, steady: true } }),
      ...fakeRuns([1], { unanswered: 5, warmup: { ms: 3000, steady: false } }),
      ...fakeRuns([1], { warmup: { ms: 600, steady: true } }),
    ]);
    expect(summary.unanswered).toBe(9);
    expect(summary.steady).toBe(false);
    expect(summary.warmupMs).toBe(600);
    expect(summary.starved).toBe(false);
  });

  it('ranks by MB/s for a bulk workload and by its count per second otherwise', () => {
    const summary = summarize(fakeRuns([2]));
    expect(headline(oneCellWorkload([], 'MB/s'), summary)).toBe(summary.megabytesPerSecond);
    expect(headline(oneCellWorkload([], 'conn/s'), summary)).toBe(summary.requestsPerSecond);
    expect(summary.megabytesPerSecond).toBeCloseTo(0.128);
  });
});
