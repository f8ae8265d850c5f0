import { type ConnectionFailure, ErrorCode, type Handler } from '@switchyard/protocol';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { BlockingOptions } from '../src/index.js';
import { connectClient, startServer } from './helpers.js';

// Deadlines run on fake time; sockets stay real. Only setTimeout and Date are faked, so the
// polls below (setImmediate) and Node's own socket machinery run as usual.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const LIMIT_MS = 5000;

async function start(options: BlockingOptions, handler?: Handler) {
  const server = await startServer({ codec: 'lines', ...options }, handler);
  const failures: ConnectionFailure[] = [];
  server.on('failure', (failure) => failures.push(failure));
  return { server, failures };
}

/** Polls `condition` once per turn of the (real) event loop; the test's timeout bounds it. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe('blocking: frameTimeoutMs', () => {
  test('a client dribbling a frame cannot hold the line: it is closed and the next one served', async () => {
    const { server, failures } = await start({ frameTimeoutMs: LIMIT_MS });
    const slow = await connectClient(server);
    slow.socket.setNoDelay(true);
    slow.socket.write('a');
    await until(() => server.stats().bytesIn === 1);
    const next = await connectClient(server);
    next.socket.write('next\n');
    await until(() => server.waiting === 1);
    for (let second = 1; second < 5; second++) {
      vi.advanceTimersByTime(1000);
      slow.socket.write('b');
      await until(() => server.stats().bytesIn === 1 + second);
    }
    vi.advanceTimersByTime(999);
    expect(failures).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(failures.map(({ error }) => error.code)).toEqual([ErrorCode.FRAME_TIMEOUT]);
    await slow.closed;
    expect(slow.received()).toBe('');
    await next.receive('next\n');
  });
});

describe('blocking: handlerTimeoutMs', () => {
  test('a call that never settles fails the request; replies owed before it are delivered, then the connection ends', async () => {
    const hangsOnHang: Handler = (request) =>
      request.toString() === 'hang' ? new Promise(() => {}) : Promise.resolve(request);
    const { server, failures } = await start({ handlerTimeoutMs: LIMIT_MS }, hangsOnHang);
    const client = await connectClient(server);
    let ended = false;
    client.socket.on('end', () => {
      ended = true;
    });
    client.socket.write('one\nhang\nthree\n');
    await client.receive('one\n');
    await until(() => server.stats().framesIn === 3);
    vi.advanceTimersByTime(LIMIT_MS - 1);
    expect(failures).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(failures.map(({ error }) => error.code)).toEqual([ErrorCode.HANDLER_TIMEOUT]);
    await client.closed;
    expect(ended).toBe(true);
    expect(client.received()).toBe('one\n');
    expect(server.stats().errors).toEqual({ [ErrorCode.HANDLER_TIMEOUT]: 1 });
  });
});
