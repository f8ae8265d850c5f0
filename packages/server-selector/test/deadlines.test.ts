import { connect, type Socket } from 'node:net';
import {
  type ConnectionFailure,
  connectTarget,
  ErrorCode,
  type Handler,
  type RunningServer,
  type ServerOptions,
} from '@switchyard/protocol';
import { selectorStrategy } from '@switchyard/server-selector';
import { afterEach, beforeEach, describe, expect, onTestFinished, test, vi } from 'vitest';

// Deadlines run on fake time; sockets stay real. Only setTimeout and Date are faked, so the
// polls below (setImmediate) and Node's own socket machinery run as usual.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const LIMIT_MS = 5000;

async function start(options: ServerOptions, handler?: Handler) {
  const server = await selectorStrategy.listen({ codec: 'lines', ...options, handler });
  onTestFinished(() => server.destroy());
  const failures: ConnectionFailure[] = [];
  server.on('failure', (failure) => failures.push(failure));
  return { server, failures };
}

/** A connected client that keeps what it receives and notes how it closed. */
async function client(server: RunningServer) {
  const socket = connect(connectTarget(server.address));
  onTestFinished(() => {
    socket.destroy();
  });
  socket.setNoDelay(true);
  const seen = { text: '', ended: false, closed: false };
  socket.on('data', (chunk: Buffer) => {
    seen.text += chunk.toString();
  });
  socket.on('end', () => {
    seen.ended = true;
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    seen.closed = true;
  });
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, seen };
}

/** Polls `condition` once per turn of the (real) event loop; the test's timeout bounds it. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

/** Writes and waits until the server has read it. */
async function send(server: RunningServer, socket: Socket, text: string): Promise<void> {
  const before = server.stats().bytesIn;
  socket.write(text);
  await until(() => server.stats().bytesIn >= before + text.length);
}

describe('selector: frameTimeoutMs', () => {
  test('a frame dribbled byte by byte is closed LIMIT after its first byte, others go on', async () => {
    const { server, failures } = await start({ frameTimeoutMs: LIMIT_MS });
    const slow = await client(server);
    const good = await client(server);
    await send(server, slow.socket, 'a');
    for (let second = 1; second < 5; second++) {
      vi.advanceTimersByTime(1000);
      await send(server, slow.socket, 'b');
      await send(server, good.socket, `${second}\n`);
    }
    vi.advanceTimersByTime(999);
    expect(failures).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(failures.map(({ error }) => error.code)).toEqual([ErrorCode.FRAME_TIMEOUT]);
    await until(() => slow.seen.closed);
    expect(slow.seen.text).toBe('');

    await send(server, good.socket, 'still here\n');
    await until(() => good.seen.text.endsWith('still here\n'));
    expect(good.seen.text).toBe('1\n2\n3\n4\nstill here\n');
    expect(server.stats().errors).toEqual({ [ErrorCode.FRAME_TIMEOUT]: 1 });
  });

  test('0 turns it off', async () => {
    const { server, failures } = await start({ frameTimeoutMs: 0 });
    const slow = await client(server);
    await send(server, slow.socket, 'partial');
    vi.advanceTimersByTime(3_600_000);
    await send(server, slow.socket, ' line\n');
    await until(() => slow.seen.text === 'partial line\n');
    expect(failures).toEqual([]);
  });
});

describe('selector: handlerTimeoutMs', () => {
  const hangsOnHang: Handler = (request) =>
    request.toString() === 'hang' ? new Promise(() => {}) : Promise.resolve(request);

  test('a call that never settles fails the request; replies owed before it are delivered, then the connection ends', async () => {
    const { server, failures } = await start({ handlerTimeoutMs: LIMIT_MS }, hangsOnHang);
    const { socket, seen } = await client(server);
    socket.write('one\nhang\nthree\n');
    await until(() => seen.text === 'one\n' && server.stats().framesIn === 3);
    vi.advanceTimersByTime(LIMIT_MS - 1);
    expect(failures).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(failures.map(({ error }) => error.code)).toEqual([ErrorCode.HANDLER_TIMEOUT]);
    expect(failures[0]!.error.message).toMatch(`${LIMIT_MS} ms`);
    // An orderly end (FIN), not a reset: "one" was already owed and written, nothing after it.
    await until(() => seen.closed);
    expect(seen.ended).toBe(true);
    expect(seen.text).toBe('one\n');
    expect(server.stats().errors).toEqual({ [ErrorCode.HANDLER_TIMEOUT]: 1 });
  });

  test('a slow call that settles in time is answered', async () => {
    let release!: () => void;
    const { server, failures } = await start(
      { handlerTimeoutMs: LIMIT_MS },
      (request) =>
        new Promise((resolve) => {
          release = () => resolve(request);
        }),
    );
    const { socket, seen } = await client(server);
    socket.write('slow\n');
    await until(() => server.stats().framesIn === 1);
    vi.advanceTimersByTime(LIMIT_MS - 1);
    release();
    await until(() => seen.text === 'slow\n');
    vi.advanceTimersByTime(10 * LIMIT_MS);
    socket.write('again\n');
    await until(() => server.stats().framesIn === 2);
    release();
    await until(() => seen.text === 'slow\nagain\n');
    expect(failures).toEqual([]);
  });
});
