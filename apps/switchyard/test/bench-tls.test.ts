import {
  type BenchContender,
  bench,
  makeTraffic,
  quickDefaults,
  renderReport,
  startServer,
  verifyService,
} from '@switchyard/bench';
import {
  builtinWorkloads,
  ErrorCode,
  loadCodec,
  loadWorkload,
  resolveHandlerSpecifier,
} from '@switchyard/protocol';
import { describe, expect, onTestFinished, test } from 'vitest';
import { benchContenders } from '../src/bench-contenders.js';
import { throwawayBenchTls } from '../src/bench-tls.js';
import { runCli } from './cli.js';

/** Short windows and one warm-up step: these runs check what is reported, never how fast. */
const SHORT = {
  ...quickDefaults,
  warmupMs: 100,
  warmupMaxMs: 100,
  durationMs: 300,
  drainMs: 300,
} as const;

async function benchTls() {
  const tls = await throwawayBenchTls();
  onTestFinished(() => tls.remove());
  return tls;
}

/** Waits until `condition` holds, checking every few milliseconds; the test's timeout is the failure. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('TLS contenders', () => {
  test('--tls doubles each strategy: itself and NAME+tls, labelled, every reply checked, churn counted as handshakes', async () => {
    const tls = await benchTls();
    const report = await bench({
      ...SHORT,
      workloads: ['echo', 'churn'],
      sizes: [1024],
      connections: [1],
      runs: 1,
      contenders: benchContenders({ strategies: 'selector', baseline: false, externals: [], tls }),
    });
    expect(report.contenders).toEqual([
      { name: 'selector', kind: 'strategy' },
      { name: 'selector+tls', kind: 'strategy', tls: true },
    ]);
    for (const workload of report.workloads) {
      for (const cell of workload.cells) {
        for (const result of cell.results) {
          const where = `${workload.name} ${cell.label} ${result.contender}`;
          expect(result, where).toMatchObject({ status: 'ok' });
          const summary = result.summary!;
          expect(summary.errors, where).toBe(0);
          expect(summary.unanswered, where).toBe(0);
          expect(summary.requestsPerSecond, where).toBeGreaterThan(0);
          expect(summary.serverCpuMicrosPerRequest, where).toBeGreaterThan(0);
          expect(result.runs[0]!.lostBytes, where).toBe(0);
        }
      }
    }
    const text = renderReport(report);
    // The churn row of the TLS contender says what its conn/s are; the plaintext one does not.
    const churnRows = text.slice(text.indexOf('churn (conn/s)')).split('\n');
    expect(churnRows.find((row) => row.includes('selector+tls'))).toMatch(
      /TLS: conn\/s = full handshakes\/s/,
    );
    expect(churnRows.find((row) => /\bselector\s/.test(row))).not.toMatch(/handshakes/);
    expect(text).toMatch(/TLS \(selector\+tls\): served over TLS/);
  }, 120_000);

  test("a TLS contender's server serves TLS only, with the certificate its clients check", async () => {
    const tls = await benchTls();
    const [, secure] = benchContenders({
      strategies: 'selector',
      baseline: false,
      externals: [],
      tls,
    }) as [BenchContender, BenchContender];
    const service = {
      workload: builtinWorkloads.echo,
      codec: 'raw',
      handler: resolveHandlerSpecifier('echo'),
      handlerOptions: {},
    };
    const server = await startServer(secure, service, {
      host: '127.0.0.1',
      readyTimeoutMs: 30_000,
    });
    onTestFinished(() => server.stop());
    const workload = await loadWorkload(builtinWorkloads.echo);
    const traffics = [
      makeTraffic(workload, await loadCodec('raw'), { size: 64, connections: 1, depth: 1 }),
    ];
    const { host, port } = server;

    expect(await verifyService({ host, port, tls: secure.tls }, traffics)).toBeUndefined();
    // Node's CAs: the certificate made for the run is signed by none of them.
    expect(await verifyService({ host, port, tls: {} }, traffics)).toMatch(
      /^connection failed: self[- ]signed certificate/,
    );
    // A plaintext client is closed unanswered, and the server counts a failed handshake.
    expect(await verifyService({ host, port }, traffics)).toMatch(/^connection (closed|failed)/);
    await until(() => server.stderrTail().includes(ErrorCode.TLS_HANDSHAKE));
  }, 60_000);

  test('switchyard bench --tls prints the TLS contenders beside the plaintext ones', async () => {
    const run = await runCli([
      'bench',
      '--quick',
      '--warmup-ms',
      '100',
      '--warmup-max-ms',
      '100',
      '--duration-ms',
      '300',
      '--no-progress',
      '--workload',
      'churn',
      '--connections',
      '1',
      '--runs',
      '1',
      '--strategy',
      'selector',
      '--no-baseline',
      '--tls',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/selector\+tls .*TLS: conn\/s = full handshakes\/s/);
    expect(run.stdout).toMatch(/\bselector\s/);
  }, 60_000);
});
