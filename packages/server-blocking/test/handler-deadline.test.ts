import {
  type ConnectionFailure,
  ErrorCode,
  encodeProxyHeader,
  type Handler,
  type ProxyProtocol,
} from '@switchyard/protocol';
import { describe, expect, onTestFinished, test, vi } from 'vitest';
import { type Client, collectFailures, connectClient, deferred, startServer } from './helpers.js';

const DEADLINE_MS = 30_000;

/** Taken before any test fakes timers. */
const realSetTimeout = globalThis.setTimeout;

/** Never settles for `hang`; echoes anything else. */
const hangsOnHang: Handler = (request) =>
  request.toString() === 'hang' ? new Promise<never>(() => {}) : Promise.resolve(request);

/** The connections whose handler call was reported overdue (the reset is reported too). */
function timeouts(failures: readonly ConnectionFailure[]): number[] {
  return failures
    .filter(({ error }) => error.code === ErrorCode.HANDLER_TIMEOUT)
    .map(({ connectionId }) => connectionId);
}

/**
 * Waits until `condition` holds, checking on every turn of the event loop for at most 10 s.
 * Not `vi.waitFor`: with fake timers installed it advances them, which would pass the deadline.
 */
async function until(condition: () => boolean): Promise<void> {
  const giveUpAt = performance.now() + 10_000;
  while (!condition()) {
    if (performance.now() > giveUpAt) throw new Error(`timed out waiting for ${condition}`);
    await new Promise((resolve) => realSetTimeout(resolve, 5));
  }
}

/** Fake timers for the handler deadline only; sockets keep Node's own timers. */
function fakeTimers(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  onTestFinished(() => {
    vi.useRealTimers();
  });
}

/**
 * A client whose request hangs the handler, then leaves; a second client waits its turn with
 * a request. Resolves once the first has left and the second is in line.
 */
async function hungHandlerWhoseClientLeft(
  options: { handlerTimeoutMs?: number; proxyProtocol?: ProxyProtocol },
  header: Buffer = Buffer.alloc(0),
) {
  const calls: string[] = [];
  const server = await startServer({ codec: 'lines', ...options }, (request, context) => {
    calls.push(request.toString());
    return hangsOnHang(request, context);
  });
  const failures = collectFailures(server);
  const leaves = await connectClient(server);
  leaves.socket.write(Buffer.concat([header, Buffer.from('hang\n')]));
  await until(() => calls.length === 1);
  const next: Client = await connectClient(server);
  next.socket.write(Buffer.concat([header, Buffer.from('next\n')]));
  await until(() => server.waiting === 1);
  // A reset closes the connection at once; after a FIN it would wait to deliver the reply owed.
  leaves.socket.resetAndDestroy();
  await until(() => server.stats().active === 1);
  return { server, failures, next, calls };
}

describe('a handler that never settles', () => {
  test('holds the line only until its deadline once its client has left', async () => {
    fakeTimers();
    const { server, failures, next, calls } = await hungHandlerWhoseClientLeft({
      handlerTimeoutMs: DEADLINE_MS,
    });

    await vi.advanceTimersByTimeAsync(DEADLINE_MS - 1);
    expect(server.waiting).toBe(1);
    expect(calls).toEqual(['hang']);

    await vi.advanceTimersByTimeAsync(1);
    await until(() => next.received() === 'next\n');
    expect(calls).toEqual(['hang', 'next']);
    // No connection was left to fail it: the line reports it, once.
    expect(timeouts(failures)).toEqual([1]);
    expect(server.stats().errors[ErrorCode.HANDLER_TIMEOUT]).toBe(1);
  });

  test('is reported as the client its PROXY header named, once its client has left', async () => {
    fakeTimers();
    const client = { address: '203.0.113.7', port: 56324 };
    const header = encodeProxyHeader(2, { source: client, destination: client });
    const { failures, next } = await hungHandlerWhoseClientLeft(
      { handlerTimeoutMs: DEADLINE_MS, proxyProtocol: 'v2' },
      header,
    );
    await vi.advanceTimersByTimeAsync(DEADLINE_MS);
    await until(() => next.received() === 'next\n');
    const overdue = failures.filter(({ error }) => error.code === ErrorCode.HANDLER_TIMEOUT);
    expect(overdue).toEqual([
      expect.objectContaining({
        remoteAddress: client.address,
        remotePort: client.port,
        proxiedBy: expect.objectContaining({ address: '127.0.0.1' }),
      }),
    ]);
  });

  test('holds the line for good when handlerTimeoutMs is 0', async () => {
    fakeTimers();
    const { server, next } = await hungHandlerWhoseClientLeft({ handlerTimeoutMs: 0 });
    await vi.advanceTimersByTimeAsync(10 * DEADLINE_MS);
    expect(server.waiting).toBe(1);
    expect(next.received()).toBe('');
  });

  test('a handler that settles before its deadline passes the line at once, and nothing is reported', async () => {
    fakeTimers();
    const gate = deferred<void>();
    const server = await startServer(
      { codec: 'lines', handlerTimeoutMs: DEADLINE_MS },
      async (request) => {
        await gate.promise;
        return request;
      },
    );
    const failures = collectFailures(server);
    const leaves = await connectClient(server);
    leaves.socket.write('slow\n');
    const next = await connectClient(server);
    next.socket.write('next\n');
    await until(() => server.waiting === 1);
    leaves.socket.resetAndDestroy();
    await until(() => server.stats().active === 1);

    gate.resolve();
    await next.receive('next\n');
    await vi.advanceTimersByTimeAsync(DEADLINE_MS);
    expect(timeouts(failures)).toEqual([]);
  });
});
