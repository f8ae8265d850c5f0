import { describe, expect, test } from 'vitest';
import { benchWorkload, switchyard, testServiceFromCli } from '../support/cli.js';

describe('the upper service from the command line', () => {
  testServiceFromCli('./upper/workload.mjs');

  test('served by a lower-casing handler, it fails both, saying request, reply and reason', async () => {
    const bench = await benchWorkload('./upper/wrong-workload.mjs');
    expect(bench.run.code).toBe(1);
    const results = bench.report.workloads[0]!.cells.flatMap((cell) => cell.results);
    for (const result of results) {
      expect(result.status, result.contender).toBe('errored');
      expect(result.error).toMatch(
        /wrong reply to request "Hello, world: connection 0, request 0" \(\d+ B\): got "hello, world: connection 0, request 0" \(\d+ B\): expected "HELLO, WORLD: CONNECTION 0, REQUEST 0"/,
      );
    }
    const conformance = await switchyard([
      'conformance',
      '--strategy',
      'selector',
      '--workload',
      './upper/wrong-workload.mjs',
      '--case',
      'echo.hello',
    ]);
    expect(conformance.code).toBe(1);
    expect(conformance.stdout).toMatch(/echo\.hello/);
    expect(conformance.stdout).toMatch(/expected "HELLO, WORLD: CONNECTION 0, REQUEST 0"/);
  }, 180_000);
});
