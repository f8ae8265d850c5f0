import type { ReplyOracle } from '@switchyard/protocol';
import { describe, expect, test } from 'vitest';
import { type CaseStatus, runSuite, type StrategyTarget, type SuiteReport } from '../src/index.js';
import { faithful } from './strategies.js';

/** Uppercases each line: a correct service that is not echo. */
const upper = (request: Buffer) => Buffer.from(request.toString('utf8').toUpperCase());
/** Forgot to uppercase past the first word: wrong for every request the oracle makes. */
const upperFirstWordOnly = (request: Buffer) => {
  const [first = '', ...rest] = request.toString('utf8').split(' ');
  return Buffer.from([first.toUpperCase(), ...rest].join(' '));
};

const upperOracle: ReplyOracle = {
  request: (seq, connection) => `hello from connection ${connection}, request ${seq}`,
  check: (request, reply) =>
    reply.toString('utf8') === request.toString('utf8').toUpperCase() ||
    `expected the request in upper case`,
};

/** Cases whose servers run the service and whose replies the oracle checks. */
const ORACLE_CASES = [
  'echo.hello',
  'echo.multiconn',
  'stream.fragmented',
  'stream.pipelined',
  'conn.half-close',
  'conn.reset',
  'conn.concurrent',
  'limits.max-connections',
  'limits.idle-timeout',
  'stats.counters',
  'socket.no-delay',
];
/** Cases about echo's byte transparency: they need an echo service. */
const ECHO_ONLY_CASES = ['echo.large', 'echo.binary', 'stream.empty-frames'];

function byStatus(report: SuiteReport, status: CaseStatus): string[] {
  return report.results.filter((result) => result.status === status).map((result) => result.id);
}

function summary(report: SuiteReport): string {
  return report.results.map((r) => `${r.id}: ${r.status} ${r.message ?? ''}`).join('\n');
}

function messageOf(report: SuiteReport, id: string): string {
  return report.results.find((result) => result.id === id)?.message ?? '';
}

const target = (handler: (request: Buffer) => Buffer, workload?: ReplyOracle): StrategyTarget => ({
  kind: 'strategy' as const,
  strategy: faithful,
  options: { codec: 'lines', handler },
  ...(workload && { workload }),
});

describe('a service that is not echo, checked by its oracle', () => {
  test('a correct uppercase handler passes every case; the echo-only ones skip, saying why', async () => {
    const report = await runSuite(target(upper, upperOracle));
    expect(byStatus(report, 'fail'), summary(report)).toEqual([]);
    for (const id of ORACLE_CASES) expect(byStatus(report, 'pass'), summary(report)).toContain(id);
    // The strategy's own cases run with echo or test handlers, the framing ones among them.
    for (const id of ['framing.too-large', 'backpressure.slow-reader', 'handler.error'])
      expect(byStatus(report, 'pass'), summary(report)).toContain(id);
    for (const id of ECHO_ONLY_CASES) {
      expect(byStatus(report, 'skip')).toContain(id);
      expect(messageOf(report, id)).toMatch(/^needs an echo handler: .*the given oracle$/);
    }
    expect(report.target.oracle).toBe('the given oracle');
  }, 120_000);

  test('a handler that answers wrongly fails exactly the oracle cases, naming request, reply and reason', async () => {
    const report = await runSuite(target(upperFirstWordOnly, upperOracle));
    // net.ipv6 is an oracle case too, where this host has an IPv6 loopback.
    const ipv6 = byStatus(report, 'skip').includes('net.ipv6') ? [] : ['net.ipv6'];
    expect(byStatus(report, 'fail').sort(), summary(report)).toEqual(
      [...ORACLE_CASES, ...ipv6].sort(),
    );
    const message = messageOf(report, 'echo.hello');
    expect(message).toContain('wrong reply to request "hello from connection 0, request 0" (34 B)');
    expect(message).toContain('got "HELLO from connection 0, request 0" (34 B)');
    expect(message).toContain('expected the request in upper case');
    expect(messageOf(report, 'echo.multiconn')).toMatch(
      /^connection \d+: .*request 1 of the connection/,
    );
    expect(byStatus(report, 'pass')).toEqual(
      expect.arrayContaining([
        'framing.too-large',
        'backpressure.slow-reader',
        'lifecycle.destroy',
      ]),
    );
  }, 120_000);

  test('a pinned handler without an oracle is checked as echo, and the failure says so', async () => {
    const report = await runSuite(target(upper), { filter: 'echo.hello' });
    expect(byStatus(report, 'fail')).toEqual(['echo.hello']);
    expect(messageOf(report, 'echo.hello')).toContain(
      "the target's handler is value upper but no workload/oracle was given, so replies were checked as echo",
    );
  });

  test('over raw, an oracle without expect skips the oracle cases with the reason', async () => {
    const report = await runSuite(
      { ...target(upper, upperOracle), options: { codec: 'raw', handler: upper } },
      { filter: 'echo.hello,stream.pipelined' },
    );
    expect(byStatus(report, 'skip')).toEqual(['echo.hello', 'stream.pipelined']);
    expect(messageOf(report, 'echo.hello')).toMatch(
      /gives no expect\(request\): raw declares frameIsChunk/,
    );
  });

  test('over raw, an oracle with expect checks the reply bytes and names the request', async () => {
    const oracle = {
      ...upperOracle,
      check: undefined,
      expect: (request: Buffer) => upper(request),
    };
    const good = await runSuite(
      { ...target(upper, oracle), options: { codec: 'raw', handler: upper } },
      { filter: 'echo.hello,conn.half-close' },
    );
    expect(byStatus(good, 'pass'), summary(good)).toEqual(['echo.hello', 'conn.half-close']);
    const wrong = await runSuite(
      {
        ...target(upperFirstWordOnly, oracle),
        options: { codec: 'raw', handler: upperFirstWordOnly },
      },
      { filter: 'echo.hello' },
    );
    expect(messageOf(wrong, 'echo.hello')).toContain(
      'request 1 ("hello from connection 0, request 0" (34 B)): wrong reply: byte 6 of 34 differs',
    );
  });
});
