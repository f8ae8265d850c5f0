import { once } from 'node:events';
import type { Socket } from 'node:net';
import {
  type ConnectionFailure,
  ErrorCode,
  encodeProxyHeader,
  type HandlerContext,
} from '@switchyard/protocol';
import { describe, expect, test } from 'vitest';
import { collect, connectTo, readBytes, startServer, until } from './helpers.js';

const client = { address: '203.0.113.7', port: 56324 };
const frontend = { address: '192.0.2.10', port: 7000 };
const v2 = encodeProxyHeader(2, { source: client, destination: frontend });
const v1 = encodeProxyHeader(1, { source: client, destination: frontend });

/** A server whose handler replies with the address it sees, and keeps every context. */
async function addressServer(options: Parameters<typeof startServer>[0] = {}) {
  const contexts: HandlerContext[] = [];
  const failures: ConnectionFailure[] = [];
  const server = await startServer({
    codec: 'lines',
    proxyProtocol: 'any',
    dispatch: (request, context) => {
      contexts.push(context);
      if (request.toString() === 'throw') throw new Error('asked to');
      return Buffer.from(`${context.remoteAddress} ${context.remotePort} ${request}`);
    },
    ...options,
  });
  server.on('failure', (failure) => failures.push(failure));
  return { server, contexts, failures };
}

function writeInPieces(socket: Socket, bytes: Buffer, size: number) {
  for (let at = 0; at < bytes.length; at += size) socket.write(bytes.subarray(at, at + size));
}

describe('a connection with proxyProtocol on', () => {
  test.each([
    ['v1', v1],
    ['v2', v2],
  ])(
    'hands the handler the client a %s header names, and the balancer as proxiedBy',
    async (_, header) => {
      const { server, contexts } = await addressServer();
      const socket = await connectTo(server);
      socket.write(Buffer.concat([header, Buffer.from('hello\nagain\n')]));
      const expected = `${client.address} ${client.port} hello\n${client.address} ${client.port} again\n`;
      expect((await readBytes(socket, expected.length)).toString()).toBe(expected);
      expect(contexts[0]).toMatchObject({
        remoteAddress: client.address,
        remotePort: client.port,
        proxiedBy: { address: '127.0.0.1', port: socket.localPort },
      });
      expect(server.accepted[0]!.peer.remoteAddress).toBe(client.address);
    },
  );

  test('reads a header dribbled a byte at a time and the request that shares its last read', async () => {
    const { server } = await addressServer({ proxyProtocol: 'v2' });
    const socket = await connectTo(server);
    writeInPieces(socket, Buffer.concat([v2, Buffer.from('hi\n')]), 1);
    const expected = `${client.address} ${client.port} hi\n`;
    expect((await readBytes(socket, expected.length)).toString()).toBe(expected);
    expect(server.stats()).toMatchObject({ bytesIn: v2.length + 3, framesIn: 1, errors: {} });
  });

  test('gives a codec whose frame is the chunk only the bytes after the header', async () => {
    const { server, contexts } = await addressServer({
      codec: 'raw',
      dispatch: (request, context) => {
        contexts.push(context);
        return request;
      },
    });
    const socket = await connectTo(server);
    socket.write(Buffer.concat([v2, Buffer.from('raw bytes')]));
    expect((await readBytes(socket, 9)).toString()).toBe('raw bytes');
    expect(contexts).toHaveLength(1);
    expect(server.stats().framesIn).toBe(1);
  });

  test('serves a LOCAL header (a health check) with the real peer as the client', async () => {
    const { server, contexts } = await addressServer();
    const socket = await connectTo(server);
    socket.write(
      Buffer.concat([encodeProxyHeader(2, { command: 'local' }), Buffer.from('ping\n')]),
    );
    const expected = `127.0.0.1 ${socket.localPort} ping\n`;
    expect((await readBytes(socket, expected.length)).toString()).toBe(expected);
    expect(contexts[0]!.proxiedBy).toBeUndefined();
  });

  test('closes a connection without a header, counted and reported with its socket peer; others go on', async () => {
    const { server, failures, contexts } = await addressServer({ proxyProtocol: 'v2' });
    const good = await connectTo(server);
    good.write(Buffer.concat([v2, Buffer.from('before\n')]));
    await readBytes(good, `${client.address} ${client.port} before\n`.length);
    const direct = await connectTo(server);
    const { localPort } = direct;
    const received = collect(direct);
    direct.write('hello\n');
    expect((await received).length).toBe(0);
    await until(() => failures.length === 1);
    expect(failures[0]).toMatchObject({
      remoteAddress: '127.0.0.1',
      remotePort: localPort,
      error: { code: ErrorCode.PROXY_HEADER },
    });
    expect(failures[0]!.proxiedBy).toBeUndefined();
    expect(server.stats().errors).toEqual({ [ErrorCode.PROXY_HEADER]: 1 });
    good.write('after\n');
    await readBytes(good, `${client.address} ${client.port} after\n`.length);
    expect(contexts.map((context) => context.connectionId)).toEqual([1, 1]);
  });

  test('reports a later failure with the proxied client and the balancer', async () => {
    const { server, failures } = await addressServer();
    const socket = await connectTo(server);
    const { localPort } = socket;
    socket.write(Buffer.concat([v2, Buffer.from('throw\n')]));
    await once(socket, 'close');
    await until(() => failures.length === 1);
    expect(failures[0]).toMatchObject({
      remoteAddress: client.address,
      remotePort: client.port,
      proxiedBy: { address: '127.0.0.1', port: localPort },
      error: { code: ErrorCode.HANDLER_FAILED },
    });
  });

  test('refuses a FIN inside the header; a connection that sends nothing ends quietly', async () => {
    const { server, failures } = await addressServer();
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
    expect(server.stats().errors).toEqual({ [ErrorCode.PROXY_HEADER]: 1 });
  });

  test('closes a connection whose header is not complete within frameTimeoutMs', async () => {
    const { server, failures } = await addressServer({ frameTimeoutMs: 50 });
    const slow = await connectTo(server);
    slow.write(v2.subarray(0, 10));
    await once(slow, 'close');
    expect(failures.map((failure) => failure.error.code)).toEqual([ErrorCode.PROXY_HEADER]);
    expect(failures[0]!.error.message).toMatch(/within 50 ms \(frameTimeoutMs\); 10 bytes/);
  });
});
