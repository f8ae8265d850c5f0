import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ErrorCode } from '@switchyard/protocol';
import { expect, onTestFinished, test } from 'vitest';
import { spawnCli } from './cli.js';

const timerBombHandler = fileURLToPath(new URL('./fixtures/timer-bomb.mjs', import.meta.url));

type Event = Record<string, unknown> & { event: string; level: number; msg: string };

/** `switchyard serve --log-format json`, its stdout read as one JSON object per line. */
async function serveJson(args: readonly string[]) {
  const child: ChildProcess = spawnCli(['serve', '--port', '0', '--log-format', 'json', ...args]);
  const events: Event[] = [];
  let partial = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stdout!.on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    // Every line is one JSON object: a line that is not throws here, and fails the test.
    for (const line of lines) events.push(JSON.parse(line) as Event);
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr!.on('data', (text: string) => (stderr += text));
  const exited = once(child, 'close').then(([code]) => code as number | null);
  /** Resolves with the first event that matches, once it has been written. */
  const next = async (match: (event: Event) => boolean): Promise<Event> => {
    for (;;) {
      const found = events.find(match);
      if (found) return found;
      await Promise.race([
        new Promise<void>((resolve) => waiters.push(resolve)),
        exited.then((code) => {
          throw new Error(`serve exited with ${code}: ${stderr}`);
        }),
      ]);
    }
  };
  const listening = await next((event) => event.event === 'listening');
  const [host, port] = [
    String(listening.address).replace(/:\d+$/, ''),
    Number(String(listening.address).split(':').at(-1)),
  ];
  return {
    events,
    listening,
    host,
    port,
    next,
    stderr: () => stderr,
    async stop(): Promise<number | null> {
      child.kill('SIGTERM');
      const code = await exited;
      expect(partial).toBe('');
      return code;
    },
  };
}

async function connectTo(host: string, port: number): Promise<Socket> {
  const socket = connect(port, host);
  onTestFinished(() => {
    socket.destroy();
  });
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

test('serve --log-format json: listening first, a failure with its code, message and client, then closing and closed with the final stats', async () => {
  const served = await serveJson([
    '--strategy',
    'selector',
    '--codec',
    'lines',
    '--max-frame-bytes',
    '16',
    '--metrics-port',
    '0',
  ]);
  expect(served.events[0]).toBe(served.listening);
  expect(served.listening).toMatchObject({
    level: 30,
    event: 'listening',
    address: `127.0.0.1:${served.port}`,
    strategy: 'selector',
    handler: 'echo',
    codec: 'lines',
    tls: false,
    metrics: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/),
    msg: `listening on 127.0.0.1:${served.port}`,
  });
  expect(served.listening.pid).toEqual(expect.any(Number));
  expect(served.listening.time).toEqual(expect.any(Number));

  const socket = await connectTo(served.host, served.port);
  const { localPort } = socket;
  socket.write(`${'x'.repeat(64)}\n`);
  const failed = await served.next((event) => event.event === 'connection-failed');
  expect(failed).toMatchObject({
    level: 40,
    code: ErrorCode.FRAME_TOO_LARGE,
    remoteAddress: '127.0.0.1',
    remotePort: localPort,
    connectionId: 1,
    message: expect.stringMatching(/exceeds the limit of 16 bytes/),
  });
  expect(failed.msg).toBe(
    `connection 1 127.0.0.1:${localPort}: ${ErrorCode.FRAME_TOO_LARGE}: ${failed.message}`,
  );
  expect(failed).not.toHaveProperty('stack');

  expect(await served.stop()).toBe(0);
  const closing = served.events.find((event) => event.event === 'closing');
  expect(closing).toMatchObject({ signal: 'SIGTERM', timeoutMs: 10_000 });
  const closed = served.events.at(-1)!;
  expect(closed).toMatchObject({
    event: 'closed',
    stats: {
      accepted: 1,
      active: 0,
      errors: { [ErrorCode.FRAME_TOO_LARGE]: 1 },
      handlerTime: { count: 0 },
    },
    msg: 'closed: 1 connections, 0 requests, 0 replies, 0 refused',
  });
  // The failure was told by its event, so it is not counted a second time.
  expect(served.events.filter((event) => event.event === 'errors-counted')).toEqual([]);
  expect(served.stderr()).toBe('');
});

test('serve --log-format json: a worker thread that exits is a warning with its kind, code and stack', async () => {
  const served = await serveJson([
    '--strategy',
    'worker-pool:offload',
    '--workers',
    '2',
    '--codec',
    'lines',
    '--handler',
    timerBombHandler,
  ]);
  const socket = await connectTo(served.host, served.port);
  socket.write('bomb\n');
  const warning = await served.next((event) => event.event === 'warning');
  expect(warning).toMatchObject({
    level: 40,
    kind: 'worker-exited',
    code: ErrorCode.WORKER_EXITED,
    msg: expect.stringMatching(/^worker \d crashed: bomb went off in a timer; /),
    stack: expect.stringMatching(/at .*detonate.*timer-bomb\.mjs/),
  });
  expect(await served.stop()).toBe(0);
  expect(served.events.at(-1)).toMatchObject({
    event: 'closed',
    stats: { errors: {}, workers: [{ index: 0 }, { index: 1 }] },
  });
  const exits = (served.events.at(-1)!.stats as { workers: { exits: number }[] }).workers.map(
    (worker) => worker.exits,
  );
  expect(exits.sort()).toEqual([0, 1]);
});
