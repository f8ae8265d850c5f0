import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { connectTarget, type RunningServer } from '@switchyard/protocol';
import { expect, onTestFinished, test } from 'vitest';
import { maxRequestsInPool } from '../src/admission.js';
import {
  DEFAULT_MAX_QUEUED_REQUESTS,
  POOL_REQUEST_OVERHEAD_BYTES,
  workerPoolStrategy,
} from '../src/index.js';
import { cleanup, client, runnableModes, testHandler, until } from './helpers.js';

/** A client that does not read its replies until the test resumes it; destroyed when it ends. */
async function unreadingClient(server: RunningServer): Promise<Socket> {
  const socket = connect(connectTarget(server.address));
  onTestFinished(() => {
    socket.destroy();
  });
  await once(socket, 'connect');
  socket.pause();
  return socket;
}

test('offload: what the pool holds for a connection counts against its cap: a flood of 2-byte lines gets no more into the workers than the cap pays for', async () => {
  const shared = new Int32Array(new SharedArrayBuffer(12));
  const cap = 64 * 1024;
  const server = cleanup(
    await workerPoolStrategy.listen({
      mode: 'offload',
      workers: 2,
      codec: 'lines',
      handler: testHandler('gated'),
      handlerOptions: { shared: shared.buffer },
      maxBufferedBytesPerConnection: cap,
    }),
  );
  // What one request costs the pool and its Connection together, however small it is.
  const fits = Math.floor(cap / (POOL_REQUEST_OVERHEAD_BYTES + 128));
  const flood = await client(server);
  const total = 20_000;
  flood.socket.write('a\n'.repeat(total));
  await until(() => Atomics.load(shared, 0) >= fits);
  // The server's own count, and so its memory budget, sees what the pool holds for it.
  expect(server.stats().bufferedBytes).toBeGreaterThanOrEqual(fits * POOL_REQUEST_OVERHEAD_BYTES);

  Atomics.store(shared, 2, 1);
  Atomics.notify(shared, 2);
  expect(await flood.read(total * 2)).toBe('a\n'.repeat(total));
  expect(Atomics.load(shared, 1)).toBe(fits);
});

test('offload: a client that stops reading gets no more requests run until its replies go out, then every one', async () => {
  const cap = 32 * 1024;
  const server = cleanup(
    await workerPoolStrategy.listen({
      mode: 'offload',
      workers: 2,
      codec: 'lines',
      handler: testHandler('amplify'),
      maxBufferedBytesPerConnection: cap,
    }),
  );
  const socket = await unreadingClient(server);
  // 4000 requests of 2 bytes, each answered with 16 KiB: 64 MiB of replies, far more than
  // loopback's socket buffers hold, read all at once by the server.
  const requests = 4000;
  socket.write('a\n'.repeat(requests));
  await until(() => server.stats().peakConnectionBufferedBytes >= cap);
  const reply = Buffer.from(`${'a'.repeat(16 * 1024)}\n`);
  let received = 0;
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      for (let i = 0; i < chunk.length; i++) {
        if (chunk[i] !== reply[(received + i) % reply.length]) {
          reject(new Error(`reply bytes differ at ${received + i}`));
          return;
        }
      }
      received += chunk.length;
      if (received === requests * reply.length) resolve();
    });
    socket.on('close', () => reject(new Error(`closed after ${received} bytes`)));
  });
  socket.resume();
  await done;
  // The replies it did not read stopped at the cap, plus those of the requests running when they
  // reached it: the requests behind them waited instead of running.
  const running = maxRequestsInPool(DEFAULT_MAX_QUEUED_REQUESTS, cap);
  expect(server.stats().peakConnectionBufferedBytes).toBeLessThan(
    cap + running * reply.length + 64 * 1024,
  );
});

test.skipIf(!runnableModes.includes('handoff'))(
  "handoff: what a thread's connection holds reaches the server's count, and leaves it once written",
  async () => {
    const server = cleanup(
      await workerPoolStrategy.listen({
        mode: 'handoff',
        workers: 2,
        codec: 'lines',
        handler: testHandler('amplify'),
      }),
    );
    const socket = await unreadingClient(server);
    // 4000 requests answered with 16 KiB each (64 MiB): more than loopback's buffers hold.
    const requests = 4000;
    socket.write('a\n'.repeat(requests));
    await until(() => server.stats().bufferedBytes > 0);

    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.resume();
    await until(() => received === requests * (16 * 1024 + 1));
    // The thread says so once its connection holds nothing, though no more bytes move.
    await until(() => server.stats().bufferedBytes === 0);
  },
);
