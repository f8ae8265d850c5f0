import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ErrorCode } from '@switchyard/protocol';
import {
  childProcessArgs,
  isSourceModule,
  siblingModule,
  workerThreadStart,
} from '@switchyard/server-core';
import { describe, expect, it, onTestFinished } from 'vitest';

/** Where `@switchyard/protocol` resolves when packages resolve to their sources. */
const protocolSource = /\/packages\/protocol\/src\/index\.ts$/;

describe('which module to launch', () => {
  it('knows a TypeScript module from a JavaScript one', () => {
    expect(isSourceModule('file:///repo/src/cli.ts')).toBe(true);
    expect(isSourceModule(new URL('file:///repo/src/cli.mts'))).toBe(true);
    expect(isSourceModule('file:///repo/dist/cli.js')).toBe(false);
    expect(isSourceModule('file:///repo/dist/cli.js?ts')).toBe(false);
  });

  it('picks the source path from sources and the build path from the build', () => {
    expect(siblingModule('file:///repo/src/bench/scripts.ts', './load.ts').href).toBe(
      'file:///repo/src/bench/load.ts',
    );
    expect(siblingModule('file:///repo/dist/index.js', './load.ts').href).toBe(
      'file:///repo/dist/load.js',
    );
    expect(siblingModule('file:///repo/dist/index.js', './load.ts', './bench/load.js').href).toBe(
      'file:///repo/dist/bench/load.js',
    );
  });

  it('runs a built module as it is, in a child process or on a thread', () => {
    const built = new URL('file:///repo/dist/worker.js');
    expect(childProcessArgs(built)).toEqual([fileURLToPath(built)]);
    // No execArgv: the thread inherits the process's options, which `node --expose-gc` or
    // `--max-old-space-size` would make `new Worker` refuse if they were passed explicitly.
    expect(workerThreadStart(built)).toEqual({ filename: built, options: { eval: false } });
  });
});

describe('running from TypeScript sources', () => {
  it('a child process runs a .ts module that imports a workspace package by name', async () => {
    const module = siblingModule(import.meta.url, './fixtures/launch-child.ts');
    const child = spawn(process.execPath, [...childProcessArgs(module), 'first', '--second'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (text: Buffer) => (stdout += text));
    child.stderr.on('data', (text: Buffer) => (stderr += text));
    const [code] = await once(child, 'close');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.args).toEqual(['first', '--second']);
    expect(report.protocol).toMatch(protocolSource);
    expect(report.code).toBe(ErrorCode.FRAME_TOO_LARGE);
  });

  it('a worker thread runs a .ts entry that imports a workspace package by name', async () => {
    const module = siblingModule(import.meta.url, './fixtures/launch-thread.ts');
    const { filename, options } = workerThreadStart(module);
    const thread = new Worker(filename, { ...options, workerData: { slot: 3 } });
    onTestFinished(async () => {
      await thread.terminate();
    });
    const [report] = await once(thread, 'message');
    expect(report.workerData).toEqual({ slot: 3 });
    expect(report.protocol).toMatch(protocolSource);
    expect(report.code).toBe(ErrorCode.FRAME_TOO_LARGE);
  });
});
