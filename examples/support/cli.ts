import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { BenchReport } from '@switchyard/bench';
import { selfCommand } from '@switchyard/cli';
import { expect, onTestFinished, test } from 'vitest';

/** The examples folder: the CLI runs there, as a user in this repo would, with relative paths. */
const examplesDir = fileURLToPath(new URL('../', import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `switchyard ...args` in examples/ to completion; killed if the test ends first. */
export async function switchyard(args: readonly string[]): Promise<CliRun> {
  const { command, args: prefix } = selfCommand();
  const child = spawn(command, [...prefix, ...args], {
    cwd: examplesDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/**
 * `switchyard bench --workload <workload>` on every strategy this Node runs, short windows and
 * one run (these tests check correctness and what is reported, never speed), JSON on stdout.
 */
export async function benchWorkload(
  workload: string,
): Promise<{ run: CliRun; report: BenchReport }> {
  const run = await switchyard([
    'bench',
    '--workload',
    workload,
    '--quick',
    '--connections',
    '2',
    '--runs',
    '1',
    '--warmup-ms',
    '100',
    '--warmup-max-ms',
    '100',
    '--duration-ms',
    '300',
    '--no-baseline',
    '--no-progress',
    '--json',
    '-',
  ]);
  let report: BenchReport;
  try {
    report = JSON.parse(run.stdout) as BenchReport;
  } catch {
    throw new Error(`bench wrote no JSON report (exit ${run.code}): ${run.stderr}`);
  }
  return { run, report };
}

/** Every contender of every cell, measured without a wrong reply. */
export function expectEveryContenderServedRight(report: BenchReport, stderr: string): void {
  const results = report.workloads
    .flatMap((workload) => workload.cells)
    .flatMap((cell) => cell.results);
  expect(results.length).toBeGreaterThan(0);
  for (const result of results) {
    expect(result.status, `${result.contender}: ${result.error ?? ''}\n${stderr}`).toBe('ok');
    expect(result.summary?.errors, result.contender).toBe(0);
    expect(result.summary?.requestsPerSecond, result.contender).toBeGreaterThan(0);
  }
}

/** The matrix's closing line: `N passed, N failed, N skipped`. */
export const SUMMARY = /^(\d+) passed, (\d+) failed, (\d+) skipped$/m;

/**
 * The two tests every example service passes from the command line: benchmarked on every
 * strategy this Node runs with every reply right, and the whole conformance suite passed.
 */
export function testServiceFromCli(workload: string): void {
  test(`switchyard bench --workload ${workload} measures it on every strategy`, async () => {
    const { run, report } = await benchWorkload(workload);
    expect(run.code, run.stderr).toBe(0);
    const contenders = report.contenders.map((contender) => contender.name);
    expect(contenders).toEqual(
      expect.arrayContaining(['blocking', 'selector', 'worker-pool:offload']),
    );
    expectEveryContenderServedRight(report, run.stderr);
  }, 180_000);

  test(`switchyard conformance --workload ${workload} passes on every strategy`, async () => {
    const run = await switchyard(['conformance', '--workload', workload]);
    const [, passed, failed] = SUMMARY.exec(run.stdout) ?? [];
    expect(failed, run.stdout + run.stderr).toBe('0');
    expect(Number(passed)).toBeGreaterThan(0);
    expect(run.code).toBe(0);
  }, 180_000);
}
