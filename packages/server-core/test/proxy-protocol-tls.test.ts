import { once } from 'node:events';
import { connect as connectTcp } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import {
  type ConnectionFailure,
  connectTarget,
  ErrorCode,
  encodeProxyHeader,
  type HandlerContext,
  resolveServerOptions,
} from '@switchyard/protocol';
import { afterEach, describe, expect, onTestFinished, test, vi } from 'vitest';
import { proxyHeaderGate } from '../src/proxy-header-gate.js';
import { collect, connectTo, readBytes, startServer, type TestServer, until } from './helpers.js';
import { throwawayCertificate } from './tls-certificate.js';

// A balancer passing TLS through (HAProxy's `send-proxy-v2` with `ssl` on the backend's side):
// the PROXY header first, in the clear, then the client's TLS handshake.

const client = { address: '203.0.113.7', port: 56324 };
const frontend = { address: '192.0.2.10', port: 7000 };
const v1 = encodeProxyHeader(1, { source: client, destination: frontend });
const v2 = encodeProxyHeader(2, { source: client, destination: frontend });

/** A TLS server taking PROXY headers whose handler replies with whom it sees. */
async function proxiedTlsServer(options: Parameters<typeof startServer>[0] = {}) {
  const tls = await throwawayCertificate();
  const contexts: HandlerContext[] = [];
  const failures: ConnectionFailure[] = [];
  const server = await startServer({
    codec: 'lines',
    tls,
    proxyProtocol: 'any',
    dispatch: (request, context) => {
      contexts.push(context);
      return Buffer.from(`${context.remoteAddress} ${context.remotePort} ${request}`);
    },
    ...options,
  });
  server.on('failure', (failure) => failures.push(failure));
  return { server, contexts, failures, ca: tls.cert };
}

/** Connects over TCP, writes each piece (each handed to the kernel before the next), then TLS. */
async function headerThenTls(server: TestServer, ca: string, pieces: readonly Buffer[]) {
  const tcp = connectTcp({ ...connectTarget(server.address), noDelay: true });
  onTestFinished(() => {
    tcp.destroy();
  });
  await once(tcp, 'connect');
  for (const piece of pieces) {
    await new Promise<void>((resolve, reject) =>
      tcp.write(piece, (error) => (error ? reject(error) : resolve())),
    );
  }
  const socket = connectTls({ socket: tcp, ca, host: '127.0.0.1' });
  await once(socket, 'secureConnect');
  return { tcp, socket };
}

/**
 * A TLS client whose first write (its ClientHello) goes out in one TCP write with `header` before
 * it: the server reads the two in one read, so the bytes after the header are the handshake's.
 */
async function headerWithClientHello(server: TestServer, ca: string, header: Buffer) {
  const tcp = connectTcp({ ...connectTarget(server.address), noDelay: true });
  onTestFinished(() => {
    tcp.destroy();
  });
  await once(tcp, 'connect');
  let first = true;
  const wire = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      tcp.write(first ? Buffer.concat([header, chunk]) : chunk, done);
      first = false;
    },
    final(done) {
      tcp.end(done);
    },
  });
  tcp.on('data', (chunk) => wire.push(chunk));
  tcp.on('end', () => wire.push(null));
  const socket = connectTls({ socket: wire, ca, host: '127.0.0.1' });
  await once(socket, 'secureConnect');
  return { tcp, socket };
}

async function ask(socket: TLSSocket, request: string): Promise<string> {
  const expected = `${client.address} ${client.port} ${request}\n`;
  socket.write(`${request}\n`);
  return (await readBytes(socket, expected.length)).toString();
}

afterEach(() => {
  vi.useRealTimers();
});

describe('a TLS server with proxyProtocol on', () => {
  test.each([
    ['v1', v1],
    ['v2', v2],
  ])(
    'reads a %s header in the clear, then shakes hands: the handler sees the client it names',
    async (_, header) => {
      const { server, contexts, failures, ca } = await proxiedTlsServer();
      const { tcp, socket } = await headerThenTls(server, ca, [header]);
      expect(await ask(socket, 'hello')).toBe(`${client.address} ${client.port} hello\n`);
      expect(contexts[0]).toMatchObject({
        remoteAddress: client.address,
        remotePort: client.port,
        proxiedBy: { address: '127.0.0.1', port: tcp.localPort },
      });
      expect(server.accepted[0]!.peer.remoteAddress).toBe(client.address);
      // The header's bytes, then what was decrypted: never the ciphertext.
      expect(server.stats()).toMatchObject({
        bytesIn: header.length + 'hello\n'.length,
        framesIn: 1,
        errors: {},
      });
      expect(failures).toEqual([]);
    },
  );

  test('takes the handshake from the read that completes the header', async () => {
    const { server, ca } = await proxiedTlsServer();
    const { socket } = await headerWithClientHello(server, ca, v2);
    expect(await ask(socket, 'together')).toBe(`${client.address} ${client.port} together\n`);
    expect(server.stats()).toMatchObject({ bytesIn: v2.length + 'together\n'.length, errors: {} });
  });

  test('reads a header dribbled a byte at a time before the handshake', async () => {
    const { server, ca } = await proxiedTlsServer({ proxyProtocol: 'v1' });
    const pieces = [...v1].map((byte) => Buffer.from([byte]));
    const { socket } = await headerThenTls(server, ca, pieces);
    expect(await ask(socket, 'dribbled')).toBe(`${client.address} ${client.port} dribbled\n`);
  });

  test('serves a LOCAL header (a health check) then TLS as the real peer', async () => {
    const { server, contexts, ca } = await proxiedTlsServer();
    const { tcp, socket } = await headerThenTls(server, ca, [
      encodeProxyHeader(2, { command: 'local' }),
    ]);
    socket.write('ping\n');
    const expected = `127.0.0.1 ${tcp.localPort} ping\n`;
    expect((await readBytes(socket, expected.length)).toString()).toBe(expected);
    expect(contexts[0]!.proxiedBy).toBeUndefined();
  });

  test('refuses garbage or a direct TLS client before any handshake; good clients go on', async () => {
    const { server, failures, ca } = await proxiedTlsServer();
    const good = await headerThenTls(server, ca, [v2]);
    expect(await ask(good.socket, 'before')).toBe(`${client.address} ${client.port} before\n`);

    const garbage = await connectTo(server);
    const { localPort } = garbage;
    const gone = collect(garbage);
    garbage.write('PROXY TCP4 256.0.0.1 192.0.2.10 1 2\r\n');
    expect((await gone).length).toBe(0);
    // A client that skipped the balancer: its ClientHello is no header.
    const direct = connectTls({ ...connectTarget(server.address), ca });
    onTestFinished(() => {
      direct.destroy();
    });
    const refused = new Promise((resolve) => direct.once('close', resolve));
    direct.on('error', () => {});
    await refused;

    await until(() => failures.length === 2);
    expect(failures[0]).toMatchObject({
      remoteAddress: '127.0.0.1',
      remotePort: localPort,
      error: { code: ErrorCode.PROXY_HEADER },
    });
    expect(failures.map((failure) => failure.error.code)).toEqual([
      ErrorCode.PROXY_HEADER,
      ErrorCode.PROXY_HEADER,
    ]);
    expect(server.stats().errors).toEqual({ [ErrorCode.PROXY_HEADER]: 2 });
    expect(await ask(good.socket, 'after')).toBe(`${client.address} ${client.port} after\n`);
  });

  test('counts a good header followed by plaintext as a failed handshake, of the client it named', async () => {
    const { server, failures } = await proxiedTlsServer();
    const socket = await connectTo(server);
    const { localPort } = socket;
    const gone = collect(socket);
    socket.write(Buffer.concat([v2, Buffer.from('hello in the clear\n')]));
    expect((await gone).length).toBe(0);
    await until(() => failures.length === 1);
    expect(failures[0]).toMatchObject({
      remoteAddress: client.address,
      remotePort: client.port,
      proxiedBy: { address: '127.0.0.1', port: localPort },
      error: { code: ErrorCode.TLS_HANDSHAKE },
    });
  });

  test('closes a connection whose header is not complete within frameTimeoutMs', async () => {
    const { server, failures } = await proxiedTlsServer({ frameTimeoutMs: 5_000 });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const slow = await connectTo(server);
    const gone = collect(slow);
    await until(() => server.stats().accepted === 1);
    slow.write(v2.subarray(0, 10));
    vi.advanceTimersByTime(4_999);
    expect(failures).toEqual([]);
    vi.advanceTimersByTime(1);
    await gone;
    expect(failures.map((failure) => failure.error.code)).toEqual([ErrorCode.PROXY_HEADER]);
  });

  test('refuses a FIN inside the header; one before any byte closes quietly', async () => {
    const { server, failures } = await proxiedTlsServer();
    const cut = await connectTo(server);
    cut.end(v2.subarray(0, 20));
    await once(cut, 'close');
    const silent = await connectTo(server);
    silent.end();
    await once(silent, 'close');
    await until(() => server.stats().active === 0);
    expect(failures.map((failure) => failure.error.message)).toEqual([
      'the connection ended after 20 bytes of a PROXY protocol header',
    ]);
  });

  test('closes a connection silent past idleTimeoutMs while waiting for its header', async () => {
    const { server, failures } = await proxiedTlsServer({ frameTimeoutMs: 0, idleTimeoutMs: 50 });
    const silent = await connectTo(server);
    await once(silent, 'close');
    await until(() => failures.length === 1);
    expect(failures[0]!.error.code).toBe(ErrorCode.IDLE_TIMEOUT);
  });

  test('close() ends a connection still waiting for its header; destroy() one after it', async () => {
    const { server, ca } = await proxiedTlsServer();
    const waiting = await connectTo(server);
    const ended = collect(waiting);
    await until(() => server.stats().active === 1);
    const served = await headerThenTls(server, ca, [v2]);
    expect(await ask(served.socket, 'hi')).toBe(`${client.address} ${client.port} hi\n`);
    const closing = server.close({ timeoutMs: 60_000 });
    expect((await ended).length).toBe(0);
    await server.destroy();
    await closing;
    expect(server.stats().active).toBe(0);
  });
});

describe('the gate a connection reads its header through', () => {
  test('is refused with tls: the header comes before the handshake, read by openConnection', async () => {
    const tls = await throwawayCertificate();
    const options = resolveServerOptions({ tls, proxyProtocol: 'v2' });
    const listener = { passed() {}, refused() {} };
    const peer = { remoteAddress: '127.0.0.1', remotePort: 1 };
    expect(() => proxyHeaderGate(options, peer, listener)).toThrow(/openConnection/);
  });
});
