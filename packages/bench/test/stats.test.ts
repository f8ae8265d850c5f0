import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../src/load.js';
import { mergeLoadResults, splitEvenly } from '../src/load-pool.js';
import { parseProcStat } from '../src/proc.js';
import { summarize } from '../src/report.js';
import { median, spreadPercent } from '../src/stats.js';
import { joinWindows } from '../src/windows.js';
import { fakeMeasurement } from './fixtures.js';

describe('bench statistics', () => {
  it('takes the median of odd and even counts', () => {
    expect(median([])).toBe(0);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('reports spread as half the range over the median, only for repeated runs', () => {
    expect(spreadPercent([100])).toBeUndefined();
    expect(spreadPercent([90, 100, 110])).toBeCloseTo(10);
  });

  it('summarizes runs with medians, worst RSS and client CPU, summed errors', () => {
    const runs = [
      fakeMeasurement(1, { errors: 1 }),
      fakeMeasurement(2, { loadCpuPercent: [95] }),
      fakeMeasurement(3),
    ];
    const summary = summarize(runs);
    expect(summary.requestsPerSecond).toBe(2000);
    expect(summary.spreadPercent).toBeCloseTo(50);
    expect(summary.p50).toBeCloseTo(50);
    expect(summary.errors).toBe(1);
    expect(summary.loadCpuPercent).toBe(95);
    expect(summary.saturatedClient).toBe(true);
    expect(summary.serverCpuMicrosPerRequest).toBe(10);
  });

  it('merges load generators: counts add, histograms merge, percentiles come from both', () => {
    const result = (
      values: number[],
      perConnection: number[],
      overrides: Partial<LoadResult> = {},
    ): LoadResult => {
      const histogram = build();
      for (const value of values) histogram.recordValue(value);
      const requests = perConnection.reduce((total, count) => total + count, 0);
      return {
        requests,
        bytes: requests * 64,
        elapsedMs: 1000,
        histogram: encodeIntoCompressedBase64(histogram),
        errors: 0,
        lostBytes: 0,
        wrongBytes: 0,
        errorSamples: [],
        unanswered: 0,
        perConnection,
        cpuPercent: 30,
        ...overrides,
      };
    };
    const merged = mergeLoadResults(
      [
        result([100, 100], [2, 0], {
          unanswered: 1,
          errors: 4,
          lostBytes: 64,
          errorSamples: ['a', 'b', 'c', 'd'],
        }),
        result([1000, 1000], [1, 1], {
          elapsedMs: 1010,
          errors: 2,
          wrongBytes: 128,
          errorSamples: ['e', 'f'],
        }),
      ],
      { ms: 700, steady: false },
    );
    expect(merged.requests).toBe(4);
    expect(merged.latencyUs.count).toBe(4);
    expect(merged.latencyUs.p50).toBeCloseTo(100, -1);
    expect(merged.latencyUs.max).toBeCloseTo(1000, -1);
    expect(merged.loadCpuPercent).toEqual([30, 30]);
    // Connections keep their order across generators: the first generator's come first.
    expect(merged.perConnection).toEqual([2, 0, 1, 1]);
    expect(merged.unanswered).toBe(1);
    expect(merged.lostBytes).toBe(64);
    expect(merged.wrongBytes).toBe(128);
    expect(merged.errors).toBe(6);
    expect(merged.errorSamples).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(merged.elapsedMs).toBe(1010);
    expect(merged.warmup).toEqual({ ms: 700, steady: false });
  });

  it('joins consecutive windows: counts and lengths add, histograms merge, connections line up', () => {
    const window = (values: number[], perConnection: number[], lostBytes = 0) => {
      const histogram = build();
      for (const value of values) histogram.recordValue(value);
      return mergeLoadResults([
        {
          requests: values.length,
          bytes: values.length * 64,
          elapsedMs: 500,
          histogram: encodeIntoCompressedBase64(histogram),
          errors: lostBytes > 0 ? 1 : 0,
          lostBytes,
          wrongBytes: 0,
          errorSamples: lostBytes > 0 ? ['closed'] : [],
          unanswered: 0,
          perConnection,
          cpuPercent: 20,
        },
      ]);
    };
    const joined = joinWindows([window([100, 100, 100], [2, 1]), window([5000], [0, 1], 64)]);
    expect(joined).toMatchObject({
      requests: 4,
      bytes: 256,
      elapsedMs: 1000,
      errors: 1,
      lostBytes: 64,
      errorSamples: ['closed'],
      perConnection: [2, 2],
      loadCpuPercent: [20],
    });
    expect(joined.latencyUs.count).toBe(4);
    expect(joined.latencyUs.p50).toBeCloseTo(100, -1);
    expect(joined.latencyUs.max).toBeCloseTo(5000, -2);
    expect(() => joinWindows([])).toThrow(RangeError);
  });

  it('splits connections evenly across load generators', () => {
    expect(splitEvenly(10, 3)).toEqual([4, 3, 3]);
    expect(splitEvenly(1, 1)).toEqual([1]);
  });
});

describe('/proc parsing', () => {
  it('reads utime + stime even when the command name has spaces and parentheses', () => {
    const line =
      '4242 (node (bench) x) S 17 4242 17 0 -1 4194560 500 0 0 0 123 45 0 0 20 0 11 0 100 0 0';
    expect(parseProcStat(line)).toEqual({ pid: 4242, ppid: 17, cpuTicks: 168 });
  });
});
