import { Connection } from '@switchyard/server-core';
import { expect, test, vi } from 'vitest';
import { workerPoolStrategy } from '../src/index.js';
import { cleanup, client, testHandler, until } from './helpers.js';

test('offload: a full queue stops reading from sockets, and reading resumes as it drains', async () => {
  const pause = vi.spyOn(Connection.prototype, 'pause');
  const shared = new Int32Array(new SharedArrayBuffer(12));
  const bound = 16;
  const server = cleanup(
    await workerPoolStrategy.listen({
      mode: 'offload',
      workers: 2,
      codec: 'lines',
      handler: testHandler('gated'),
      handlerOptions: { shared: shared.buffer },
      maxQueuedRequests: bound,
    }),
  );
  const c = await client(server);
  const line = `${'x'.repeat(1023)}\n`;
  const total = 2000;
  c.socket.write(line.repeat(total));
  await until(() => pause.mock.calls.some(([reason]) => reason === 'pool-queue-full'));
  Atomics.store(shared, 2, 1);
  Atomics.notify(shared, 2);
  await c.read(total * line.length);
  // The bound, plus the rest of the socket read (64 KiB of lines) that crossed it.
  expect(Atomics.load(shared, 1)).toBeLessThanOrEqual(bound + 64);
  expect(server.stats().framesOut).toBe(total);
  await server.close();
});
