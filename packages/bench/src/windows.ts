import {
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
} from 'hdr-histogram-js';
import { newLatencyHistogram } from './load.js';
import type { LatencySummary, MergedLoad } from './load-pool.js';

/** Percentiles, max and mean of a latency histogram; zeros for an empty one. */
export function latencySummary(histogram: Histogram): LatencySummary {
  const empty = histogram.totalCount === 0;
  const at = (percentile: number) => (empty ? 0 : histogram.getValueAtPercentile(percentile));
  return {
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    max: empty ? 0 : histogram.maxValue,
    mean: empty ? 0 : histogram.mean,
    count: histogram.totalCount,
  };
}

/**
 * One window made of consecutive ones over the same connections (see `LoadPool.open`): counts
 * and lengths add up, latency histograms merge, per-connection replies add up connection by
 * connection. Throws on none.
 */
export function joinWindows(windows: readonly MergedLoad[]): MergedLoad {
  const first = windows[0];
  if (!first) throw new RangeError('joinWindows needs at least one window');
  if (windows.length === 1) return first;
  const histogram = newLatencyHistogram();
  for (const window of windows) histogram.add(decodeFromCompressedBase64(window.histogram));
  const sum = (pick: (window: MergedLoad) => number) =>
    windows.reduce((total, window) => total + pick(window), 0);
  return {
    requests: sum((window) => window.requests),
    bytes: sum((window) => window.bytes),
    elapsedMs: sum((window) => window.elapsedMs),
    latencyUs: latencySummary(histogram),
    histogram: encodeIntoCompressedBase64(histogram),
    errors: sum((window) => window.errors),
    lostBytes: sum((window) => window.lostBytes),
    wrongBytes: sum((window) => window.wrongBytes),
    errorSamples: windows.flatMap((window) => window.errorSamples).slice(0, 5),
    unanswered: sum((window) => window.unanswered),
    perConnection: first.perConnection.map((_, index) =>
      windows.reduce((total, window) => total + (window.perConnection[index] ?? 0), 0),
    ),
    loadCpuPercent: first.loadCpuPercent.map(
      (_, index) =>
        windows.reduce(
          (total, window) => total + (window.loadCpuPercent[index] ?? 0) * window.elapsedMs,
          0,
        ) /
        Math.max(
          1,
          sum((window) => window.elapsedMs),
        ),
    ),
    warmup: first.warmup,
  };
}
