import { readdirSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { connectTarget, ErrorCode, type RunningServer } from '@switchyard/protocol';
import { describe, expect, onTestFinished, test, vi } from 'vitest';
import { READ_AHEAD_BYTES } from '../src/index.js';

import { collectFailures, connectClient, startServer } from './helpers.js';

/** The most one libuv read returns. */
const READ = 64 * 1024;

/** File descriptors open in this process now (clients and server alike). */
function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** How a client that has waited long enough gives up. */
const giveUps: Record<string, (socket: Socket) => void> = {
  'hangs up': (socket) => socket.end(),
  resets: (socket) => socket.resetAndDestroy(),
  'sends a request, then closes': (socket) => socket.end('a request it no longer wants\n'),
  'sends a request, then resets': (socket) =>
    socket.write('a request it no longer wants\n', () => socket.resetAndDestroy()),
};

/** Opens `count` connections one after the other; each is destroyed when the test finishes. */
async function openConnections(server: RunningServer, count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  onTestFinished(() => {
    for (const socket of sockets) socket.destroy();
  });
  for (let i = 0; i < count; i++) {
    const socket = connect(connectTarget(server.address));
    socket.on('error', () => {});
    sockets.push(socket);
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve).once('error', reject);
    });
  }
  return sockets;
}

describe('clients that give up while waiting', () => {
  test('500 that close or reset are dropped unserved, their fds released, and a later client is served', async () => {
    const requests: string[] = [];
    const server = await startServer({ codec: 'lines' }, (request) => {
      requests.push(request.toString());
      return request;
    });
    const failures = collectFailures(server);
    const served = await connectClient(server);
    served.socket.write('holds the line\n');
    await served.receive('holds the line\n');
    const fdsBefore = openFds();

    const modes = Object.values(giveUps);
    const count = 500;
    const waiting = await openConnections(server, count);
    await vi.waitFor(() => expect(server.waiting).toBe(count), { timeout: 10_000 });
    // Each connection is two fds here, the client's and the server's.
    expect(openFds()).toBeGreaterThanOrEqual(fdsBefore + 2 * count);

    const closed = waiting.map((socket) => new Promise((resolve) => socket.once('close', resolve)));
    for (const [index, socket] of waiting.entries()) modes[index % modes.length]!(socket);
    await vi.waitFor(
      () => {
        expect(failures).toHaveLength(count);
        // Counted down on each socket's `close`, emitted once its fd is closed.
        expect(server.stats().active).toBe(1);
      },
      { timeout: 10_000 },
    );
    expect(server.waiting).toBe(0);
    // A client that only half-closed closes once the server has closed its side.
    await Promise.all(closed);
    expect(server.stats().errors).toEqual({ [ErrorCode.CLIENT_LEFT]: count });
    expect(openFds()).toBeLessThanOrEqual(fdsBefore);

    const late = await connectClient(server);
    late.socket.write('arrived after them\n');
    served.socket.end();
    await late.receive('arrived after them\n');
    expect(requests).toEqual(['holds the line', 'arrived after them']);
  });

  test('a waiting client is read ahead only so far, counted, and its bytes are served intact in order', async () => {
    const server = await startServer({ codec: 'raw' });
    const served = await connectClient(server);
    const waiter = await connectClient(server);
    const chunks: Buffer[] = [];
    let receivedBytes = 0;
    waiter.socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      receivedBytes += chunk.length;
    });
    const sent = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < sent.length; i++) sent[i] = (i * 7 + (i >> 10)) & 0xff;
    waiter.socket.write(sent);
    await vi.waitFor(() =>
      expect(server.stats().bufferedBytes).toBeGreaterThanOrEqual(READ_AHEAD_BYTES),
    );
    // Held: under the read-ahead plus the read that crossed it, and what the socket's stream
    // buffers before it stops reading: under its high-water mark plus one read (libuv reads at
    // most 64 KiB at a time).
    const streamBuffer = new Socket().readableHighWaterMark;
    expect(server.stats().bufferedBytes).toBeLessThan(READ_AHEAD_BYTES + streamBuffer + 2 * READ);
    expect(server.stats().bytesIn).toBe(0);

    served.socket.end();
    await vi.waitFor(() => expect(receivedBytes).toBe(sent.length), { timeout: 10_000 });
    expect(Buffer.concat(chunks).equals(sent)).toBe(true);
  });
});
