import { once } from 'node:events';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { LoadRun } from '../src/load.js';
import { builtinWorkloads, loadCodec, loadWorkload } from '@switchyard/protocol';
import { makeTraffic, type Traffic } from '../src/traffic.js';
import { verifyService } from '../src/verify.js';

const UPPER = new URL('./fixtures/upper.mjs', import.meta.url).href;

/** Traffic of a workload over its own codec, one per size. */
async function traffics(workload: string, sizes: (number | undefined)[]): Promise<Traffic[]> {
  const loaded = await loadWorkload(workload);
  const codec = await loadCodec(loaded.codec);
  return sizes.map((size) =>
    makeTraffic(loaded, codec, { ...(size === undefined ? {} : { size }), connections: 1, depth: 1 }),
  );
}

/** A load spec for `workload` against `port`. */
function spec(workload: string, codec: string, port: number, pattern: 'stream' | 'churn') {
  return {
    workload,
    codec,
    cell: { size: 64, connections: 2, depth: 1 },
    host: '127.0.0.1',
    port,
    pattern,
    connections: 2,
    connectionOffset: 0,
    depth: 1,
  };
}

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
    expect(await verifyService('127.0.0.1', port, await traffics('echo', [64, 10_240]))).toBeUndefined();
  });

  it('fails a server that corrupts a reply, naming the request', async () => {
    const { port } = await echoServer((chunk, count) =>
      count === 2 ? flipLastByte(chunk) : chunk,
    );
    expect(await verifyService('127.0.0.1', port, await traffics('echo', [64, 1024, 4096]))).toMatch(
      /^wrong reply to request .+: reply \d+: byte \d+ of 1024 differs \(expected 0x[0-9a-f]{2}.*, got 0x/,
    );
  });

  it("judges a framed service's replies with its oracle: a wrong one gives request, reply and reason", async () => {
    // An echo over lines is not an upper-casing service: the oracle says why.
    const { port } = await echoServer();
    const problem = await verifyService('127.0.0.1', port, await traffics(UPPER, [undefined]));
    expect(problem).toMatch(/request .*req-0.*reply .*req-0.*upper case/s);
  });

  it('passes a correct framed service', async () => {
    const { port } = await echoServer((chunk) => Buffer.from(chunk.toString('latin1').toUpperCase(), 'latin1'));
    expect(await verifyService('127.0.0.1', port, await traffics(UPPER, [undefined]))).toBeUndefined();
  });

  it('counts a corrupted reply under load as an error and keeps going', async () => {
    const { port, server } = await echoServer((chunk, count) =>
      count === 20 ? flipLastByte(chunk) : chunk,
    );
    const load = spec(builtinWorkloads.echo, 'raw', port, 'stream');
    const run = new LoadRun(load, await loadTrafficOf(load));
    const enough = chunksSeen(server, 200);
    await run.start();
    run.measure();
    await enough;
    const result = await run.stop(1000);
    expect(result.errors).toBeGreaterThanOrEqual(1);
    expect(result.errorSamples[0]).toMatch(/reply \d+: byte \d+ of 64 differs/);
    // The broken connection was replaced: replies kept completing after the error.
    expect(result.requests).toBeGreaterThan(20);
    expect(result.perConnection).toHaveLength(2);
  });

  it('measures a correct server with no errors and a latency for every reply', async () => {
    const { port, server } = await echoServer();
    const load = spec(builtinWorkloads.churn, 'raw', port, 'churn');
    const run = new LoadRun(load, await loadTrafficOf(load));
    const enough = chunksSeen(server, 20);
    await run.start();
    run.measure();
    await enough;
    const result = await run.stop(1000);
    expect(result.errors).toBe(0);
    expect(result.requests).toBeGreaterThan(0);
  });
});

async function loadTrafficOf(load: ReturnType<typeof spec>): Promise<Traffic> {
  const { loadTraffic } = await import('../src/traffic.js');
  return loadTraffic(load);
}
