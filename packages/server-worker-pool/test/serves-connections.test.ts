import { connect } from 'node:net';
import { connectTarget } from '@switchyard/protocol';
import { describe, expect, test } from 'vitest';
import { workerPoolStrategy } from '../src/index.js';
import { cleanup, client, runnableModes, testHandler, until } from './helpers.js';

describe.each(runnableModes)('%s mode', (mode) => {
  test('echoes lines from many connections, each in request order', async () => {
    const server = cleanup(await workerPoolStrategy.listen({ mode, workers: 2, codec: 'lines' }));
    const clients = await Promise.all(Array.from({ length: 10 }, () => client(server)));
    const expected = clients.map((c, i) => {
      const lines = Array.from({ length: 200 }, (_, n) => `c${i}-${n}\n`).join('');
      c.socket.write(lines);
      return lines;
    });
    const got = await Promise.all(clients.map((c, i) => c.read(expected[i]!.length)));
    expect(got).toEqual(expected);
    for (const c of clients) c.socket.end();
    await Promise.all(clients.map((c) => c.closed));
    // Handoff counts in the workers: their final report arrives before the close notice.
    await until(() => server.stats().active === 0);
    expect(server.stats()).toMatchObject({ accepted: 10, framesIn: 2000, framesOut: 2000 });
    await server.close();
  });

  test('echoes length-prefixed frames of 100 KiB split across writes', async () => {
    const server = cleanup(
      await workerPoolStrategy.listen({ mode, workers: 2, codec: 'length-prefixed' }),
    );
    const c = await client(server);
    const payload = Buffer.alloc(100 * 1024, 'x');
    const frame = Buffer.alloc(4 + payload.length);
    frame.writeUInt32BE(payload.length, 0);
    payload.copy(frame, 4);
    const wire = Buffer.concat([frame, frame, frame]);
    for (let at = 0; at < wire.length; at += 7000) c.socket.write(wire.subarray(at, at + 7000));
    expect(await c.read(wire.length)).toBe(wire.toString());
    await server.close();
  });

  test('a handler that throws closes its connection only, counted as HANDLER_FAILED', async () => {
    const server = cleanup(
      await workerPoolStrategy.listen({
        mode,
        workers: 2,
        codec: 'lines',
        handler: testHandler('throw-on-marker'),
      }),
    );
    const [failing, healthy] = [await client(server), await client(server)];
    failing.socket.write('boom\n');
    await failing.closed;
    healthy.socket.write('still here\n');
    expect(await healthy.read(11)).toBe('still here\n');
    await until(() => server.stats().errors.SWITCHYARD_ERR_HANDLER_FAILED === 1);
    await server.close();
  });

  test('refuses connections past maxConnections', async () => {
    const server = cleanup(
      await workerPoolStrategy.listen({ mode, workers: 1, codec: 'lines', maxConnections: 1 }),
    );
    const first = await client(server);
    first.socket.write('one\n');
    expect(await first.read(4)).toBe('one\n');
    // Refused with a reset: it may come before or after the client sees the connect.
    const second = connect(connectTarget(server.address)).on('error', () => {});
    await new Promise((resolve) => second.on('close', resolve));
    expect(server.stats()).toMatchObject({ accepted: 1, refused: 1 });
    await server.close();
  });

  test('runs handlers in parallel on different threads', async () => {
    // Each call announces itself and waits (blocking its thread) for the other one.
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const server = cleanup(
      await workerPoolStrategy.listen({
        mode,
        workers: 2,
        codec: 'lines',
        handler: testHandler('rendezvous'),
        handlerOptions: { shared: shared.buffer },
      }),
    );
    const [a, b] = [await client(server), await client(server)];
    a.socket.write('a\n');
    b.socket.write('b\n');
    expect([await a.read(2), await b.read(2)]).toEqual(['a\n', 'b\n']);
    expect(Atomics.load(shared, 1)).toBe(0); // no call timed out waiting for the other
    await server.close();
  });
});
