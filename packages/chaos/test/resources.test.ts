import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { processTree } from '@switchyard/bench';
import { describe, expect, it, onTestFinished } from 'vitest';
import { joinSpans, readResources, spanOf } from '../src/resources.js';

describe('server resources', () => {
  it("reads a process's RSS and open fds from /proc", () => {
    const reading = readResources(process.pid);
    expect(reading!.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    // stdin, stdout, stderr at least.
    expect(reading!.fds).toBeGreaterThanOrEqual(3);
  });

  it('counts the processes of a tree that serve: its leaves, not a parent that starts them', async () => {
    // A parent that starts one child and waits; the child leaves when its parent's IPC closes.
    const script = [
      "const child = require('node:child_process').fork('-e', [\"process.on('disconnect', () => process.exit()); process.send('up')\"]);",
      "child.on('message', () => process.stdout.write('started\\n'));",
    ].join(' ');
    const parent = spawn(process.execPath, ['-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    onTestFinished(() => {
      parent.kill('SIGKILL');
    });
    await once(parent.stdout!, 'data');
    const reading = readResources(parent.pid!);
    expect(processTree(parent.pid!)).toHaveLength(2);
    expect(reading!.servingProcesses).toBe(1);
  });

  it('reads nothing for a process that is gone', () => {
    // Above any pid_max Linux allows (2^22).
    expect(readResources(2 ** 23)).toBeUndefined();
  });

  it('spans readings: the first, the highest and the last', () => {
    const reading = (rssBytes: number, fds: number, servingProcesses = 1) => ({
      rssBytes,
      fds,
      servingProcesses,
    });
    expect(spanOf([reading(10, 5), reading(50, 9, 2), reading(20, 6)])).toEqual({
      rssBytes: { start: 10, peak: 50, end: 20 },
      fds: { start: 5, peak: 9, end: 6 },
      servingProcesses: 2,
    });
    expect(spanOf([])).toBeUndefined();
  });

  it('joins the spans of consecutive phases into the run', () => {
    const span = (start: number, peak: number, end: number, servingProcesses = 1) => ({
      rssBytes: { start, peak, end },
      fds: { start, peak, end },
      servingProcesses,
    });
    expect(joinSpans([span(10, 12, 11), undefined, span(11, 90, 30, 2), span(30, 31, 25)])).toEqual(
      span(10, 90, 25, 2),
    );
    expect(joinSpans([undefined])).toBeUndefined();
  });
});
