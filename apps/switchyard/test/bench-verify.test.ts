import { once } from 'node:events';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { LoadRun } from '../src/bench/load.js';
import { verifyEcho } from '../src/bench/verify.js';

/** An echo server on port 0 that may change the bytes it echoes; closed when the test ends. */
async function echoServer(
  transform: (chunk: Buffer, count: number) => Buffer = (chunk) => chunk,
): Promise<{ port: number; chunks: () => number; server: Server }> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      count++;
      server.emit('chunk', count);
      socket.write(transform(chunk, count));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as AddressInfo).port, chunks: () => count, server };
}

function flipLastByte(chunk: Buffer): Buffer {
  const copy = Buffer.from(chunk);
  copy[copy.length - 1]! ^= 0xff;
  return copy;
}

/** Resolves once the server has seen `count` chunks (no sleeping: driven by the traffic). */
function chunksSeen(server: Server, count: number): Promise<void> {
  return new Promise((resolve) => {
    const listener = (seen: number) => {
      if (seen < count) return;
      server.off('chunk', listener);
      resolve();
    };
    server.on('chunk', listener);
  });
}

describe('reply verification', () => {
  it('passes a correct echo server before measuring', async () => {
    const { port } = await echoServer();
    expect(await verifyEcho('127.0.0.1', port, [64, 10_240], 'raw')).toBeUndefined();
  });

  it('fails a server that corrupts a reply', async () => {
    const { port } = await echoServer((chunk, count) =>
      count === 2 ? flipLastByte(chunk) : chunk,
    );
    expect(await verifyEcho('127.0.0.1', port, [64, 1024, 4096], 'raw')).toMatch(
      /^wrong reply: reply 2: byte \d+ of 1024 differs \(expected 0x[0-9a-f]{2}.*, got 0x/,
    );
  });

  it('counts a corrupted reply under load as an error and keeps going', async () => {
    const { port, server } = await echoServer((chunk, count) =>
      count === 20 ? flipLastByte(chunk) : chunk,
    );
    const run = new LoadRun({
      host: '127.0.0.1',
      port,
      kind: 'stream',
      size: 64,
      framing: 'raw',
      connections: 2,
      depth: 1,
    });
    const enough = chunksSeen(server, 200);
    await run.start();
    run.measure();
    await enough;
    const result = await run.stop(1000);
    expect(result.errors).toBeGreaterThanOrEqual(1);
    expect(result.errorSamples[0]).toMatch(/^reply \d+: byte \d+ of 64 differs/);
    // The broken connection was replaced: replies kept completing after the error.
    expect(result.requests).toBeGreaterThan(20);
  });

  it('measures a correct server with no errors and a latency for every reply', async () => {
    const { port, server } = await echoServer();
    const run = new LoadRun({
      host: '127.0.0.1',
      port,
      kind: 'churn',
      size: 64,
      framing: 'raw',
      connections: 2,
      depth: 1,
    });
    const enough = chunksSeen(server, 20);
    await run.start();
    run.measure();
    await enough;
    const result = await run.stop(1000);
    expect(result.errors).toBe(0);
    expect(result.requests).toBeGreaterThan(0);
  });
});
