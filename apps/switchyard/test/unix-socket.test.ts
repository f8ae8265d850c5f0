import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import { parseTarget } from '../src/options.js';
import { runCli, startServe } from './cli.js';

const SUMMARY = /^(\d+) passed, (\d+) failed, (\d+) skipped$/m;

function socketPath(): string {
  const folder = mkdtempSync(join(tmpdir(), 'switchyard-cli-unix-'));
  onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
  return join(folder, 'serve.sock');
}

test('--target takes unix:/path beside HOST:PORT', () => {
  expect(parseTarget('unix:/run/app.sock')).toEqual({ path: '/run/app.sock' });
  expect(parseTarget('127.0.0.1:7000')).toEqual({ host: '127.0.0.1', port: 7000 });
  expect(() => parseTarget('unix:')).toThrow(/expected unix:\/path/);
});

test('serve --path listens on a Unix socket, and conformance --target unix:PATH runs the suite on it', async () => {
  const path = socketPath();
  const served = await startServe(['--strategy', 'selector', '--codec', 'lines', '--path', path]);
  expect(served.stdout()).toBe(`listening on unix:${path}\n`);
  const client = connect({ path });
  onTestFinished(() => {
    client.destroy();
  });
  client.end('over a unix socket\n');
  expect(String((await once(client, 'data'))[0])).toBe('over a unix socket\n');

  const run = await runCli([
    'conformance',
    '--target',
    `unix:${path}`,
    '--codec',
    'lines',
    '--case',
    'echo,conn.half-close,conn.reset',
  ]);
  expect(SUMMARY.exec(run.stdout)?.slice(1)).toEqual(['6', '0', '0']);
  expect(run.stdout).toContain(`unix:${path}`);

  // A second server on the same path is refused while the first one lives.
  const second = await runCli(['serve', '--strategy', 'selector', '--path', path]);
  expect(second.code).not.toBe(0);
  expect(second.stderr).toContain(
    `cannot listen on unix:${path}: a server is listening there already`,
  );
  expect(await served.stop()).toBe(0);
});

test('conformance --unix runs strategies on Unix sockets', async () => {
  const run = await runCli([
    'conformance',
    '--strategy',
    'selector',
    '--unix',
    '--case',
    'echo.hello,conn.reset,net.ipv6',
  ]);
  // net.ipv6 needs a TCP host.
  expect(SUMMARY.exec(run.stdout)?.slice(1)).toEqual(['2', '0', '1']);
  expect(run.stdout).toContain('selector on a Unix socket');
  const refused = await runCli(['conformance', '--target', 'unix:/tmp/x.sock', '--unix']);
  expect(refused.stderr).toMatch(/--unix: applies to strategies/);
});

test('serve refuses --path with --port', async () => {
  const run = await runCli([
    'serve',
    '--strategy',
    'selector',
    '--path',
    socketPath(),
    '--port',
    '7000',
  ]);
  expect(run.code).not.toBe(0);
  expect(run.stderr).toMatch(/--path: a Unix socket path, or --host and --port: not both/);
});
