import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, onTestFinished, test } from 'vitest';
import { CONFORMANCE_SUMMARY, runCli, startServe } from './cli.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

test('conformance --target passes against a serve process', async () => {
  const served = await startServe(['--strategy', 'selector', '--codec', 'length-prefixed']);
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-conformance-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const json = join(dir, 'report.json');
  const junit = join(dir, 'report.xml');

  const run = await runCli([
    'conformance',
    '--target',
    `${served.host}:${served.port}`,
    '--codec',
    'length-prefixed',
    '--concurrent',
    // The quick groups: the bulk cases (64 MiB and more) prove the server, not the CLI.
    '--case',
    'echo,framing,conn',
    '--json',
    json,
    '--junit',
    junit,
  ]);

  const [, passed, failed] = CONFORMANCE_SUMMARY.exec(run.stdout) ?? [];
  expect(Number(passed)).toBeGreaterThan(0);
  expect(failed).toBe('0');
  expect(run.stdout).toContain(`${served.host}:${served.port}`);
  expect(run.code).toBe(0);
  expect(JSON.parse(await readFile(json, 'utf8'))).toBeTruthy();
  expect(await readFile(junit, 'utf8')).toMatch(/<testsuites/);
  expect(await served.stop()).toBe(0);
});

test('conformance --list names every case with its tier', async () => {
  const run = await runCli(['conformance', '--list']);
  expect(run.code).toBe(0);
  const lines = run.stdout.trimEnd().split('\n');
  expect(lines.length).toBeGreaterThan(5);
  for (const line of lines) expect(line).toMatch(/^[\w-]+\.[\w.-]+\s+(MUST|SHOULD)\s+\S/);
});

test('start --no-bench runs the matrix and writes a report', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-start-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const run = await runCli(['start', '--no-bench', '--case', 'echo', '--report-dir', dir]);
  expect(run.stdout).toMatch(CONFORMANCE_SUMMARY);
  expect(run.stderr).toMatch(/^\[1\/\d+\] \S+: \d+ passed, 0 failed/m);
  const reportPath = /^report: (.+)$/m.exec(run.stdout)?.[1];
  expect(reportPath).toBeDefined();
  const report = await readFile(reportPath!, 'utf8');
  expect(report).toContain('## Conformance');
  expect(report).toMatch(CONFORMANCE_SUMMARY);
  expect(run.code).toBe(0);
});

test('conformance --strategy --codec PATH loads it relative to where it runs, on worker threads too', async () => {
  const run = await runCli(
    [
      'conformance',
      '--strategy',
      'selector,worker-pool',
      '--codec',
      './hex-lines-codec.mjs',
      '--case',
      'framing',
    ],
    onTestFinished,
    { cwd: fixtures },
  );
  const [, passed, failed] = CONFORMANCE_SUMMARY.exec(run.stdout) ?? [];
  expect(Number(passed), run.stdout + run.stderr).toBeGreaterThan(0);
  expect(failed, run.stdout + run.stderr).toBe('0');
  expect(run.code).toBe(0);
});
