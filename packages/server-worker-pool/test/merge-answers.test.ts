import { resolveServerOptions } from '@switchyard/protocol';
import { expect, onTestFinished, test, vi } from 'vitest';
import { OffloadServer } from '../src/index.js';
import type { FromWorker, ReplyBatch, ToWorker } from '../src/messages.js';
import { PoolWorker } from '../src/pool.js';
import { cleanup, client, testHandler, until } from './helpers.js';

/**
 * One worker, two requests: the first blocks the thread until the test has seen the second
 * request posted to it as its own batch, so that batch is queued behind the running one.
 * Returns the answers the worker sent, in order.
 */
async function twoQueuedBatches(mergeBudgetMicros: number): Promise<ReplyBatch[]> {
  const shared = new Int32Array(new SharedArrayBuffer(12));
  const posted = vi.spyOn(PoolWorker.prototype, 'post');
  onTestFinished(() => posted.mockRestore());
  // Calls through: the spy only records what the worker sent.
  const received = vi.spyOn(
    OffloadServer.prototype as unknown as {
      onWorkerMessage(worker: PoolWorker, message: FromWorker): void;
    },
    'onWorkerMessage',
  );
  onTestFinished(() => received.mockRestore());
  const server = new OffloadServer({
    options: resolveServerOptions({
      codec: 'lines',
      handler: testHandler('sync-gated'),
      handlerOptions: { shared: shared.buffer },
    }),
    workers: 1,
    maxQueuedRequests: 64,
    mergeBudgetMicros,
  });
  cleanup(await server.start());
  const batchesPosted = () =>
    posted.mock.calls.filter(([message]) => (message as ToWorker).type === 'requests').length;

  const c = await client(server);
  c.socket.write('first\n');
  await until(() => Atomics.load(shared, 0) === 1);
  c.socket.write('second\n');
  await until(() => batchesPosted() === 2);
  Atomics.store(shared, 2, 1);
  Atomics.notify(shared, 2);
  await c.read('first\nsecond\n'.length);

  expect(c.text).toBe('first\nsecond\n');
  expect(Atomics.load(shared, 1)).toBe(0);
  await server.close();
  return received.mock.calls
    .map(([, message]) => message)
    .filter((message): message is ReplyBatch => message.type === 'replies');
}

test('offload: a batch queued behind a running one is answered with it, in one message', async () => {
  const answers = await twoQueuedBatches(60_000_000);
  expect(answers.map((answer) => [answer.requestIds.length, answer.batchesDone])).toEqual([[2, 2]]);
});

test('offload: with no merge budget, every batch is answered on its own', async () => {
  const answers = await twoQueuedBatches(0);
  expect(answers.map((answer) => [answer.requestIds.length, answer.batchesDone])).toEqual([
    [1, 1],
    [1, 1],
  ]);
});
