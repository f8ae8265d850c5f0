import type { CodecReference, StrategyCapabilities } from '@switchyard/protocol';
import { afterEach, describe, expect, test } from 'vitest';
import { type CaseStatus, runSuite, type SuiteReport } from '../src/index.js';
import {
  correctEcho,
  DIES_LIMIT,
  diesOnBadFrame,
  dropsAByte,
  neverEndsAfterHalfClose,
  oneAtATime,
  reordersReplies,
  type TestServer,
} from './broken-servers.js';
import { netstringCodec } from './fixtures/netstring.js';
import { faithful, noFrameLimit, unbounded } from './strategies.js';

const CONCURRENT: StrategyCapabilities = { connections: 'concurrent', parallelHandlers: false };
const ONE_AT_A_TIME: StrategyCapabilities = {
  connections: 'one-at-a-time',
  parallelHandlers: false,
};

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function runExternal(
  start: () => Promise<TestServer>,
  codec: CodecReference,
  capabilities: StrategyCapabilities,
  filter: string,
  extra: { maxFrameBytes?: number } = {},
): Promise<SuiteReport> {
  const server = await start();
  servers.push(server);
  return runSuite(
    { kind: 'external', host: server.host, port: server.port, codec, capabilities, ...extra },
    { filter },
  );
}

/** `{ id: status }`, with the failure messages kept for a readable assertion diff. */
function statuses(report: SuiteReport): Record<string, CaseStatus> {
  return Object.fromEntries(report.results.map((result) => [result.id, result.status]));
}

function expectStatuses(report: SuiteReport, expected: Record<string, CaseStatus>) {
  const messages = report.results.map((r) => `${r.id}: ${r.status} ${r.message ?? ''}`).join('\n');
  expect(statuses(report), messages).toEqual(expected);
}

function messageOf(report: SuiteReport, id: string): string {
  return report.results.find((result) => result.id === id)?.message ?? '';
}

describe('broken echo servers fail the right cases and pass the others', () => {
  test('a server that drops one byte fails the cases that send past it', async () => {
    const report = await runExternal(
      dropsAByte,
      'raw',
      CONCURRENT,
      'echo.hello,echo.multiconn,echo.large,echo.binary,stream.pipelined',
    );
    expectStatuses(report, {
      'echo.hello': 'pass',
      'echo.multiconn': 'pass',
      'echo.large': 'fail',
      'echo.binary': 'fail',
      'stream.pipelined': 'fail',
    });
    expect(messageOf(report, 'echo.binary')).toMatch(/byte 4096 of 65536 differs/);
  });

  test('a server that reorders replies fails the pipelined case', async () => {
    const report = await runExternal(
      reordersReplies,
      'lines',
      CONCURRENT,
      'echo.hello,echo.multiconn,stream.pipelined',
    );
    expectStatuses(report, {
      'echo.hello': 'pass',
      'echo.multiconn': 'pass',
      'stream.pipelined': 'fail',
    });
    expect(messageOf(report, 'stream.pipelined')).toMatch(/byte \d+ of \d+ differs/);
  });

  test('a server that never ends after a half-close fails conn.half-close only', async () => {
    const report = await runExternal(
      neverEndsAfterHalfClose,
      'raw',
      CONCURRENT,
      'echo.hello,echo.large,conn.half-close,conn.concurrent',
    );
    expectStatuses(report, {
      'echo.hello': 'pass',
      'echo.large': 'pass',
      'conn.half-close': 'fail',
      'conn.concurrent': 'pass',
    });
    expect(messageOf(report, 'conn.half-close')).toMatch(/ends its side.*no EOF/);
  });

  test('a server that dies on a bad frame fails the cases where a bystander must survive', async () => {
    // A fresh server for each case that kills it.
    const run = (filter: string) =>
      runExternal(diesOnBadFrame, 'length-prefixed', CONCURRENT, filter, {
        maxFrameBytes: DIES_LIMIT,
      });
    const survivable = await run('echo.hello,stream.pipelined,framing.truncated');
    expectStatuses(survivable, {
      'echo.hello': 'pass',
      'stream.pipelined': 'pass',
      'framing.truncated': 'pass',
    });
    const tooLarge = await run('framing.too-large');
    expectStatuses(tooLarge, { 'framing.too-large': 'fail' });
    expect(messageOf(tooLarge, 'framing.too-large')).toMatch(/bystander/);
    expectStatuses(await run('framing.garbage'), { 'framing.garbage': 'fail' });
  });

  test('declared one-at-a-time, a server that dies on a bad frame still fails them: the waiting bystander is never served', async () => {
    const run = (filter: string) =>
      runExternal(diesOnBadFrame, 'length-prefixed', ONE_AT_A_TIME, filter, {
        maxFrameBytes: DIES_LIMIT,
      });
    expectStatuses(await run('framing.truncated'), { 'framing.truncated': 'pass' });
    const tooLarge = await run('framing.too-large');
    expectStatuses(tooLarge, { 'framing.too-large': 'fail' });
    expect(messageOf(tooLarge, 'framing.too-large')).toMatch(/bystander/);
    expectStatuses(await run('framing.garbage'), { 'framing.garbage': 'fail' });
  });

  test('a server that serves one client at a time while claiming concurrency fails the concurrency cases', async () => {
    const report = await runExternal(
      oneAtATime,
      'raw',
      CONCURRENT,
      'echo.hello,echo.large,conn.half-close,conn.concurrent,conn.one-at-a-time,fairness.no-starvation',
    );
    expectStatuses(report, {
      'echo.hello': 'pass',
      'echo.large': 'pass',
      'conn.half-close': 'pass',
      'conn.concurrent': 'fail',
      'conn.one-at-a-time': 'skip',
      'fairness.no-starvation': 'fail',
    });
  });

  test('conn.one-at-a-time passes a true one-at-a-time server and fails a concurrent one', async () => {
    const honest = await runExternal(oneAtATime, 'raw', ONE_AT_A_TIME, 'conn.one-at-a-time');
    expectStatuses(honest, { 'conn.one-at-a-time': 'pass' });
    const liar = await runExternal(correctEcho, 'raw', ONE_AT_A_TIME, 'conn.one-at-a-time');
    expectStatuses(liar, { 'conn.one-at-a-time': 'fail' });
    expect(messageOf(liar, 'conn.one-at-a-time')).toMatch(/B was answered while A/);
  });

  test('cases that need server control are skipped against an external target, with the reason', async () => {
    const report = await runExternal(correctEcho, 'raw', CONCURRENT, 'limits,handler.error');
    expect(report.results.map((result) => result.status)).toEqual(['skip', 'skip', 'skip']);
    expect(report.results[0]!.message).toMatch(/control of the server/);
  });
});

describe('strategy targets: faults only server control can see', () => {
  test('a strategy that ignores maxBufferedBytesPerConnection fails backpressure.slow-reader', async () => {
    const good = await runSuite(
      { kind: 'strategy', strategy: faithful },
      { filter: 'backpressure' },
    );
    expectStatuses(good, { 'backpressure.slow-reader': 'pass' });
    const bad = await runSuite(
      { kind: 'strategy', strategy: unbounded },
      { filter: 'backpressure' },
    );
    expectStatuses(bad, { 'backpressure.slow-reader': 'fail' });
    expect(messageOf(bad, 'backpressure.slow-reader')).toMatch(/(held \d+ bytes|never stopped)/);
  });

  test.each([
    ['length-prefixed', 'length-prefixed'],
    ['a user codec', netstringCodec],
  ])('a strategy that ignores maxFrameBytes fails framing.too-large (%s)', async (_, codec) => {
    const report = await runSuite(
      { kind: 'strategy', strategy: noFrameLimit, options: { codec } },
      { filter: 'framing.too-large,echo.hello' },
    );
    expectStatuses(report, { 'echo.hello': 'pass', 'framing.too-large': 'fail' });
    expect(messageOf(report, 'framing.too-large')).toMatch(/after a frame of 65537 bytes/);
  });
});
