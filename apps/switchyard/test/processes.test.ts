import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { processTree } from '@switchyard/bench';
import { isSwitchyardError } from '@switchyard/protocol';
import { reusePortUnsupported } from '@switchyard/server-core';
import { describe, expect, onTestFinished, test } from 'vitest';
import { type ServeFlags, serveOptions } from '../src/commands/serve.js';
import { contenderTarget } from '../src/matrix.js';
import {
  contenderNames,
  getContender,
  runsInProcessesByDefault,
  selectContenders,
  strategies,
} from '../src/registry.js';
import { selfCommand } from '../src/self.js';
import { runCli } from './cli.js';

const flags = (extra: Partial<ServeFlags>): ServeFlags => ({
  strategy: 'selector',
  codec: 'raw',
  handler: 'echo',
  host: '127.0.0.1',
  port: 0,
  closeTimeoutMs: 10_000,
  ...extra,
});

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (isSwitchyardError(error)) return error.code;
    throw error;
  }
  return undefined;
}

const reusePort = reusePortUnsupported() === undefined;

describe('contenders in several processes', () => {
  test('all has each one-thread concurrent strategy in two processes, rr (and reuseport where this Node shares ports)', () => {
    expect(strategies.filter(runsInProcessesByDefault).map((strategy) => strategy.name)).toEqual([
      'selector',
    ]);
    const names = contenderNames();
    const at = names.indexOf('selector');
    expect(names.slice(at, at + (reusePort ? 3 : 2))).toEqual([
      'selector',
      'selector×2:rr',
      ...(reusePort ? ['selector×2:reuseport'] : []),
    ]);
    expect(names).not.toContain('selector×2:os');
  });

  test('any count and distribution by name, the × typed as x too; all of them without one', () => {
    const os = getContender('selectorx3:os');
    expect(os).toMatchObject({
      name: 'selector×3:os',
      options: { processes: 3, distribution: 'os' },
      serveArgs: ['--strategy', 'selector', '--processes', '3', '--distribution', 'os'],
    });
    expect(os.strategy.capabilities).toMatchObject({ runsIn: 'child-processes' });
    expect(getContender('selector×2:os').strategy).toBe(os.strategy);
    expect(getContender('worker-pool:offload×2:rr').options).toEqual({
      mode: 'offload',
      processes: 2,
      distribution: 'rr',
    });
    expect(selectContenders('selector×2').map((contender) => contender.name)).toEqual([
      'selector×2:rr',
      'selector×2:os',
      ...(reusePort ? ['selector×2:reuseport'] : []),
    ]);
    expect(codeOf(() => getContender('selector×0:rr'))).toBe('SWITCHYARD_ERR_INVALID_OPTION');
    expect(codeOf(() => getContender('selector×2:random'))).toBe('SWITCHYARD_ERR_INVALID_OPTION');
    expect(codeOf(() => getContender('nope×2:rr'))).toBe('SWITCHYARD_ERR_UNKNOWN_STRATEGY');
  });

  test('the matrix runs one like any other: a strategy target with its options', () => {
    const target = contenderTarget(getContender('selector×2:rr'));
    expect(target).toMatchObject({
      kind: 'strategy',
      name: 'selector×2:rr',
      options: { processes: 2, distribution: 'rr' },
    });
  });

  test('serve --processes and --distribution name the same contender', () => {
    const { contender, options } = serveOptions(
      flags({ processes: '2', distribution: 'os', codec: 'lines' }),
    );
    expect(contender.name).toBe('selector×2:os');
    expect(options).toMatchObject({ processes: 2, distribution: 'os', codec: 'lines' });
    expect(serveOptions(flags({ processes: '4' })).contender.name).toBe('selector×4:rr');
    expect(serveOptions(flags({ strategy: 'selector×2:os' })).contender.name).toBe('selector×2:os');
    const pool = serveOptions(flags({ strategy: 'worker-pool', processes: '2', mode: 'offload' }));
    expect(pool.contender.name).toBe('worker-pool:offload×2:rr');
    expect(codeOf(() => serveOptions(flags({ distribution: 'os' })))).toBe(
      'SWITCHYARD_ERR_INVALID_OPTION',
    );
    expect(codeOf(() => serveOptions(flags({ strategy: 'selector×2:rr', processes: '2' })))).toBe(
      'SWITCHYARD_ERR_INVALID_OPTION',
    );
    expect(codeOf(() => serveOptions(flags({ processes: '0' })))).toBe(
      'SWITCHYARD_ERR_INVALID_OPTION',
    );
  });

  test.runIf(!reusePort)(
    'serve --distribution reuseport on a Node that would ignore reusePort: one clear line, no process started',
    async ({ onTestFinished }) => {
      const run = await runCli(
        ['serve', '--strategy', 'selector', '--processes', '2', '--distribution', 'reuseport'],
        onTestFinished,
      );
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          /^switchyard: reusePort cannot share a port here: Node .* ignores the reusePort option .*\[SWITCHYARD_ERR_REUSEPORT_UNSUPPORTED\]$/,
        ),
      ]);
    },
  );
});

/** True while `pid` runs (a zombie, dead but not reaped, does not count). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

test('serve --processes 2: SIGTERM to its process group closes every process gracefully, owed replies delivered, nothing left', async () => {
  const { command, args } = selfCommand();
  const slowEcho = fileURLToPath(new URL('./fixtures/slow-echo.mjs', import.meta.url));
  const serveArgs = ['serve', '--strategy', 'selector', '--processes', '2', '--codec', 'lines'];
  // Its own process group, as the bench runs a contender: the signal goes to the whole group.
  const served = spawn(command, [...args, ...serveArgs, '--handler', slowEcho, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  onTestFinished(() => {
    if (served.exitCode === null) process.kill(-served.pid!, 'SIGKILL');
  });
  let stderr = '';
  served.stderr!.on('data', (text: Buffer) => (stderr += text));
  const exited = once(served, 'exit');
  const [line] = (await once(served.stdout!, 'data')) as [Buffer];
  const port = Number(/^listening on 127\.0\.0\.1:(\d+)\n$/.exec(String(line))?.[1]);
  const everyone = processTree(served.pid!);
  // serve, the supervisor, two serving processes (and, from sources, tsx's esbuild service).
  expect(everyone.length).toBeGreaterThanOrEqual(4);
  const replies = [1, 2, 3, 4].map((index) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`owed ${index}\n`));
    onTestFinished(() => {
      socket.destroy();
    });
    socket.on('error', () => {});
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk));
    return new Promise<string>((resolve) => socket.on('close', () => resolve(text)));
  });
  await until(() => stderr.match(/^arrived: owed/gm)?.length === 4);
  process.kill(-served.pid!, 'SIGTERM');
  expect(await Promise.all(replies)).toEqual(['owed 1\n', 'owed 2\n', 'owed 3\n', 'owed 4\n']);
  const [code] = await exited;
  expect(code, stderr).toBe(0);
  expect(stderr).toMatch(/closed: 4 connections \(per process: \d, \d\), 4 requests, 4 replies/);
  await until(() => !everyone.some(isAlive));
});

/** Waits for state no event announces (another process's output or life), briefly polling. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
