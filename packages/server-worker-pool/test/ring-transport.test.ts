import { expect, onTestFinished, test, vi } from 'vitest';
import { ByteRing } from '../src/byte-ring.js';
import { OffloadServer, workerPoolStrategy } from '../src/index.js';
import { RING_BYTES } from '../src/link.js';
import type { FromWorker, ReplyBatch, RequestBatch, ToWorker } from '../src/messages.js';
import { PoolWorker } from '../src/pool.js';
import { cleanup, client, testHandler } from './helpers.js';

/**
 * Counts the rings the main thread makes (a link makes two, for one worker) and records the
 * batches posted to workers and the answers they sent.
 */
function watchRings() {
  const created = vi.spyOn(ByteRing, 'create');
  const posted = vi.spyOn(PoolWorker.prototype, 'post');
  // Calls through: the spy only records what the workers sent.
  const received = vi.spyOn(
    OffloadServer.prototype as unknown as {
      onWorkerMessage(worker: PoolWorker, message: FromWorker): void;
    },
    'onWorkerMessage',
  );
  onTestFinished(() => {
    created.mockRestore();
    posted.mockRestore();
    received.mockRestore();
  });
  return {
    made: () => created.mock.calls.length,
    batches: () =>
      posted.mock.calls
        .map(([message]) => message as ToWorker)
        .filter((message): message is RequestBatch => message.type === 'requests'),
    answers: () =>
      received.mock.calls
        .map(([, message]) => message)
        .filter((message): message is ReplyBatch => message.type === 'replies'),
  };
}

/** A length-prefixed frame of `size` bytes whose letters say which connection and frame it is. */
function frame(connection: number, index: number, size: number): Buffer {
  const out = Buffer.alloc(4 + size);
  out.writeUInt32BE(size, 0);
  for (let i = 0; i < size; i++) out[4 + i] = 97 + ((connection * 7 + index * 3 + i) % 26);
  return out;
}

test('offload: pipelined replies of every size come back whole and in order beside a client that does not read', async () => {
  const server = cleanup(
    await workerPoolStrategy.listen({ mode: 'offload', workers: 2, codec: 'length-prefixed' }),
  );
  // Never reads: its replies back up in its socket, and must not hold up anyone else's.
  const stalled = await client(server);
  stalled.socket.pause();
  for (let i = 0; i < 20; i++) stalled.socket.write(frame(99, i, 100 * 1024));
  const clients = await Promise.all(Array.from({ length: 4 }, () => client(server)));
  // A batch or answer past what the ring has free goes in a transferred buffer instead: 30
  // pipelined frames of these sizes are more than the ring holds.
  const sizes = [1, 10, 1024, 10 * 1024, 64 * 1024, 200 * 1024, 500 * 1024];
  expect(30 * 500 * 1024).toBeGreaterThan(RING_BYTES);
  const expected = clients.map((c, connection) => {
    const frames = Array.from({ length: 30 }, (_, i) =>
      frame(connection, i, sizes[(i + connection) % sizes.length]!),
    );
    const wire = Buffer.concat(frames);
    c.socket.write(wire);
    return wire.toString();
  });
  await Promise.all(clients.map((c, i) => c.expectReceived(expected[i]!)));
  // The rings were given back: the same connections are served again.
  const again = frame(0, 0, 10 * 1024);
  clients[0]!.socket.write(again);
  await clients[0]!.expectReceived(expected[0]! + again.toString());
  expect(server.stats().framesOut).toBeGreaterThanOrEqual(121);
  await server.close();
});

test('offload: a pool serving only small frames makes no rings; large frames after them travel through the rings, byte-exact', async () => {
  const rings = watchRings();
  const server = cleanup(
    await workerPoolStrategy.listen({ mode: 'offload', workers: 2, codec: 'length-prefixed' }),
  );
  const clients = await Promise.all(Array.from({ length: 3 }, () => client(server)));
  const small = [1, 100, 1024, 3000];
  const sent = clients.map((c, connection) => {
    const wire = Buffer.concat(
      Array.from({ length: 40 }, (_, i) => frame(connection, i, small[i % small.length]!)),
    );
    c.socket.write(wire);
    return wire.toString();
  });
  await Promise.all(clients.map((c, i) => c.expectReceived(sent[i]!)));
  expect(rings.made()).toBe(0);
  expect(rings.batches().length).toBeGreaterThan(0);
  expect(rings.batches().filter((batch) => batch.rings ?? batch.ring)).toEqual([]);

  // One connection, so one worker (affinity), now sends large frames among small ones.
  const mixed = Buffer.concat(
    [64 * 1024, 10, 200 * 1024, 8 * 1024, 1, 100 * 1024].map((size, i) => frame(0, 40 + i, size)),
  );
  clients[0]!.socket.write(mixed);
  await clients[0]!.expectReceived(sent[0]! + mixed.toString());
  expect(rings.made()).toBe(2);
  expect(rings.batches().filter((batch) => batch.rings)).toHaveLength(1);
  expect(rings.batches().some((batch) => batch.ring)).toBe(true);
  expect(rings.answers().some((answer) => answer.ring)).toBe(true);
  await server.close();
});

test('offload: large replies to small requests bring the rings, and the replies after them come through the reply ring', async () => {
  const rings = watchRings();
  const server = cleanup(
    await workerPoolStrategy.listen({
      mode: 'offload',
      workers: 1,
      codec: 'lines',
      handler: testHandler('amplify'),
    }),
  );
  const c = await client(server);
  const reply = (letter: string) => `${letter.repeat(16 * 1024)}\n`;
  c.socket.write('a\n');
  await c.expectReceived(reply('a'));
  // The first answer came packed: the worker had no ring to put it in.
  expect(rings.made()).toBe(0);
  c.socket.write('b\n');
  await c.expectReceived(reply('a') + reply('b'));
  expect(rings.made()).toBe(2);
  expect(rings.answers().map((answer) => answer.ring !== undefined)).toEqual([false, true]);
  await server.close();
});
