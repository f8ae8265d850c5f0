import { describe, expect, test } from 'vitest';
import {
  benchWorkload,
  expectEveryContenderServedRight,
  SUMMARY,
  switchyard,
} from '../support/cli.js';

describe('the key-value service from the command line', () => {
  test('switchyard bench --workload ./kv/workload.mjs measures it on every strategy, every GET checked', async () => {
    const { run, report } = await benchWorkload('./kv/workload.mjs');
    expect(run.code, run.stderr).toBe(0);
    const contenders = report.contenders.map((contender) => contender.name);
    expect(contenders).toEqual(
      expect.arrayContaining(['blocking', 'selector', 'worker-pool:offload']),
    );
    expectEveryContenderServedRight(report, run.stderr);
  }, 180_000);

  test('switchyard conformance --workload ./kv/workload.mjs passes on every strategy', async () => {
    const run = await switchyard(['conformance', '--workload', './kv/workload.mjs']);
    const [, passed, failed] = SUMMARY.exec(run.stdout) ?? [];
    expect(failed, run.stdout + run.stderr).toBe('0');
    expect(Number(passed)).toBeGreaterThan(0);
    expect(run.code).toBe(0);
  }, 180_000);
});
