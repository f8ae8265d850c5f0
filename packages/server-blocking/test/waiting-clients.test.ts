import { ErrorCode } from '@switchyard/protocol';
import { describe, expect, test, vi } from 'vitest';
import { collectFailures, connectClient, deferred, startServer } from './helpers.js';

describe('waiting clients', () => {
  test('a client that hangs up or resets while waiting leaves the line, reported, and is never served', async () => {
    const servedIds: number[] = [];
    const server = await startServer({ codec: 'lines' }, (request, context) => {
      servedIds.push(context.connectionId);
      return request;
    });
    const failures = collectFailures(server);
    const first = await connectClient(server);
    first.socket.write('first\n');
    await first.receive('first\n');

    const hangsUp = await connectClient(server);
    const resets = await connectClient(server);
    const stays = await connectClient(server);
    stays.socket.write('stays\n');
    await vi.waitFor(() => expect(server.waiting).toBe(3));

    hangsUp.socket.end();
    resets.socket.resetAndDestroy();
    await Promise.all([hangsUp.closed, resets.closed]);
    await vi.waitFor(() => expect(failures).toHaveLength(2));
    expect(server.waiting).toBe(1);
    expect(server.stats().active).toBe(2);
    // Connection ids are given in arrival order: 1 first, 2 and 3 left, 4 stayed.
    expect(failures.map((failure) => failure.connectionId).sort()).toEqual([2, 3]);
    for (const { error, remoteAddress } of failures) {
      expect(error.code).toBe(ErrorCode.CLIENT_LEFT);
      expect(error.message).toMatch(/waiting its turn/);
      expect(remoteAddress).toBe('127.0.0.1');
    }

    first.socket.end();
    await stays.receive('stays\n');
    expect(servedIds).toEqual([1, 4]);
    expect(server.stats().accepted).toBe(4);
    expect(server.stats().errors).toEqual({ [ErrorCode.CLIENT_LEFT]: 2 });
  });

  test('a waiting client that sent a request and half-closed is dropped unserved', async () => {
    // TCP cannot tell a half-close from a client that sent, gave up and closed: both are a FIN.
    const server = await startServer({ codec: 'lines' });
    const failures = collectFailures(server);
    const first = await connectClient(server);
    const halfClosed = await connectClient(server);
    halfClosed.socket.end('asked then closed\n');
    await halfClosed.closed;
    await vi.waitFor(() => expect(failures).toHaveLength(1));
    expect(failures[0]!.error.message).toMatch(/18 bytes it sent unread/);
    expect(server.waiting).toBe(0);
    first.socket.write('first\n');
    await first.receive('first\n');
    expect(halfClosed.received()).toBe('');
    expect(server.stats().framesIn).toBe(1);
  });

  test('graceful close answers the served client and closes waiting ones unserved', async () => {
    const gate = deferred<void>();
    const server = await startServer({ codec: 'lines' }, async (request) => {
      await gate.promise;
      return request;
    });
    const served = await connectClient(server);
    served.socket.write('owed\n');
    const waiters = [await connectClient(server), await connectClient(server)];
    for (const waiter of waiters) waiter.socket.write('never-answered\n');
    await vi.waitFor(() => expect(server.waiting).toBe(2));

    const closing = server.close();
    await Promise.all(waiters.map((waiter) => waiter.closed));
    gate.resolve();
    await closing;
    await served.closed;
    expect(served.received()).toBe('owed\n');
    expect(waiters.map((waiter) => waiter.received())).toEqual(['', '']);
    expect(server.stats().active).toBe(0);
    expect(server.waiting).toBe(0);
    // Idempotent in any order.
    await server.close();
    await server.destroy();
  });

  test('destroy closes the served and the waiting clients at once', async () => {
    const gate = deferred<void>();
    const server = await startServer({ codec: 'lines' }, async (request) => {
      await gate.promise;
      return request;
    });
    const served = await connectClient(server);
    served.socket.write('never\n');
    const waiter = await connectClient(server);
    await vi.waitFor(() => expect(server.waiting).toBe(1));

    await server.destroy();
    await Promise.all([served.closed, waiter.closed]);
    expect(server.stats().active).toBe(0);
    gate.resolve();
    await server.close();
  });

  test('maxConnections counts waiting clients', async () => {
    const server = await startServer({ maxConnections: 2 });
    const served = await connectClient(server);
    await connectClient(server);
    await vi.waitFor(() => expect(server.waiting).toBe(1));
    const refused = await connectClient(server);
    await refused.closed;
    expect(server.stats().refused).toBe(1);
    served.socket.write('x');
    await served.receive('x');
  });
});
