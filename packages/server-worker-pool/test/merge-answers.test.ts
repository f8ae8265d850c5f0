import { resolveServerOptions } from '@switchyard/protocol';
import { expect, onTestFinished, test, vi } from 'vitest';
import { OffloadServer } from '../src/index.js';
import type { FromWorker, ReplyBatch, ToWorker } from '../src/messages.js';
import { PoolWorker } from '../src/pool.js';
import { cleanup, client, testHandler, until } from './helpers.js';

/**
 * An offload server with one worker running the `sync-gated` handler, whose `gate` requests block
 * the worker's thread until the test opens the gate. Records the batches posted to the worker
 * and the answers it sent.
 */
async function gatedServer(mergeBudgetMicros: number, replyRing = false) {
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
    replyRing,
  });
  cleanup(await server.start());
  return {
    server,
    /** Resolves once a `gate` request is running (and blocking its worker). */
    gateReached: () => until(() => Atomics.load(shared, 0) === 1),
    gateOpen: () => Atomics.load(shared, 2) === 1,
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
  c.socket.write('gate\n');
  await gated.gateReached();
  c.socket.write('second\n');
  await until(() => gated.batchesPosted() === 2);
  gated.openGate();
  await c.read('gate\nsecond\n'.length);
  expect(c.text).toBe('gate\nsecond\n');
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
  c.socket.write('gate\nsecond\n');
  await gated.gateReached();
  gated.openGate();
  await c.read('gate\nsecond\n'.length);
  expect(c.text).toBe('gate\nsecond\n');
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

test('offload: a reply left in the reply ring goes out when this thread wakes for other work', async () => {
  const gated = await gatedServer(60_000_000, true);
  const a = await client(gated.server);
  const b = await client(gated.server);
  // One batch: `first` is answered into the ring, then `gate` blocks the only worker.
  a.socket.write('first\ngate\n');
  await gated.gateReached();
  // New input wakes this thread, which reads the ring at the end of the turn.
  b.socket.write('ping\n');
  await a.read('first\n'.length);
  expect(a.text).toBe('first\n');
  expect(gated.gateOpen()).toBe(false);
  expect(gated.answers()).toEqual([]);

  gated.openGate();
  await a.read('first\ngate\n'.length);
  await b.read('ping\n'.length);
  expect(a.text).toBe('first\ngate\n');
  expect(b.text).toBe('ping\n');
  expect(gated.timedOut()).toBe(0);
});

test('offload: a worker out of work wakes this thread for replies left in the ring', async () => {
  const gated = await gatedServer(60_000_000, true);
  const c = await client(gated.server);
  c.socket.write('one\ntwo\n');
  await c.read('one\ntwo\n'.length);
  expect(c.text).toBe('one\ntwo\n');
  // The wakeup carries no replies: they came through the ring.
  expect(gated.answers()).toEqual([[0, 0]]);
});

test('offload: once requests are measured cheap, replies come back by message, not the ring', async () => {
  const gated = await gatedServer(500, true);
  const c = await client(gated.server);
  // One request at a time: every answer lowers the cost estimate (1 ms until measured).
  let expected = '';
  for (let i = 0; i < 20; i++) {
    c.socket.write(`${i}\n`);
    expected += `${i}\n`;
    await c.read(expected.length);
  }
  const answersBefore = gated.answers().length;
  c.socket.write('last\n');
  await c.read(expected.length + 'last\n'.length);
  // The first answers were wake-ups for the ring; the last carries its reply itself (batches
  // done are counted in the ring either way).
  expect(gated.answers()[0]).toEqual([0, 0]);
  expect(gated.answers().slice(answersBefore)).toEqual([[1, 0]]);
});
