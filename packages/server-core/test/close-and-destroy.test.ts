import { once } from 'node:events';
import { connect } from 'node:net';
import { connectTarget, ErrorCode, isSwitchyardError, type TcpAddress } from '@switchyard/protocol';
import { describe, expect, onTestFinished, test } from 'vitest';
import { collect, connectTo, deferred, startServer, TestServer, until } from './helpers.js';

describe('close and destroy', () => {
  test('are idempotent and may be called in any order', async () => {
    for (const order of [
      ['close', 'close', 'destroy'],
      ['destroy', 'destroy', 'close'],
      ['close', 'destroy', 'close'],
      ['destroy', 'close', 'destroy'],
    ] as const) {
      const server = await startServer();
      await connectTo(server);
      const results = order.map((method) => server[method]());
      await Promise.all(results);
      // The same call returns the same promise.
      expect(server[order[0]]()).toBe(results[0]);
      expect(server.isClosing).toBe(true);
    }
  });

  test('close delivers in-flight async replies, then ends the connection and resolves', async () => {
    const pending = deferred<Buffer>();
    const server = await startServer({ codec: 'lines', dispatch: () => pending.promise });
    const client = await connectTo(server);
    const received = collect(client);
    client.write('question\n');
    await until(() => server.stats().framesIn === 1);

    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    // Nothing can finish while the reply is owed.
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);

    pending.resolve(Buffer.from('answer'));
    await closing;
    expect((await received).toString()).toBe('answer\n');
    expect(server.stats()).toMatchObject({ active: 0, framesOut: 1, errors: {} });
  });

  test('close stops accepting new connections', async () => {
    const server = await startServer();
    const target = connectTarget(server.address);
    await server.close();
    const client = connect(target);
    const [error] = await once(client, 'error');
    expect((error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  test('close past its timeout destroys what is left, counts it and rejects', async () => {
    const server = await startServer({ dispatch: () => new Promise(() => {}) });
    const client = await connectTo(server);
    const clientClosed = once(client, 'close');
    client.write('never answered');
    await until(() => server.stats().framesIn === 1);

    const error = await server.close({ timeoutMs: 50 }).catch((reason: unknown) => reason);
    expect(isSwitchyardError(error, ErrorCode.CLOSE_TIMEOUT)).toBe(true);
    await clientClosed;
    expect(server.stats().active).toBe(0);
    expect(server.stats().errors[ErrorCode.CLOSE_TIMEOUT]).toBe(1);
    // Still idempotent after a timeout; destroy after it settles at once.
    await expect(server.close()).rejects.toThrow();
    await server.destroy();
  });

  test('destroy during a graceful close finishes both', async () => {
    const server = await startServer({ dispatch: () => new Promise(() => {}) });
    const client = await connectTo(server);
    client.write('never answered');
    await until(() => server.stats().framesIn === 1);
    const closing = server.close();
    await server.destroy();
    await closing;
    expect(server.stats().active).toBe(0);
  });

  test('listen on a port in use fails with SWITCHYARD_ERR_LISTEN_FAILED', async () => {
    const first = await startServer();
    const second = new TestServer({ port: (first.address as TcpAddress).port });
    const error = await second.listen().catch((reason: unknown) => reason);
    expect(isSwitchyardError(error, ErrorCode.LISTEN_FAILED)).toBe(true);
    expect(second.stats().errors).toEqual({});
    await second.close();
    await second.destroy();
  });
});

describe('limits', () => {
  test('maxConnections refuses the connection over the limit and counts it', async () => {
    const server = await startServer({ maxConnections: 1 });
    const first = await connectTo(server);
    await until(() => server.stats().accepted === 1);

    const second = connect(connectTarget(server.address));
    second.on('error', () => {});
    // `once(socket, 'close')` would reject on the reset itself.
    await new Promise((resolve) => second.once('close', resolve));
    const stats = server.stats();
    expect(stats).toMatchObject({ accepted: 1, active: 1, refused: 1 });
    expect(stats.errors[ErrorCode.CONNECTION_REFUSED]).toBe(1);

    // The admitted connection is still served.
    first.write('still here');
    const [echo] = await once(first, 'data');
    expect(String(echo)).toBe('still here');
  });

  test('a connection idle past idleTimeoutMs is closed and counted', async () => {
    const server = await startServer({ idleTimeoutMs: 50 });
    const client = await connectTo(server);
    await once(client, 'close');
    await until(() => server.stats().active === 0);
    expect(server.stats().errors[ErrorCode.IDLE_TIMEOUT]).toBe(1);
  });
});

test('close with a client still sending delivers every reply owed, then ends without a reset', async () => {
  const server = await startServer({ codec: 'lines' });
  const client = await connectTo(server);
  let clientError: NodeJS.ErrnoException | undefined;
  client.on('error', (error) => {
    clientError = error;
  });
  let received = 0;
  client.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  const ended = new Promise((resolve) => client.once('end', resolve));
  // Far more than the server reads before it stops: most of it stays unread in its socket.
  const line = Buffer.from(`${'x'.repeat(99)}\n`);
  client.write(Buffer.concat(Array.from({ length: 50_000 }, () => line)));
  await until(() => server.stats().framesOut > 0);

  await server.close();
  await ended;
  expect(clientError).toBeUndefined();
  expect(received).toBe(server.stats().bytesOut);
  expect(received % line.length).toBe(0);
});

test("a strategy's own admission limit refuses through refusalReason() and is counted", async () => {
  class OneAtATime extends TestServer {
    protected override refusalReason(): string | undefined {
      return this.stats().active >= 1 ? 'one at a time' : undefined;
    }
  }
  const server = new OneAtATime({});
  onTestFinished(() => server.destroy());
  await server.listen();
  await connectTo(server);
  await until(() => server.stats().accepted === 1);
  const second = connect(connectTarget(server.address));
  second.on('error', () => {});
  await new Promise((resolve) => second.once('close', resolve));
  expect(server.stats()).toMatchObject({ accepted: 1, refused: 1 });
  expect(server.stats().errors[ErrorCode.CONNECTION_REFUSED]).toBe(1);
});
