import type { ChaosReport } from '@switchyard/chaos';
import { expect, test } from 'vitest';
import { runCli } from './cli.js';

test('chaos against blocking: attacks that hold a connection are skipped by what it declares, the JSON on stdout and the exit code follow the verdicts', async () => {
  const run = await runCli([
    'chaos',
    '--strategy',
    'blocking',
    '--attacks',
    'dribble,garbage',
    '--duration-ms',
    '300',
    '--json',
    '-',
  ]);
  const [report] = JSON.parse(run.stdout) as ChaosReport[];
  expect(report!.name).toBe('blocking');
  expect(report!.error).toBeUndefined();
  // Blocking declares it serves one connection at a time: good clients connect per request, and
  // the dribble, which would hold the line, is not run.
  expect(report!.good.pattern).toBe('churn');
  expect(report!.skipped).toEqual([
    { attack: 'dribble', reason: expect.stringMatching(/^holds its connections/) },
  ]);
  expect(report!.phases.map((phase) => phase.name)).toEqual([
    'warm-up',
    'baseline',
    'garbage',
    'settle',
  ]);
  expect(report!.verdicts.map((verdict) => verdict.invariant)).toEqual([
    'intact',
    'serving',
    'resources',
    'under-attack',
  ]);
  expect(run.code).toBe(report!.passed ? 0 : 1);
  // With the JSON on stdout, the table and the progress go to stderr.
  expect(run.stderr).toContain('chaos blocking: garbage (2/3)');
  expect(run.stderr).toContain('skipped dribble: holds its connections');
  expect(run.stderr).toMatch(/^result: (pass|FAIL)/m);
}, 60_000);
