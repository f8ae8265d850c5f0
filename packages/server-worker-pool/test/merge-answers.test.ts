import { resolveServerOptions } from '@switchyard/protocol';
import { expect, onTestFinished, test, vi } from 'vitest';
import { OffloadServer } from '../src/index.js';
import type { FromWorker, ReplyBatch, ToWorker } from '../src/messages.js';
import { PoolWorker } from '../src/pool.js';
import { cleanup, client, testHandler, until } from './helpers.js';

/**
 * An offload server with one worker running the `sync-gated` handler, which blocks the worker's
 * thread from its first call until the test opens the gate. Records the batches posted to the
 * worker and the answers it sent.
 */
async function gatedServer(mergeBudgetMicros: number) {
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
  return {
    server,
    /** Resolves once the handler's first call is running (and blocking its worker). */
    firstCallRunning: () => until(() => Atomics.load(shared, 0) === 1),
    openGate() {
      Atomics.store(shared, 2, 1);
      Atomics.notify(shared, 2);
    },
    /** Handler calls that gave up waiting for the gate (should be none). */
    timedOut: () => Atomics.load(shared, 1),
    batchesPosted: () =>
      posted.mock.calls.filter(([message]) => (message as ToWorker).type === 'requests').length,
    /** [replies, batchesDone] of every answer, in order. */
    answers: () =>
      received.mock.calls
        .map(([, message]) => message)
        .filter((message): message is ReplyBatch => message.type === 'replies')
        .map((answer) => [answer.requestIds.length, answer.batchesDone]),
  };
}

/** Two requests posted as two batches, the second queued behind the first (which blocks). */
async function twoQueuedBatches(mergeBudgetMicros: number): Promise<number[][]> {
  const gated = await gatedServer(mergeBudgetMicros);
  const c = await client(gated.server);
  c.socket.write('first\n');
  await gated.firstCallRunning();
  c.socket.write('second\n');
  await until(() => gated.batchesPosted() === 2);
  gated.openGate();
  await c.read('first\nsecond\n'.length);
  expect(c.text).toBe('first\nsecond\n');
  expect(gated.timedOut()).toBe(0);
  await gated.server.close();
  return gated.answers();
}

/**
 * Two requests in one batch; the first blocks until the worker has held it far longer than a
 * budget of 1 us (the test waits for it to start before opening the gate).
 */
async function oneBatchOfTwo(mergeBudgetMicros: number): Promise<number[][]> {
  const gated = await gatedServer(mergeBudgetMicros);
  const c = await client(gated.server);
  c.socket.write('first\nsecond\n');
  await gated.firstCallRunning();
  gated.openGate();
  await c.read('first\nsecond\n'.length);
  expect(c.text).toBe('first\nsecond\n');
  expect(gated.batchesPosted()).toBe(1);
  expect(gated.timedOut()).toBe(0);
  await gated.server.close();
  return gated.answers();
}

test('offload: a batch queued behind a running one is answered with it, in one message', async () => {
  expect(await twoQueuedBatches(60_000_000)).toEqual([[2, 2]]);
});

test('offload: with no merge budget, every batch is answered on its own', async () => {
  expect(await twoQueuedBatches(0)).toEqual([
    [1, 1],
    [1, 1],
  ]);
});

test('offload: a reply older than the merge budget goes back before the rest of its batch runs', async () => {
  expect(await oneBatchOfTwo(1)).toEqual([
    [1, 0],
    [1, 1],
  ]);
});

test('offload: replies within the merge budget share one answer', async () => {
  expect(await oneBatchOfTwo(60_000_000)).toEqual([[2, 1]]);
});
