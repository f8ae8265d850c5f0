import { once } from 'node:events';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { type ConnectionFailure, connectTarget, ErrorCode } from '@switchyard/protocol';
import { afterEach, describe, expect, onTestFinished, test, vi } from 'vitest';
import { collect, connectTo, readBytes, startServer, type TestServer, until } from './helpers.js';
import { throwawayCertificate } from './tls-certificate.js';

async function tlsServer(options: Parameters<typeof startServer>[0] = {}) {
  const tls = await throwawayCertificate();
  const server = await startServer({ codec: 'lines', tls, ...options });
  const failures: ConnectionFailure[] = [];
  server.on('failure', (failure) => failures.push(failure));
  return { server, failures, ca: tls.cert };
}

async function tlsClient(server: TestServer, ca: string): Promise<TLSSocket> {
  const socket = connectTls({ ...connectTarget(server.address), ca });
  onTestFinished(() => {
    socket.destroy();
  });
  await once(socket, 'secureConnect');
  return socket;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('a server with tls on', () => {
  test('serves requests over TLS, and answers after the client ends its side', async () => {
    const { server, ca } = await tlsServer();
    const socket = await tlsClient(server, ca);
    socket.write('hello\n');
    expect((await readBytes(socket, 6)).toString()).toBe('hello\n');
    socket.end('last\n');
    expect((await collect(socket)).toString()).toBe('last\n');
    expect(server.stats()).toMatchObject({ framesIn: 2, framesOut: 2, errors: {} });
  });

  test('takes key and cert as bytes, as they arrive in a worker thread', async () => {
    const { key, cert } = await throwawayCertificate();
    const { server, ca } = await tlsServer({
      tls: { key: new Uint8Array(Buffer.from(key)), cert: new Uint8Array(Buffer.from(cert)) },
    });
    const socket = await tlsClient(server, ca);
    socket.end('bytes\n');
    expect((await collect(socket)).toString()).toBe('bytes\n');
  });

  test('closes a plaintext client, counts it, and serves TLS clients on', async () => {
    const { server, failures, ca } = await tlsServer();
    const plain = await connectTo(server);
    const closed = collect(plain);
    plain.write('hello in the clear\n');
    await closed;
    await until(() => failures.length === 1);
    expect(failures[0]!.error.code).toBe(ErrorCode.TLS_HANDSHAKE);
    expect(failures[0]!.error.message).toMatch(/TLS handshake failed/);
    expect(server.stats()).toMatchObject({ framesIn: 0, errors: { [ErrorCode.TLS_HANDSHAKE]: 1 } });
    const socket = await tlsClient(server, ca);
    socket.end('still here\n');
    expect((await collect(socket)).toString()).toBe('still here\n');
  });

  test('closes a connection whose handshake is not done within frameTimeoutMs', async () => {
    const { server, failures } = await tlsServer({ frameTimeoutMs: 5_000 });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const silent = await connectTo(server);
    const closed = collect(silent);
    await until(() => server.accepted.length === 1);
    vi.advanceTimersByTime(4_999);
    expect(failures).toEqual([]);
    vi.advanceTimersByTime(1);
    await closed;
    expect(failures.map((failure) => failure.error.code)).toEqual([ErrorCode.TLS_HANDSHAKE]);
    expect(failures[0]!.error.message).toMatch(/not finished within 5000 ms/);
  });

  test('closes a client that ends before its handshake at once, without counting a failure', async () => {
    const { server, failures } = await tlsServer();
    const probe = await connectTo(server);
    const closed = collect(probe);
    probe.end();
    await closed;
    await until(() => server.stats().active === 0);
    expect(failures).toEqual([]);
  });

  test('refuses to listen with a key that does not parse', async () => {
    const { cert } = await throwawayCertificate();
    await expect(startServer({ tls: { key: 'not a key', cert } })).rejects.toMatchObject({
      code: ErrorCode.INVALID_OPTION,
    });
  });
});
