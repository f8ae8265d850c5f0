import type { StrategyCapabilities, TcpAddress } from '@switchyard/protocol';
import { afterEach, describe, expect, test } from 'vitest';
import { type CaseStatus, runSuite, type SuiteReport } from '../src/index.js';
import { dropsFirstRead } from './broken-servers.js';
import { faithful, ignoresProxyProtocol } from './strategies.js';

const CONCURRENT: StrategyCapabilities = { connections: 'concurrent', parallelHandlers: false };
const PROXY_CASES = [
  'proxy.v1',
  'proxy.v2',
  'proxy.v2-local',
  'proxy.split',
  'proxy.garbage',
  'proxy.too-long',
  'proxy.timeout',
];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

function statuses(report: SuiteReport): Record<string, CaseStatus> {
  return Object.fromEntries(report.results.map((result) => [result.id, result.status]));
}

function expectStatuses(report: SuiteReport, expected: Record<string, CaseStatus>) {
  const messages = report.results.map((r) => `${r.id}: ${r.status} ${r.message ?? ''}`).join('\n');
  expect(statuses(report), messages).toEqual(expected);
}

const every = (status: CaseStatus) => Object.fromEntries(PROXY_CASES.map((id) => [id, status]));

describe('the proxy cases', () => {
  test('pass on a strategy that reads PROXY headers, turning the option on themselves', async () => {
    const report = await runSuite({ kind: 'strategy', strategy: faithful }, { filter: 'proxy' });
    expectStatuses(report, every('pass'));
  });

  test('fail, each of them, on a strategy that ignores proxyProtocol', async () => {
    const report = await runSuite(
      { kind: 'strategy', strategy: ignoresProxyProtocol },
      { filter: 'proxy' },
    );
    expectStatuses(report, every('fail'));
  });

  test('run on an external target only where it declares the versions it takes', async () => {
    const server = await faithful.listen({ proxyProtocol: 'v2', codec: 'lines' });
    cleanups.push(() => server.destroy());
    const { host, port } = server.address as TcpAddress;
    const target = {
      kind: 'external',
      host,
      port,
      codec: 'lines',
      capabilities: CONCURRENT,
    } as const;
    const declared = await runSuite({ ...target, proxyProtocol: 'v2' }, { filter: 'proxy' });
    expectStatuses(declared, {
      ...every('pass'),
      'proxy.v1': 'skip',
      'proxy.timeout': 'skip',
    });
    expect(declared.results[0]!.message).toMatch(/declares it takes v2 only/);
    const undeclared = await runSuite(target, { filter: 'proxy' });
    expectStatuses(undeclared, every('skip'));
    expect(undeclared.results[0]!.message).toMatch(/declare it with proxyProtocol/);
  });

  test('fail on an external server that loses the bytes sent with the header and refuses nothing', async () => {
    const server = await dropsFirstRead();
    cleanups.push(() => server.close());
    const report = await runSuite(
      {
        kind: 'external',
        host: server.host,
        port: server.port,
        codec: 'raw',
        capabilities: CONCURRENT,
        proxyProtocol: 'any',
      },
      // The quick failures: split fails at the first echoed header byte; garbage waits for a
      // close that never comes (a few seconds), and the others would each wait as long.
      { filter: 'proxy.split,proxy.garbage' },
    );
    expectStatuses(report, { 'proxy.split': 'fail', 'proxy.garbage': 'fail' });
  });
});

describe('a target that takes PROXY headers on every connection', () => {
  test('gets one from every client of every case, and stats count its bytes in', async () => {
    const report = await runSuite(
      { kind: 'strategy', strategy: faithful, options: { proxyProtocol: 'v1' } },
      { filter: 'echo.hello,stream.pipelined,conn.half-close,stats.counters,net.ipv6' },
    );
    const ran = report.results.filter((result) => result.status !== 'skip');
    expect(ran.length).toBeGreaterThanOrEqual(4);
    expectStatuses(report, Object.fromEntries(ran.map((result) => [result.id, 'pass'])));
  });

  test('refuses every connection of a suite that sends none (the suite is what sends them)', async () => {
    const server = await faithful.listen({ proxyProtocol: 'v2', codec: 'lines' });
    cleanups.push(() => server.destroy());
    const { host, port } = server.address as TcpAddress;
    const report = await runSuite(
      { kind: 'external', host, port, codec: 'lines', capabilities: CONCURRENT },
      { filter: 'echo.hello' },
    );
    expectStatuses(report, { 'echo.hello': 'fail' });
  });
});
