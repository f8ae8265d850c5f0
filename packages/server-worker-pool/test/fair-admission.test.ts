import type { ServerWarning } from '@switchyard/protocol';
import { Connection } from '@switchyard/server-core';
import { expect, test, vi } from 'vitest';
import { workerPoolStrategy } from '../src/index.js';
import { cleanup, client, goodClient, testHandler, until } from './helpers.js';

test('offload: a connection alone may fill the pool’s queue and no more; reading resumes as it drains', async () => {
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
  await until(() => pause.mock.calls.some(([reason]) => reason === 'pool'));
  await until(() => Atomics.load(shared, 0) >= bound);
  Atomics.store(shared, 2, 1);
  Atomics.notify(shared, 2);
  await c.read(total * line.length);
  // Never more in the workers than the queue holds, however much the socket delivered at once.
  expect(Atomics.load(shared, 1)).toBe(bound);
  expect(server.stats().framesOut).toBe(total);
  await server.close();
});

test('offload: a client flooding requests that never settle slows only itself, during the flood and after it leaves', async () => {
  const server = cleanup(
    await workerPoolStrategy.listen({
      mode: 'offload',
      workers: 2,
      codec: 'lines',
      handler: testHandler('hostile'),
      maxQueuedRequests: 64,
      // Admission alone must keep the others going: no deadline rescues them here.
      handlerTimeoutMs: 0,
    }),
  );
  const warnings: ServerWarning[] = [];
  server.on('warning', (warning) => warnings.push(warning));
  const flooder = await client(server);
  const flooderPort = flooder.socket.localPort;
  flooder.socket.write('hang\n'.repeat(5000));
  // Alone, it may take the whole queue, and does.
  await until(() => server.stats().framesIn >= 64);

  // Four good clients, each checking every reply, while the flooder's requests hang.
  await Promise.all(['a', 'b', 'c', 'd'].map((name) => goodClient(server, name, 400, 4)));
  // Squeezed to its share by the others, the flooder was paused, and told of once.
  await until(() => warnings.length > 0);
  expect(warnings).toEqual([
    expect.objectContaining({
      kind: 'connection-throttled',
      remotePort: flooderPort,
      message: expect.stringMatching(/is paused: it has \d+ requests in the worker pool/),
    }),
  ]);

  // It leaves (a reset: a plain end would wait, half-closed, for replies that never come).
  flooder.socket.resetAndDestroy();
  await until(() => server.stats().active === 4);
  await goodClient(server, 'after', 400, 4);
  expect(warnings).toHaveLength(1);
  await server.destroy();
});
