import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { workerPoolStrategy } from '../src/index.js';
import { cleanup, client, runnableModes, testHandler, until } from './helpers.js';

describe.each(runnableModes)('%s mode', (mode) => {
  test('close() delivers replies to requests already in flight, then closes', async () => {
    const server = cleanup(
      await workerPoolStrategy.listen({
        mode,
        workers: 2,
        codec: 'lines',
        handler: testHandler('delayed'),
        handlerOptions: { delayMs: 200 },
      }),
    );
    const clients = await Promise.all([client(server), client(server), client(server)]);
    for (const [i, c] of clients.entries()) c.socket.write(`slow-${i}\n`);
    // Close only once every request reached the server (handoff counts in the workers).
    await until(() => server.stats().framesIn === 3);
    await server.close();
    await Promise.all(clients.map((c) => c.closed));
    expect(clients.map((c) => c.text)).toEqual(['slow-0\n', 'slow-1\n', 'slow-2\n']);
  });

  test('destroy() ends every connection now', async () => {
    const server = await workerPoolStrategy.listen({
      mode,
      workers: 2,
      codec: 'lines',
      handler: testHandler('delayed'),
      handlerOptions: { delayMs: 60_000 },
    });
    const clients = await Promise.all([client(server), client(server)]);
    for (const c of clients) c.socket.write('never answered\n');
    await until(() => server.stats().framesIn === 2);
    await server.destroy();
    await Promise.all(clients.map((c) => c.closed));
    expect(clients.map((c) => c.text)).toEqual(['', '']);
    expect(server.stats().active).toBe(0);
  });

  test.each(['close', 'destroy'])(
    'a process that %ss its server exits by itself',
    async (ending) => {
      const script = fileURLToPath(new URL('./fixtures-exit.ts', import.meta.url));
      const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', '--conditions=@switchyard/source', script, mode, ending],
          { timeout: 20_000, killSignal: 'SIGKILL' },
          (error, stdout) => (error ? reject(error) : resolve({ stdout })),
        );
      });
      expect(stdout.trim()).toBe('ended');
    },
  );
});
