import { fileURLToPath } from 'node:url';
import { type BenchReport, bench, quickDefaults } from '@switchyard/bench';
import { describe, expect, test } from 'vitest';
import { benchContenders } from '../src/bench-contenders.js';
import { runCli } from './cli.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Short windows and one warm-up step: these runs check what is reported, never how fast. */
const SHORT = {
  ...quickDefaults,
  warmupMs: 100,
  warmupMaxMs: 100,
  durationMs: 300,
  drainMs: 300,
} as const;

/** The CLI's flags for the same short windows. */
const SHORT_FLAGS = [
  '--quick',
  '--warmup-ms',
  '100',
  '--warmup-max-ms',
  '100',
  '--duration-ms',
  '300',
  '--no-progress',
];

describe('bench(), end to end', () => {
  test('baseline and selector side by side, every reply verified and every figure filled in', async () => {
    const report = await bench({
      ...SHORT,
      workloads: ['echo', 'churn'],
      sizes: [1024],
      connections: [2],
      runs: 2,
      contenders: benchContenders({ strategies: 'selector', baseline: true, externals: [] }),
    });
    expect(report.contenders.map((contender) => contender.name)).toEqual(['baseline', 'selector']);
    for (const workload of report.workloads) {
      for (const cell of workload.cells) {
        for (const result of cell.results) {
          const where = `${workload.name} ${cell.label} ${result.contender}`;
          expect(result, where).toMatchObject({ status: 'ok' });
          expect(result.runs).toHaveLength(2);
          const summary = result.summary!;
          expect(summary.errors, where).toBe(0);
          expect(summary.requestsPerSecond).toBeGreaterThan(0);
          expect(summary.p99).toBeGreaterThanOrEqual(summary.p50);
          expect(summary.serverPeakRssBytes).toBeGreaterThan(1024 * 1024);
          expect(summary.fairness.connections).toBe(2);
          expect(summary.spreadPercent).toBeDefined();
          for (const run of result.runs) expect(run.serverCpuMicros).toBeGreaterThan(0);
        }
      }
    }
  }, 120_000);

  test('progress is told as events: the planned windows, then a step for each', async () => {
    const run = bench({
      ...SHORT,
      workloads: ['echo'],
      sizes: [64],
      connections: [1],
      runs: 1,
      contenders: benchContenders({ strategies: 'selector', baseline: false, externals: [] }),
    });
    const planned: number[] = [];
    const steps: string[] = [];
    run.on('planned', (windows) => planned.push(windows));
    run.on('step', (step) => steps.push(step.label));
    await run;
    expect(planned).toEqual([1]);
    expect(steps).toEqual(['echo 64 B x 1 conn selector (run 1/1)']);
  }, 60_000);

  test('a contender that does not start is reported as errored instead of measured', async () => {
    const report = await bench({
      ...SHORT,
      workloads: ['echo'],
      sizes: [64],
      connections: [1],
      runs: 1,
      contenders: benchContenders({
        strategies: 'selector',
        baseline: false,
        externals: ['nothing=exit 3 {port}'],
      }),
    });
    const [selector, nothing] = report.workloads[0]!.cells[0]!.results;
    expect(selector?.status).toBe('ok');
    expect(nothing).toMatchObject({ contender: 'nothing', status: 'errored', runs: [] });
    expect(nothing?.error).toMatch(/exited/);
  }, 60_000);

  test('a server that serves one connection at a time is flagged as starving the others', async () => {
    const report = await bench({
      ...SHORT,
      workloads: ['echo'],
      sizes: [64],
      connections: [4],
      runs: 1,
      contenders: benchContenders({ strategies: 'blocking', baseline: false, externals: [] }),
    });
    const summary = report.workloads[0]!.cells[0]!.results[0]!.summary!;
    expect(summary.fairness).toMatchObject({ connections: 4, zeroReplyConnections: 3 });
    expect(summary.starved).toBe(true);
    // The three waiting since the warm-up are owed a reply, not idle.
    expect(summary.unanswered).toBe(3);
  }, 60_000);
});

describe('switchyard bench', () => {
  test("--workload runs the user's service on the strategies, and --json - is the report alone on stdout", async () => {
    const run = await runCli([
      'bench',
      ...SHORT_FLAGS,
      '--workload',
      fixture('upper-workload.mjs'),
      '--strategy',
      'selector',
      '--no-baseline',
      '--connections',
      '2',
      '--runs',
      '1',
      '--json',
      '-',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as BenchReport;
    const [workload] = report.workloads;
    expect(workload?.name).toBe('upper');
    expect(workload?.service.handler).toMatch(/fixtures\/upper\.mjs$/);
    const result = workload!.cells[0]!.results[0]!;
    expect(result).toMatchObject({ contender: 'selector', status: 'ok' });
    expect(result.summary!.errors).toBe(0);
    // The tables still go somewhere a person sees them.
    expect(run.stderr).toMatch(/upper \(req\/s\)/);
  }, 60_000);

  test('a handler that answers wrongly marks the contender errored with the request, the reply and the reason', async () => {
    const run = await runCli([
      'bench',
      ...SHORT_FLAGS,
      '--workload',
      fixture('upper-wrong-workload.mjs'),
      '--strategy',
      'selector',
      '--no-baseline',
      '--connections',
      '1',
      '--runs',
      '1',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /upper-served-wrongly: selector errored: verification failed: wrong reply to request "hello from 0, request 0" \(23 B\): got "hello from 0, request 0" \(23 B\): expected the request in upper case/,
    );
    expect(run.stdout).toMatch(/selector\s+│ errored: verification failed: wrong reply/);
  }, 60_000);

  test("--handler overrides the workload's own handler, relative to where the command runs", async () => {
    const run = await runCli(
      [
        'bench',
        ...SHORT_FLAGS,
        '--workload',
        fixture('upper-workload.mjs'),
        '--handler',
        './lower.mjs',
        '--strategy',
        'selector',
        '--no-baseline',
        '--connections',
        '1',
        '--runs',
        '1',
        '--json',
        '-',
      ],
      undefined,
      { cwd: fileURLToPath(new URL('./fixtures/', import.meta.url)) },
    );
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as BenchReport;
    expect(report.workloads[0]!.service.handler).toMatch(/fixtures\/lower\.mjs$/);
    expect(report.workloads[0]!.cells[0]!.results[0]!.status).toBe('errored');
  }, 60_000);

  test('a workload module that does not exist is one line with its error code', async () => {
    const run = await runCli(['bench', '--workload', './nope.mjs', '--no-progress']);
    // A module that does not exist: the command line names nothing (a usage error).
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/\[SWITCHYARD_ERR_WORKLOAD_NOT_FOUND\]\n$/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('--ready-timeout-ms bounds how long an --external server may take to open its port', async () => {
    const run = await runCli([
      'bench',
      ...SHORT_FLAGS,
      '--workload',
      'echo',
      '--sizes',
      '64',
      '--connections',
      '1',
      '--runs',
      '1',
      '--no-baseline',
      '--strategy',
      'selector',
      // A server that never listens; `#` keeps the port from sleep's arguments.
      '--external',
      'never=exec sleep 60 # {port}',
      '--ready-timeout-ms',
      '500',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /never +│ errored: nothing accepted connections on port \d+ within 500 ms/,
    );
  }, 60_000);

  test('bad --handler-options is one line naming the flag', async () => {
    const run = await runCli(['bench', '--handler-options', '[1]']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/--handler-options/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
