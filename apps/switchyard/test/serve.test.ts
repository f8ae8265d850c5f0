import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, onTestFinished, test } from 'vitest';
import { contenders } from '../src/registry.js';
import { runCli, startServe } from './cli.js';

const upperHandler = fileURLToPath(new URL('./fixtures/upper.mjs', import.meta.url));
const dbDownHandler = fileURLToPath(new URL('./fixtures/db-down.mjs', import.meta.url));
const timerBombHandler = fileURLToPath(new URL('./fixtures/timer-bomb.mjs', import.meta.url));
/** Where the fixtures are: tests that pass `./hex-lines-codec.mjs` run the CLI there. */
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** Connects to a served port; destroyed when the test ends. */
async function connectTo(served: { host: string; port: number }): Promise<Socket> {
  const socket = connect(served.port, served.host);
  onTestFinished(() => {
    socket.destroy();
  });
  // The server may close or reset it on purpose; the test waits on what the server says.
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

/** Resolves once `socket` closed, however (a reset included: `once` would reject on it). */
function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/** Everything the server sends until the connection closes. */
async function readAll(socket: Socket): Promise<string> {
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  await closed(socket);
  return Buffer.concat(received).toString();
}

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

test('serve tells each error once: a line per failed connection, a count for the rest', async () => {
  const served = await startServe([
    '--strategy',
    'selector',
    '--codec',
    'lines',
    '--max-frame-bytes',
    '4',
    '--max-connections',
    '1',
  ]);
  const holder = await connectTo(served);
  const { localPort } = holder;
  // Refused at --max-connections: no connection is served, so only the counters know of it.
  const refused = connect(served.port, served.host).on('error', () => {});
  await closed(refused);
  holder.write('far too long for the limit\n');
  await served.waitForStderr(
    new RegExp(
      `^connection \\d+ 127\\.0\\.0\\.1:${localPort}: SWITCHYARD_ERR_FRAME_TOO_LARGE: frame of \\d+ bytes exceeds the limit of 4 bytes$`,
      'm',
    ),
  );
  await closed(holder);
  // A second refusal, after the failure line: the count that tells of it comes later still.
  const taken = await connectTo(served);
  const refusedAgain = connect(served.port, served.host).on('error', () => {});
  await closed(refusedAgain);
  await served.waitForStderr(
    /CONNECTION_REFUSED x2$|CONNECTION_REFUSED x1$[\s\S]*CONNECTION_REFUSED x1$/m,
  );
  // The too-large frame was told by its line, so it is not counted a second time.
  expect(served.stderr()).not.toMatch(/^error: SWITCHYARD_ERR_FRAME_TOO_LARGE/m);
  taken.destroy();
  expect(await served.stop()).toBe(0);
});

test('serve tells of a worker thread that a timer’s throw ended, once, with the message and the stack', async () => {
  const served = await startServe([
    '--strategy',
    'worker-pool:offload',
    '--codec',
    'lines',
    '--workers',
    '2',
    '--handler',
    timerBombHandler,
  ]);
  const socket = await connectTo(served);
  socket.write('bomb\n');
  await served.waitForStderr(/^\s+at .*detonate.*timer-bomb\.mjs/m);
  expect(served.stderr()).toMatch(
    /^warning: worker \d crashed: bomb went off in a timer; 0 requests it had started failed, 0 requests it had not started went to live workers; a new thread took its place\n {4}Error: bomb went off in a timer\n {8}at .*detonate/m,
  );
  // The pool goes on, on a new thread.
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.end('still served\n');
  await once(socket, 'end');
  expect(Buffer.concat(received).toString()).toBe('bomb\nstill served\n');
  expect(await served.stop()).toBe(0);
  expect(served.stderr().match(/^warning: /gm)).toHaveLength(1);
});

describe('serve logs each failure with its connection, client address and why', () => {
  for (const contender of contenders()) {
    test(`${contender.name}: a handler's own message reaches stderr`, async () => {
      const served = await startServe([...contender.serveArgs, '--handler', dbDownHandler]);
      const socket = await connectTo(served);
      const { localPort } = socket;
      socket.write('GET user:1');
      await served.waitForStderr(/SWITCHYARD_ERR_HANDLER_FAILED: .*\n/);
      expect(served.stderr()).toMatch(
        new RegExp(
          `^connection \\d+ 127\\.0\\.0\\.1:${localPort}: SWITCHYARD_ERR_HANDLER_FAILED: handler failed: database connection lost$`,
          'm',
        ),
      );
      expect(served.stderr()).not.toMatch(/^\s+at /m);
      expect(await served.stop()).toBe(0);
    });
  }

  test('a frame that breaks a module codec is malformed, and says why', async () => {
    const served = await startServe(
      ['--strategy', 'selector', '--codec', './hex-lines-codec.mjs'],
      { cwd: fixtures },
    );
    const socket = await connectTo(served);
    socket.write('zz\n');
    expect(await readAll(socket)).toBe('');
    await served.waitForStderr(
      /^connection \d+ 127\.0\.0\.1:\d+: SWITCHYARD_ERR_MALFORMED_FRAME: not an even run of lowercase hex digits: zz$/m,
    );
    expect(await served.stop()).toBe(0);
  });
});

describe('serve and client with a codec module, by a path relative to where they run', () => {
  for (const contender of contenders()) {
    test(`${contender.name}: the module frames both ways`, async () => {
      const served = await startServe(
        [...contender.serveArgs, '--codec', './hex-lines-codec.mjs'],
        { cwd: fixtures },
      );
      await served.waitForStderr(/serving echo over hex-lines \(\.\/hex-lines-codec\.mjs\)/);
      const socket = await connectTo(served);
      // "one" and "two", in hex lines.
      socket.end('6f6e65\n74776f\n');
      expect(await readAll(socket)).toBe('6f6e65\n74776f\n');

      const run = await runCli(
        ['client', served.host, String(served.port), '2', '--codec', './hex-lines-codec.mjs'],
        onTestFinished,
        { cwd: fixtures },
      );
      expect(run.stdout).toContain('sending "Message 1 from client." to connection 2');
      expect(run.stdout).toContain('received "Message 2 from client." from connection 2');
      // 22 bytes a message: 44 hex digits and a newline on the wire.
      expect(run.stdout).toContain('connection 1: msg_total=90 recv_total=90 ok');
      expect(run.code).toBe(0);
      expect(await served.stop()).toBe(0);
    });
  }
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

  test('lines: a message goes out with its newline, the reply is shown without it', async () => {
    const served = await startServe(['--strategy', 'selector', '--codec', 'lines']);
    const run = await runCli([
      'client',
      served.host,
      String(served.port),
      '1',
      '--codec',
      'lines',
      '-m',
      'who',
      'what',
    ]);
    expect(run.stdout).toContain('sending "who" to connection 1');
    expect(run.stdout).toContain('received "who" from connection 1');
    expect(run.stdout).toContain('received "what" from connection 1');
    // Bytes on the wire: "who\n" and "what\n".
    expect(run.stdout).toContain('connection 1: msg_total=9 recv_total=9 ok');
    expect(run.code).toBe(0);
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
