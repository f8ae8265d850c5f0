import { type ConnectionFailure, ErrorCode, type ServerWarning } from '@switchyard/protocol';
import { describe, expect, test } from 'vitest';
import { workerPoolStrategy } from '../src/index.js';
import { cleanup, client, runnableModes, testHandler, until } from './helpers.js';

describe.each(runnableModes)('%s mode', (mode) => {
  test('a worker that exits is replaced; its work fails, counted and reported, other connections keep going', async () => {
    const server = cleanup(
      await workerPoolStrategy.listen({
        mode,
        workers: 2,
        codec: 'lines',
        handler: testHandler('crash-on-marker'),
      }),
    );
    const failures: ConnectionFailure[] = [];
    const warnings: ServerWarning[] = [];
    server.on('failure', (failure) => failures.push(failure));
    server.on('warning', (warning) => warnings.push(warning));
    // Both connect first, so in handoff they live on different threads.
    const [doomed, survivor] = [await client(server), await client(server)];
    const doomedPort = doomed.socket.localPort;
    const before = Array.from({ length: 50 }, (_, n) => `before-${n}\n`).join('');
    survivor.socket.write(before);
    expect(await survivor.read(before.length)).toBe(before);

    doomed.socket.write('crash\n');
    await doomed.closed;
    await until(() => server.stats().errors.SWITCHYARD_ERR_WORKER_EXITED === 1);

    const after = Array.from({ length: 50 }, (_, n) => `after-${n}\n`).join('');
    survivor.socket.write(after);
    expect(await survivor.read(before.length + after.length)).toBe(before + after);

    // The replacement serves new connections: fill both threads and use them.
    const newcomers = await Promise.all([client(server), client(server), client(server)]);
    for (const [i, c] of newcomers.entries()) c.socket.write(`new-${i}\n`);
    expect(await Promise.all(newcomers.map((c) => c.read(6)))).toEqual([
      'new-0\n',
      'new-1\n',
      'new-2\n',
    ]);
    expect(server.stats().errors.SWITCHYARD_ERR_WORKER_EXITED).toBe(1);
    expect(failures).toEqual([
      expect.objectContaining({
        remotePort: doomedPort,
        error: expect.objectContaining({ code: ErrorCode.WORKER_EXITED }),
      }),
    ]);
    // Told once, with what it cost: handoff cannot keep a dead thread's sockets.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(
      mode === 'handoff'
        ? /^worker \d exited: process\.exit\(3\) was called; 1 connection it served lost/
        : /^worker \d exited: process\.exit\(3\) was called; 1 request it had started failed/,
    );
    await server.close();
  });
});
