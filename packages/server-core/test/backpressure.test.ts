import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { describe, expect, test } from 'vitest';
import { connectTo, readBytes, startServer, type TestServer, until } from './helpers.js';

/** More than loopback's socket buffers can absorb, so the server has to stop reading. */
const FLOOD_BYTES = 24 * 1024 * 1024;
/** Largest single read Node hands to 'data' (libuv reads up to 64 KiB at a time). */
const ONE_READ = 64 * 1024;

/**
 * Writes `payload` without reading, waits until the server stops reading that connection,
 * then reads everything back and checks it byte for byte.
 */
async function floodThenRead(server: TestServer, client: Socket, payload: Buffer): Promise<void> {
  client.pause();
  client.write(payload);
  const connection = () => server.accepted[0]!;
  await until(() => server.accepted.length === 1 && connection().socket.isPaused());
  // Paused for good, not between two reads: the client still has bytes the server did not take.
  expect(server.stats().bytesIn).toBeLessThan(payload.length);
  expect(client.writableLength).toBeGreaterThan(0);

  const echoed = readBytes(client, payload.length);
  client.resume();
  expect((await echoed).equals(payload)).toBe(true);
  expect(server.stats().bytesOut).toBe(payload.length);
}

describe('backpressure', () => {
  test('a client that writes without reading makes the server stop reading; every byte arrives once it reads', async () => {
    const cap = 256 * 1024;
    const server = await startServer({ maxBufferedBytesPerConnection: cap });
    const client = await connectTo(server);
    await floodThenRead(server, client, randomBytes(FLOOD_BYTES));
    expect(server.stats().peakConnectionBufferedBytes).toBeLessThanOrEqual(cap + ONE_READ);
  });

  test('works with a cap below the socket high-water mark, where drain never fires', async () => {
    const cap = 1024;
    const server = await startServer({ maxBufferedBytesPerConnection: cap });
    const client = await connectTo(server);
    await floodThenRead(server, client, randomBytes(FLOOD_BYTES));
    expect(server.stats().peakConnectionBufferedBytes).toBeLessThanOrEqual(cap + ONE_READ);
  });

  test('resumes after async replies finish while reading is paused', {
    timeout: 20_000,
  }, async () => {
    const cap = 4096;
    const server = await startServer({
      codec: 'length-prefixed',
      maxBufferedBytesPerConnection: cap,
      dispatch: (request) => new Promise((resolve) => setImmediate(resolve, request)),
    });
    const client = await connectTo(server);
    const frames: Buffer[] = [];
    for (let i = 0; i < FLOOD_BYTES / 1000; i++) {
      const payload = randomBytes(1000);
      const header = Buffer.alloc(4);
      header.writeUInt32BE(payload.length);
      frames.push(header, payload);
    }
    await floodThenRead(server, client, Buffer.concat(frames));
    const limit = cap + ONE_READ + 1004;
    expect(server.stats().peakConnectionBufferedBytes).toBeLessThanOrEqual(limit);
  });
});

test('a client that ends while the server is paused gets every reply, then the end', async () => {
  const server = await startServer({ maxBufferedBytesPerConnection: 64 * 1024 });
  const client = await connectTo(server);
  const payload = randomBytes(FLOOD_BYTES);
  client.pause();
  client.end(payload);
  await until(() => server.accepted.length === 1 && server.accepted[0]!.socket.isPaused());
  expect(server.stats().bytesIn).toBeLessThan(payload.length);

  const chunks: Buffer[] = [];
  client.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise((resolve) => client.once('end', resolve));
  client.resume();
  await ended;
  expect(Buffer.concat(chunks).equals(payload)).toBe(true);
  await until(() => server.stats().active === 0);
  expect(server.stats().errors).toEqual({});
});

test('replies waiting behind a slow one count against the cap', async () => {
  let releaseFirst!: () => void;
  const firstReleased = new Promise<void>((resolve) => {
    releaseFirst = resolve;
  });
  let calls = 0;
  const cap = 256 * 1024;
  const server = await startServer({
    codec: 'lines',
    maxBufferedBytesPerConnection: cap,
    // The first request waits; the rest are answered at once and must queue behind it.
    dispatch: (request) => (++calls === 1 ? firstReleased.then(() => request) : request),
  });
  const client = await connectTo(server);
  const line = Buffer.from(`${'y'.repeat(1023)}\n`);
  const payload = Buffer.concat(Array.from({ length: FLOOD_BYTES / line.length }, () => line));
  client.write(payload);
  await until(() => server.accepted.length === 1 && server.accepted[0]!.socket.isPaused());
  expect(server.stats().bytesIn).toBeLessThanOrEqual(cap + ONE_READ + line.length);

  const echoed = readBytes(client, payload.length);
  releaseFirst();
  expect((await echoed).equals(payload)).toBe(true);
});

test('a flood of tiny frames is bounded by what they cost, not only by their bytes', async () => {
  const cap = 1024 * 1024;
  const server = await startServer({
    codec: 'lines',
    maxBufferedBytesPerConnection: cap,
    dispatch: () => new Promise(() => {}),
  });
  const client = await connectTo(server);
  // Four million one-byte frames: counted as bytes alone, the cap would admit a million of them.
  client.write(Buffer.alloc(4 * 1024 * 1024, 0x0a));
  await until(() => server.accepted.length === 1 && server.accepted[0]!.socket.isPaused());
  // Each frame held is charged its overhead as well, so the server stops after a read or two.
  expect(server.stats().framesIn).toBeLessThanOrEqual(cap / 64 + ONE_READ);
});
