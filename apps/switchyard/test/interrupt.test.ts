import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, watch } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect, onTestFinished, test } from 'vitest';
import { selfCommand } from '../src/self.js';

// Each command runs as a terminal job would: in a process group of its own, which Ctrl-C signals
// whole. The bench's servers run in groups of their own, so only the command can stop them.

/** Parent pid and state of every process, from /proc. */
function processTable(): Map<number, { ppid: number; state: string }> {
  const table = new Map<number, { ppid: number; state: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces and parentheses: the fields start after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(entry), { ppid: Number(ppid), state: state! });
    } catch {
      // gone while listing
    }
  }
  return table;
}

/** Every live descendant of `pid`. */
function descendants(pid: number): number[] {
  const table = processTable();
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [child, { ppid, state }] of table) {
      if (ppid === parent && state !== 'Z') {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

interface Job {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; at: number }>;
  stderr(): string;
  /** Resolves once stderr matches `pattern` (the test's timeout is the failure). */
  waitForStderr(pattern: RegExp): Promise<void>;
}

function startJob(args: readonly string[]): Job {
  const { command, args: prefix } = selfCommand();
  const child = spawn(command, [...prefix, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  const waiters: (() => void)[] = [];
  child.stderr!.on('data', (text: string) => {
    stderr += text;
    for (const waiter of [...waiters]) waiter();
  });
  const exited = once(child, 'exit').then(([code]) => ({
    code: code as number | null,
    at: performance.now(),
  }));
  onTestFinished(() => {
    for (const pid of [child.pid!, ...descendants(child.pid!)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  return {
    child,
    exited,
    stderr: () => stderr,
    waitForStderr: (pattern) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(stderr)) return;
          waiters.splice(waiters.indexOf(check), 1);
          resolve();
        };
        waiters.push(check);
        void exited.then(({ code }) => reject(new Error(`exited with ${code}: ${stderr}`)));
        check();
      }),
  };
}

/**
 * Signals the job's whole group, as a terminal does for Ctrl-C, and checks that it exits with
 * 128 + the signal's number within 2 s and that none of the processes it had started is left.
 */
async function interruptAndCheck(job: Job, signal: 'SIGINT' | 'SIGTERM'): Promise<void> {
  const started = descendants(job.child.pid!);
  const sentAt = performance.now();
  process.kill(-job.child.pid!, signal);
  const { code, at } = await job.exited;
  expect(code, job.stderr()).toBe(signal === 'SIGINT' ? 130 : 143);
  expect(at - sentAt).toBeLessThan(2000);
  expect(started.filter(alive), `left running after the command exited: ${started}`).toEqual([]);
}

/** A bench that runs long enough to be interrupted in the middle of a window. */
const LONG_BENCH = [
  'bench',
  '--workload',
  'echo',
  '--sizes',
  '64',
  '--connections',
  '2',
  '--duration-ms',
  '60000',
  '--runs',
  '1',
  '--strategy',
  'selector,worker-pool',
];

describe('interrupting a long command', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} during bench stops every server and load generator it started`, async () => {
      const job = startJob(LONG_BENCH);
      await job.waitForStderr(/bench: echo .*\(run 1\/1\)/);
      // Every contender's server and the load generator are running by the first window.
      expect(descendants(job.child.pid!).length).toBeGreaterThanOrEqual(3);
      await interruptAndCheck(job, signal);
    }, 60_000);
  }

  test('SIGINT while a server is still starting stops it too', async () => {
    // A server that never listens: the bench is waiting on it when the signal comes. It says it
    // has started by creating a file, since the bench keeps a server's output to itself.
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-mute-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const marker = join(dir, 'started');
    const started = new Promise<void>((resolve) => {
      const watcher = watch(dir, () => {
        if (!existsSync(marker)) return;
        watcher.close();
        resolve();
      });
      onTestFinished(() => watcher.close());
    });
    const job = startJob([
      ...LONG_BENCH,
      '--strategy',
      'selector',
      '--external',
      `mute=touch ${marker} && exec sleep 600 # {port}`,
    ]);
    await started;
    await interruptAndCheck(job, 'SIGINT');
  }, 60_000);

  test('SIGINT during conformance ends the run and its worker threads', async () => {
    const job = startJob(['conformance', '--strategy', 'all']);
    // A line once the first strategy is done; the others are still being tested.
    await job.waitForStderr(/\[1\/\d+\]/);
    await interruptAndCheck(job, 'SIGINT');
  }, 120_000);

  test('SIGINT during start, in its bench, stops every server it started', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-start-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const job = startJob(['start', '--case', 'echo.hello', '--report-dir', dir]);
    await job.waitForStderr(/bench: .*\(run 1\/3\)/);
    expect(descendants(job.child.pid!).length).toBeGreaterThanOrEqual(3);
    await interruptAndCheck(job, 'SIGINT');
  }, 120_000);
});
