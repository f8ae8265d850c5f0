import { expect, test } from 'vitest';
import { workerPoolStrategy } from '../src/index.js';
import { RING_BYTES } from '../src/link.js';
import { cleanup, client } from './helpers.js';

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
