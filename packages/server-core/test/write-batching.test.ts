import type { Socket } from 'node:net';
import { describe, expect, test } from 'vitest';
import { connectTo, deferred, readBytes, startServer, until } from './helpers.js';

/** Counts what the server-side socket hands the kernel: single writes and gathered writes. */
function countWrites(socket: Socket): { writes: number; gathered: number[] } {
  const counts = { writes: 0, gathered: [] as number[] };
  const internals = socket as unknown as {
    _write: (...args: unknown[]) => void;
    _writev: (chunks: unknown[], ...rest: unknown[]) => void;
  };
  const write = internals._write.bind(socket);
  const writev = internals._writev.bind(socket);
  internals._write = (...args) => {
    counts.writes++;
    write(...args);
  };
  internals._writev = (chunks, ...rest) => {
    counts.gathered.push(chunks.length);
    writev(chunks, ...rest);
  };
  return counts;
}

describe('replies to the frames of one read', () => {
  // Small writes to a peer that does not read make the kernel collapse its receive queue, a cost
  // that a pipelining client could otherwise make every other client pay.
  test('leave in one gathered write, not a write each', async () => {
    const server = await startServer({ codec: 'lines' });
    const client = await connectTo(server);
    await until(() => server.accepted.length === 1);
    const counts = countWrites(server.accepted[0]!.socket);
    const lines = Array.from({ length: 20 }, (_, index) => `request ${index}\n`).join('');
    client.write(lines);
    expect((await readBytes(client, lines.length)).toString()).toBe(lines);
    // However the client's bytes were split into reads, each read's replies went out together.
    expect(counts.writes + counts.gathered.length).toBeLessThan(20);
    expect(counts.gathered.reduce((sum, count) => sum + count, 0) + counts.writes).toBe(20);
  });

  test('a read with one frame writes its reply at once, ungathered', async () => {
    const server = await startServer({ codec: 'lines' });
    const client = await connectTo(server);
    await until(() => server.accepted.length === 1);
    const counts = countWrites(server.accepted[0]!.socket);
    client.write('one\n');
    expect((await readBytes(client, 4)).toString()).toBe('one\n');
    expect(counts).toEqual({ writes: 1, gathered: [] });
  });
});

describe('replies that settle together', () => {
  // A worker's answer settles a batch of requests at once: one write for all of them, as for the
  // frames of one read.
  test('leave in one gathered write when their handler calls settle in one go', async () => {
    const owed: ((reply: Buffer) => void)[] = [];
    const server = await startServer({
      codec: 'lines',
      dispatch: (request) => {
        const { promise, resolve } = deferred<Buffer>();
        owed.push(() => resolve(request));
        return promise;
      },
    });
    const client = await connectTo(server);
    await until(() => server.accepted.length === 1);
    const counts = countWrites(server.accepted[0]!.socket);
    const lines = Array.from({ length: 20 }, (_, index) => `request ${index}\n`).join('');
    client.write(lines);
    await until(() => owed.length === 20);
    for (const settle of owed) settle(Buffer.alloc(0));
    expect((await readBytes(client, lines.length)).toString()).toBe(lines);
    expect(counts).toEqual({ writes: 0, gathered: [20] });
  });
});
