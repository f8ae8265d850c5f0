import { bench, quickDefaults, renderReport } from '@switchyard/bench';
import { describe, expect, onTestFinished, test } from 'vitest';
import { benchContenders } from '../src/bench-contenders.js';
import { throwawayBenchTls } from '../src/bench-tls.js';

describe('bench on Unix sockets', () => {
  test('--unix puts the strategies (plaintext and TLS) and the baseline on paths, every reply checked', async () => {
    const tls = await throwawayBenchTls();
    onTestFinished(() => tls.remove());
    const report = await bench({
      ...quickDefaults,
      warmupMs: 100,
      warmupMaxMs: 100,
      durationMs: 300,
      drainMs: 300,
      workloads: ['echo'],
      sizes: [64],
      connections: [1],
      runs: 1,
      contenders: benchContenders({
        strategies: 'selector',
        baseline: true,
        externals: [],
        tls,
        unixSocket: true,
      }),
    });
    expect(report.contenders).toEqual([
      { name: 'baseline', kind: 'baseline', unixSocket: true },
      { name: 'selector', kind: 'strategy', unixSocket: true },
      { name: 'selector+tls', kind: 'strategy', tls: true, unixSocket: true },
    ]);
    // A server on a path listens on no TCP port: a reply at all means the path was dialed.
    for (const result of report.workloads[0]!.cells[0]!.results) {
      expect(result, result.contender).toMatchObject({ status: 'ok' });
      expect(result.summary!.errors, result.contender).toBe(0);
      expect(result.summary!.requestsPerSecond, result.contender).toBeGreaterThan(0);
    }
    expect(renderReport(report)).toMatch(
      /Unix socket \(baseline, selector, selector\+tls\): listened on a Unix domain socket/,
    );
  }, 90_000);
});
