import { ErrorCode } from '@switchyard/protocol';
import { describe, expect, test, vi } from 'vitest';
import { blockingStrategy, resolveBlockingOptions } from '../src/index.js';
import { type Client, connectClient, deferred, startServer } from './helpers.js';

describe('blocking strategy', () => {
  test('declares one connection at a time and handlers never in parallel', () => {
    expect(blockingStrategy.name).toBe('blocking');
    expect(blockingStrategy.capabilities).toEqual({
      connections: 'one-at-a-time',
      parallelHandlers: false,
    });
  });

  test('rejects a negative or fractional maxWaiting', () => {
    for (const maxWaiting of [-1, 1.5, Number.NaN]) {
      expect(() => resolveBlockingOptions({ maxWaiting })).toThrow(
        expect.objectContaining({ code: ErrorCode.INVALID_OPTION }),
      );
    }
    expect(resolveBlockingOptions().maxWaiting).toBe(Number.POSITIVE_INFINITY);
  });

  test('echoes through the strategy with the built-in handler', async () => {
    const server = await blockingStrategy.listen({ codec: 'lines' });
    try {
      const client = await connectClient(server);
      client.socket.end('hello\nworld\n');
      await client.closed;
      expect(client.received()).toBe('hello\nworld\n');
    } finally {
      await server.close();
    }
  });

  test('serves five waiting clients in arrival order, none while the first is connected', async () => {
    const server = await startServer({ codec: 'lines' });
    const first = await connectClient(server);
    first.socket.write('first\n');
    await first.receive('first\n');

    const waiting: Client[] = [];
    for (let i = 1; i <= 5; i++) {
      const client = await connectClient(server);
      client.socket.write(`waiter-${i}\n`);
      waiting.push(client);
    }
    await vi.waitFor(() => expect(server.waiting).toBe(5));
    expect(server.stats().active).toBe(6);
    // A round trip on the served connection: the waiting clients' bytes have long arrived.
    first.socket.write('still-mine\n');
    await first.receive('still-mine\n');
    expect(waiting.map((client) => client.received())).toEqual(['', '', '', '', '']);

    const order: number[] = [];
    waiting.forEach((client, index) => {
      client.socket.once('data', () => {
        order.push(index + 1);
        // Done: hang up so that the next one in line is served.
        client.socket.end();
      });
    });
    first.socket.end();
    await Promise.all(waiting.map((client) => client.closed));
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(waiting.map((client) => client.received())).toEqual(
      [1, 2, 3, 4, 5].map((i) => `waiter-${i}\n`),
    );
  });

  test('refuses connections beyond maxWaiting and counts them', async () => {
    const server = await startServer({ codec: 'lines', maxWaiting: 1 });
    const served = await connectClient(server);
    served.socket.write('a\n');
    await served.receive('a\n');
    const waiter = await connectClient(server);
    await vi.waitFor(() => expect(server.waiting).toBe(1));

    const refused = await connectClient(server);
    await refused.closed;
    expect(refused.received()).toBe('');
    const stats = server.stats();
    expect(stats.refused).toBe(1);
    expect(stats.errors[ErrorCode.CONNECTION_REFUSED]).toBe(1);
    expect(stats.accepted).toBe(2);

    served.socket.end();
    waiter.socket.write('b\n');
    await waiter.receive('b\n');
  });

  test('maxWaiting 0 serves one client and refuses the rest', async () => {
    const server = await startServer({ maxWaiting: 0 });
    const served = await connectClient(server);
    const refused = await connectClient(server);
    await refused.closed;
    expect(server.stats().refused).toBe(1);
    served.socket.write('ok');
    await served.receive('ok');
  });

  test('an async handler holds the line for the same and other clients', async () => {
    let running = 0;
    let mostAtOnce = 0;
    const calls: string[] = [];
    const gate = deferred<void>();
    const server = await startServer({ codec: 'lines' }, async (request) => {
      calls.push(request.toString().trim());
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      if (calls.length === 1) await gate.promise;
      running--;
      return request;
    });
    const first = await connectClient(server);
    first.socket.write('a1\na2\n');
    await vi.waitFor(() => expect(calls).toEqual(['a1']));
    const second = await connectClient(server);
    second.socket.write('b1\n');
    await vi.waitFor(() => expect(server.waiting).toBe(1));

    // The first client resets while its handler call is still running: the line stays held.
    first.socket.resetAndDestroy();
    await vi.waitFor(() => expect(server.stats().active).toBe(1));
    expect(server.waiting).toBe(1);
    expect(calls).toEqual(['a1']);

    gate.resolve();
    await second.receive('b1\n');
    expect(calls).toEqual(['a1', 'b1']);
    expect(mostAtOnce).toBe(1);
  });

  test('a pipelined request waits for the async handler call before it', async () => {
    const calls: string[] = [];
    const gate = deferred<void>();
    const server = await startServer({ codec: 'lines' }, async (request) => {
      calls.push(request.toString().trim());
      if (calls.length === 1) await gate.promise;
      return request;
    });
    const client = await connectClient(server);
    client.socket.write('one\ntwo\n');
    await vi.waitFor(() => expect(calls).toEqual(['one']));
    // Round trip through the server's event loop: 'two' has been read but not dispatched.
    expect(server.stats().framesIn).toBe(2);
    expect(calls).toEqual(['one']);
    gate.resolve();
    await client.receive('one\ntwo\n');
  });
});
