import { expect, test } from 'vitest';
import { POOL_REQUEST_OVERHEAD_BYTES, workerPoolStrategy } from '../src/index.js';
import { cleanup, client, testHandler, until } from './helpers.js';

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
