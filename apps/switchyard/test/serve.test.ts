import { once } from 'node:events';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, onTestFinished, test } from 'vitest';
import { contenders } from '../src/registry.js';
import { runCli, startServe } from './cli.js';

const upperHandler = fileURLToPath(new URL('./fixtures/upper.mjs', import.meta.url));

test('serve answers a plain net client and exits 0 on SIGTERM', async () => {
  const served = await startServe(['--strategy', 'selector', '--codec', 'lines']);
  expect(served.stdout()).toBe(`listening on 127.0.0.1:${served.port}\n`);

  const socket = connect(served.port, served.host);
  onTestFinished(() => {
    socket.destroy();
  });
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.end('hello\nworld\n');
  await once(socket, 'end');
  expect(Buffer.concat(received).toString()).toBe('hello\nworld\n');

  expect(await served.stop()).toBe(0);
  // Still exactly one line on stdout: logs go to stderr.
  expect(served.stdout()).toBe(`listening on 127.0.0.1:${served.port}\n`);
  expect(served.stderr()).toMatch(/closed: 1 connections, 2 requests, 2 replies/);
});

const dbDownHandler = fileURLToPath(new URL('./fixtures/db-down.mjs', import.meta.url));

describe('serve logs one line per failure, with the connection, code and message', () => {
  for (const contender of contenders()) {
    test(`${contender.name}: a handler failure keeps its message`, async () => {
      const served = await startServe([
        ...contender.serveArgs,
        '--codec',
        'lines',
        '--handler',
        dbDownHandler,
      ]);
      const socket = connect(served.port, served.host);
      onTestFinished(() => {
        socket.destroy();
      });
      socket.on('error', () => {});
      await once(socket, 'connect');
      const port = socket.localPort;
      socket.write('GET user:1\n');
      await served.waitForStderr(
        new RegExp(
          `^connection \\d+ 127\\.0\\.0\\.1:${port}: SWITCHYARD_ERR_HANDLER_FAILED: handler failed: database connection lost$`,
          'm',
        ),
      );
      expect(await served.stop()).toBe(0);
    });
  }
});

test('serve refuses a codec module that cannot load, with the loader message', async () => {
  const run = await runCli([
    'serve',
    '--strategy',
    'selector',
    '--port',
    '0',
    '--codec',
    './no-such-codec.mjs',
  ]);
  expect(run.code).not.toBe(0);
  expect(run.stderr).toContain('SWITCHYARD_ERR_CODEC_NOT_FOUND');
  expect(run.stderr).toContain('no-such-codec.mjs');
});

test('serve logs connection errors to stderr by code', async () => {
  const served = await startServe([
    '--strategy',
    'selector',
    '--codec',
    'lines',
    '--max-frame-bytes',
    '4',
  ]);
  const socket = connect(served.port, served.host);
  onTestFinished(() => {
    socket.destroy();
  });
  socket.on('error', () => {});
  socket.write('far too long for the limit\n');
  await served.waitForStderr(
    /^connection 1 127\.0\.0\.1:\d+: SWITCHYARD_ERR_FRAME_TOO_LARGE: frame of \d+ bytes exceeds the limit of 4 bytes$/m,
  );
  expect(await served.stop()).toBe(0);
});

describe('client against serve', () => {
  for (const contender of contenders()) {
    test(`${contender.name}: every connection gets back what it sent`, async () => {
      const served = await startServe([...contender.serveArgs]);
      const run = await runCli(['client', served.host, String(served.port), '3']);
      expect(run.stderr).toBe('');
      expect(run.stdout).toContain('sending "Message 1 from client." to connection 3');
      expect(run.stdout).toContain('connection 2: msg_total=44 recv_total=44 ok');
      expect(run.stdout).toContain('3 of 3 connections got back exactly what they sent');
      expect(run.code).toBe(0);
      expect(await served.stop()).toBe(0);
    });
  }

  test('worker-pool options the library takes are flags too', async () => {
    const served = await startServe([
      '--strategy',
      'worker-pool',
      '--mode',
      'offload',
      '--workers',
      '2',
      '--max-queued-requests',
      '2',
    ]);
    const run = await runCli(['client', served.host, String(served.port), '3']);
    expect(run.stdout).toContain('3 of 3 connections got back exactly what they sent');
    await served.waitForStderr(/^worker-pool:offload serving echo over raw/m);
    expect(await served.stop()).toBe(0);
  });

  test('burn answers like echo, after its rounds of work', async () => {
    const served = await startServe([
      '--strategy',
      'selector',
      '--handler',
      'burn',
      '--burn-rounds',
      '5',
      '--codec',
      'length-prefixed',
    ]);
    const run = await runCli([
      'client',
      served.host,
      String(served.port),
      '2',
      '--codec',
      'length-prefixed',
    ]);
    expect(run.stdout).toContain('2 of 2 connections got back exactly what they sent');
    expect(run.code).toBe(0);
    expect(await served.stop()).toBe(0);
  });

  test('client exits 1 when a reply differs from what it sent', async () => {
    const served = await startServe(['--strategy', 'selector', '--handler', upperHandler]);
    const run = await runCli(['client', served.host, String(served.port), '2', '-m', 'abc']);
    expect(run.stdout).toContain('received "ABC" from connection 1');
    expect(run.stdout).toContain('connection 1: msg_total=3 recv_total=3 FAILED: mismatch');
    expect(run.stdout).toContain('0 of 2 connections got back exactly what they sent');
    expect(run.code).toBe(1);
    expect(await served.stop()).toBe(0);
  });
});
