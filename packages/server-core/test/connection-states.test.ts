import { once } from 'node:events';
import type { ConnectionState } from '@switchyard/server-core';
import { describe, expect, test } from 'vitest';
import { collect, connectTo, deferred, startServer, type TestServer, until } from './helpers.js';

/** A server whose handler answers only when the test says so, with one request already read. */
async function withReplyOwed() {
  const pending = deferred<Buffer>();
  const server = await startServer({ codec: 'lines', dispatch: () => pending.promise });
  const client = await connectTo(server);
  const received = collect(client);
  client.write('question\n');
  await until(() => server.stats().framesIn === 1);
  const connection = server.accepted[0]!;
  return {
    server,
    client,
    received,
    connection,
    answer: () => pending.resolve(Buffer.from('answer')),
  };
}

/** The connection's state when its socket has written our FIN, and before it closes. */
function stateAtFinish(server: TestServer): Promise<ConnectionState> {
  const connection = server.accepted[0]!;
  return new Promise((resolve) =>
    connection.socket.once('finish', () => resolve(connection.state)),
  );
}

describe('a connection goes through its states', () => {
  test('half-close: open, read-ended while a reply is owed, ending, closed', async () => {
    const { server, client, received, connection, answer } = await withReplyOwed();
    expect(connection.state).toBe('open');
    client.end();
    await until(() => connection.state !== 'open');
    expect(connection.state).toBe('read-ended');

    const atFinish = stateAtFinish(server);
    answer();
    expect(await atFinish).toBe('ending');
    await connection.closed;
    expect(connection.state).toBe('closed');
    expect((await received).toString()).toBe('answer\n');
  });

  test('graceful close: open, closing while a reply is owed, ending, closed', async () => {
    const { server, received, connection, answer } = await withReplyOwed();
    const closing = server.close();
    expect(connection.state).toBe('closing');
    expect(connection.socket.isPaused()).toBe(true);

    const atFinish = stateAtFinish(server);
    answer();
    expect(await atFinish).toBe('ending');
    await closing;
    expect(connection.state).toBe('closed');
    expect((await received).toString()).toBe('answer\n');
  });

  test('destroy: closed at once, before the socket has finished closing', async () => {
    const { connection } = await withReplyOwed();
    connection.destroy();
    expect(connection.state).toBe('closed');
    await connection.closed;
    expect(connection.state).toBe('closed');
  });

  test('a reset from the client: closed by the time Node reports it', async () => {
    const { server, client, connection } = await withReplyOwed();
    const reported = new Promise((resolve) => {
      connection.socket.once('error', () => resolve(connection.state));
    });
    client.resetAndDestroy();
    expect(await reported).toBe('closed');
    await until(() => server.stats().active === 0);
  });

  test('a framing error: closed, and nothing more is dispatched', async () => {
    let calls = 0;
    const server = await startServer({
      codec: 'lines',
      maxFrameBytes: 8,
      dispatch: (request) => {
        calls++;
        return request;
      },
    });
    const client = await connectTo(server);
    client.write('ok\n');
    await once(client, 'data');
    client.write('this line is too long\nnever\n');
    await once(client, 'close');
    expect(server.accepted[0]!.state).toBe('closed');
    expect(calls).toBe(1);
  });
});
