import { loadCodec, loadWorkload } from '@switchyard/protocol';
import { describe, expect, it } from 'vitest';
import { makeTraffic, type Traffic } from '../src/traffic.js';
import { verifyService } from '../src/verify.js';
import { echoServer, flipLastByte, listenForTest } from './servers.js';

const UPPER = new URL('./workloads/upper.mjs', import.meta.url).href;

/** Traffic of a workload over its own codec, one per size (as the bench verifies a plan). */
async function traffics(workload: string, sizes: (number | undefined)[]): Promise<Traffic[]> {
  const loaded = await loadWorkload(workload);
  const codec = await loadCodec(loaded.codec);
  return sizes.map((size) =>
    makeTraffic(loaded, codec, {
      ...(size === undefined ? {} : { size }),
      connections: 1,
      depth: 1,
    }),
  );
}

const upperCase = (chunk: Buffer) => Buffer.from(chunk.toString('latin1').toUpperCase(), 'latin1');

describe('reply verification before measuring', () => {
  it('passes a correct echo server', async () => {
    const server = await echoServer();
    expect(
      await verifyService(
        { host: '127.0.0.1', port: server.port },
        await traffics('echo', [64, 10_240]),
      ),
    ).toBeUndefined();
    // It passed by talking to the server: at least the two requests sent one at a time.
    expect(server.answered).toBeGreaterThanOrEqual(2);
  });

  it('fails an echo server that corrupts one reply, naming the request and the byte', async () => {
    const { port } = await echoServer({
      reply: (chunk, count) => (count === 2 ? flipLastByte(chunk) : chunk),
    });
    expect(
      await verifyService({ host: '127.0.0.1', port }, await traffics('echo', [64, 1024, 4096])),
    ).toMatch(
      /^wrong reply to request .+ \(1024 B\): reply 2: byte \d+ of 1024 differs \(expected 0x[0-9a-f]{2}.*, got 0x/,
    );
  });

  it('passes a correct check-based service: every reply satisfies its oracle', async () => {
    const { port } = await echoServer({ reply: upperCase });
    expect(
      await verifyService({ host: '127.0.0.1', port }, await traffics(UPPER, [undefined])),
    ).toBeUndefined();
  });

  it('fails a wrong check-based service with the request, the reply and the reason', async () => {
    // An echo over lines is not an upper-casing service: the oracle says why.
    const { port } = await echoServer();
    expect(
      await verifyService({ host: '127.0.0.1', port }, await traffics(UPPER, [undefined])),
    ).toBe(
      'wrong reply to request "hello from 0, request 0" (23 B): ' +
        'got "hello from 0, request 0" (23 B): expected the request in upper case',
    );
  });

  it('fails a service that is right one at a time but wrong when requests are pipelined', async () => {
    // Two traffics: requests 0 and 1 go one at a time (each waits for its reply), so the first
    // two chunks are exactly them; requests 2 to 5 follow in one pipelined write.
    const { port } = await echoServer({
      reply: (chunk, count) => (count <= 2 ? upperCase(chunk) : chunk),
    });
    expect(
      await verifyService(
        { host: '127.0.0.1', port },
        await traffics(UPPER, [undefined, undefined]),
      ),
    ).toMatch(
      /^wrong reply to request "hello from 0, request 2" .*: expected the request in upper case$/,
    );
  });

  it('fails a server that closes the connection, saying how many replies were missing', async () => {
    const port = await listenForTest((socket) => socket.once('data', () => socket.destroy()));
    expect(await verifyService({ host: '127.0.0.1', port }, await traffics('echo', [64]))).toBe(
      'connection closed with 1 replies missing',
    );
  });
});
