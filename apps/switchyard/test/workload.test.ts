import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { runCli } from './cli.js';

const SUMMARY = /^(\d+) passed, (\d+) failed, (\d+) skipped$/m;
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const CASES = 'echo.hello,echo.multiconn,stream.pipelined,conn.half-close';

describe('conformance --workload', () => {
  test("a correct service passes the cases that check replies by the workload's oracle", async () => {
    const run = await runCli([
      'conformance',
      '--strategy',
      'selector',
      '--workload',
      fixture('upper-workload.mjs'),
      '--case',
      CASES,
    ]);
    const [, passed, failed] = SUMMARY.exec(run.stdout) ?? [];
    expect(failed, run.stdout + run.stderr).toBe('0');
    expect(Number(passed)).toBe(4);
    expect(run.code).toBe(0);
  });

  test('a handler that answers wrongly fails, and the message says request, reply and reason', async () => {
    const run = await runCli([
      'conformance',
      '--strategy',
      'selector',
      '--workload',
      fixture('upper-wrong-workload.mjs'),
      '--case',
      'echo.hello',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/echo\.hello/);
    expect(run.stdout).toMatch(/expected the request in upper case/);
  });

  test('a workload module that does not exist is one line with its error code', async () => {
    const run = await runCli(['conformance', '--strategy', 'selector', '--workload', './nope.mjs']);
    // A module that does not exist: the command line names nothing (a usage error).
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/\[SWITCHYARD_ERR_WORKLOAD_NOT_FOUND\]\n$/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
