import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { onTestFinished } from 'vitest';
import { type ServeFlags, serveCommand } from '../src/commands/serve.js';
import { selfCommand } from '../src/self.js';

/** Output of a finished CLI run. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Registers cleanup for the current test; concurrent tests must pass their context's own. */
export type OnFinished = (cleanup: () => void) => void;

/** Where the CLI runs: `cwd` is what relative module paths are resolved against. */
export interface CliOptions {
  readonly cwd?: string;
}

/** Starts `switchyard ...args` as a user would: a child process. Killed when the test ends. */
export function spawnCli(
  args: readonly string[],
  onFinished: OnFinished = onTestFinished,
  { cwd }: CliOptions = {},
): ChildProcess {
  const { command, args: prefix } = selfCommand();
  const child = spawn(command, [...prefix, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(cwd !== undefined && { cwd }),
  });
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  onFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

/** Runs `switchyard ...args` to completion. */
export async function runCli(
  args: readonly string[],
  onFinished: OnFinished = onTestFinished,
  options: CliOptions = {},
): Promise<CliRun> {
  const child = spawnCli(args, onFinished, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (text: string) => (stdout += text));
  child.stderr!.on('data', (text: string) => (stderr += text));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** A `switchyard serve` process that printed its address. */
export interface Served {
  readonly child: ChildProcess;
  readonly host: string;
  readonly port: number;
  /** For `serve --path`: the Unix socket it printed (host and port are then empty). */
  readonly path?: string;
  /** Everything printed to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once stderr matches `pattern` (the test's timeout is the failure). */
  waitForStderr(pattern: RegExp): Promise<void>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `switchyard serve ...args` on a free port and waits for `listening on HOST:PORT`. */
export async function startServe(
  args: readonly string[],
  options: CliOptions = {},
): Promise<Served> {
  const child = spawnCli(['serve', '--port', '0', ...args], onTestFinished, options);
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (text: string) => (stderr += text));
  const exited = once(child, 'close').then(([code]) => code as number | null);
  const address = await new Promise<{ host: string; port: number; path?: string }>(
    (resolve, reject) => {
      child.stdout!.on('data', (text: string) => {
        stdout += text;
        const unix = /^listening on unix:(.+)\n/.exec(stdout);
        if (unix) resolve({ host: '', port: 0, path: unix[1]! });
        const match = /^listening on \[?([^\]\s]+?)\]?:(\d+)\n/.exec(stdout);
        if (match) resolve({ host: match[1]!, port: Number(match[2]) });
      });
      void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    },
  );
  return {
    child,
    ...address,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForStderr: (pattern) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!pattern.test(stderr)) return;
          child.stderr!.off('data', check);
          resolve();
        };
        child.stderr!.on('data', check);
        check();
      }),
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** The conformance command's last line: `N passed, N failed, N skipped`. */
export const CONFORMANCE_SUMMARY = /^(\d+) passed, (\d+) failed, (\d+) skipped$/m;

/** The flags `serve` would run with, parsed from `args` after `--strategy selector`. */
export function parseServe(args: readonly string[]): ServeFlags {
  let parsed: ServeFlags | undefined;
  serveCommand()
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .action((given: ServeFlags) => {
      parsed = given;
    })
    .parse(['--strategy', 'selector', ...args], { from: 'user' });
  return parsed!;
}
