import { listCases, runSuite, type SuiteReport } from '@switchyard/conformance';
import { selectorStrategy } from '@switchyard/server-selector';
import { describe, expect, test } from 'vitest';

const workload = new URL('./workload.mjs', import.meta.url).href;
const wrongHandler = new URL('./wrong-handler.mjs', import.meta.url).href;

/** The cases whose servers run the service and whose replies the workload checks. */
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
  'net.ipv6',
];

function ids(report: SuiteReport, status: string): string[] {
  return report.results.filter((result) => result.status === status).map((result) => result.id);
}

describe('the upper workload against a handler that answers in lower case', () => {
  // The target's handler wins over the workload's: the workload still says what a good reply is.
  let report: SuiteReport;
  test('fails every case that checks the service, and only those', async () => {
    report = await runSuite({
      kind: 'strategy',
      strategy: selectorStrategy,
      options: { handler: wrongHandler },
      workload,
    });
    const ipv6Skipped = ids(report, 'skip').includes('net.ipv6');
    const expected = ORACLE_CASES.filter((id) => !(ipv6Skipped && id === 'net.ipv6'));
    const detail = report.results.map((r) => `${r.id}: ${r.status} ${r.message ?? ''}`).join('\n');
    expect(ids(report, 'fail').sort(), detail).toEqual(expected.sort());
    // The others measure the strategy with echo or test handlers, or need an echo service.
    const rest = listCases().filter((info) => !ORACLE_CASES.includes(info.id));
    for (const info of rest) {
      const result = report.results.find((r) => r.id === info.id)!;
      expect(
        result.status === 'pass' || result.message,
        `${info.id}: ${result.message}`,
      ).toBeTruthy();
      if (result.status === 'skip') expect(result.message).toMatch(/^(needs|applies to) /);
    }
    expect(ids(report, 'pass')).toEqual(
      expect.arrayContaining([
        'framing.too-large',
        'backpressure.slow-reader',
        'lifecycle.destroy',
      ]),
    );
  }, 120_000);

  test('says which request got which reply, and why that is wrong', () => {
    const message = report.results.find((result) => result.id === 'echo.hello')?.message;
    expect(message).toBe(
      'client: a good reply to one request: request 1 of the connection: ' +
        'wrong reply to request "Hello, world: connection 0, request 0" (37 B): ' +
        'got "hello, world: connection 0, request 0" (37 B): ' +
        'expected "HELLO, WORLD: CONNECTION 0, REQUEST 0"',
    );
    const multiconn = report.results.find((result) => result.id === 'echo.multiconn')?.message;
    expect(multiconn).toMatch(
      /^connection \d+: replies to both requests: request 1 of the connection/,
    );
  });
});
