import {
  addHandlerTimes,
  type ServerStats,
  type ServerWarning,
  type WorkerStats,
} from '@switchyard/protocol';
import { describe, expect, test } from 'vitest';
import { workerPoolStrategy } from '../src/index.js';
import { cleanup, client, goodClient, runnableModes, testHandler, until } from './helpers.js';

const bucketed = ({ handlerTime }: WorkerStats | ServerStats) =>
  handlerTime.counts.reduce((sum, count) => sum + count, 0);

describe.each(runnableModes)('%s', (mode) => {
  test("each thread slot reports its handler calls, and together they are the server's", async () => {
    const server = cleanup(
      await workerPoolStrategy.listen({ mode, workers: 2, codec: 'lines', handler: 'echo' }),
    );
    await Promise.all(['a', 'b', 'c', 'd'].map((name) => goodClient(server, name, 100, 4)));
    // Every reply has arrived; a handoff thread's counters follow within its report interval.
    await until(() => server.stats().handlerTime.count === 400);
    const stats = server.stats();
    const workers = stats.workers!;
    expect(workers.map(({ index, exits }) => ({ index, exits }))).toEqual([
      { index: 0, exits: 0 },
      { index: 1, exits: 0 },
    ]);
    for (const worker of workers) expect(bucketed(worker)).toBe(worker.handlerTime.count);
    const together = addHandlerTimes(workers.map((worker) => worker.handlerTime));
    expect(together.counts).toEqual(stats.handlerTime.counts);
    expect(together.count).toBe(400);
    expect(stats.handlerTime.sum).toBeGreaterThan(0);
    expect(stats.handlerTime.sum).toBeCloseTo(together.sum, 9);
  });

  test('a thread that exits is counted in its slot, and the thread that replaces it goes on counting there', async () => {
    const server = cleanup(
      await workerPoolStrategy.listen({
        mode,
        workers: 2,
        codec: 'lines',
        handler: testHandler('hostile'),
      }),
    );
    const warnings: ServerWarning[] = [];
    server.on('warning', (warning) => warnings.push(warning));
    // Three calls on the thread that then exits: they stay counted once it is gone.
    const doomed = await client(server);
    doomed.socket.write('a\nb\nc\n');
    await doomed.expectReceived('a\nb\nc\n');
    doomed.socket.write('exit\n');
    await doomed.closed;
    await until(() => warnings.length === 1);
    const exits = server.stats().workers!.map((worker) => worker.exits);
    expect(exits.sort()).toEqual([0, 1]);
    expect(server.stats().handlerTime.count).toBe(3);

    const before = 3;
    await Promise.all(['a', 'b', 'c', 'd'].map((name) => goodClient(server, name, 50)));
    await until(() => server.stats().handlerTime.count === before + 200);
    const workers = server.stats().workers!;
    expect(workers.reduce((sum, worker) => sum + worker.handlerTime.count, 0)).toBe(before + 200);
  });
});
