import { linesCodec, resolveServerOptions } from '@switchyard/protocol';
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
async function gatedServer() {
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
    codec: linesCodec,
    options: resolveServerOptions({
      codec: 'lines',
      handler: testHandler('sync-gated'),
      handlerOptions: { shared: shared.buffer },
    }),
    workers: 1,
    maxQueuedRequests: 64,
  });
  cleanup(await server.start());
  return {
    server,
    /** Resolves once a `gate` request is running (and blocking its worker). */
    gateReached: () => until(() => Atomics.load(shared, 0) === 1),
    openGate() {
      Atomics.store(shared, 2, 1);
      Atomics.notify(shared, 2);
    },
    /** Handler calls that gave up waiting for the gate (should be none). */
    timedOut: () => Atomics.load(shared, 1),
    /** Request counts of every batch posted to the worker, in order. */
    batches: () =>
      posted.mock.calls
        .map(([message]) => message as ToWorker)
        .filter((message) => message.type === 'requests')
        .map((batch) => batch.requestIds.length),
    /** [replies, batchesDone] of every answer, in order. */
    answers: () =>
      received.mock.calls
        .map(([, message]) => message)
        .filter((message): message is ReplyBatch => message.type === 'replies')
        .map((answer) => [answer.requestIds.length, answer.batchesDone]),
  };
}

test('offload: requests of one turn go in one batch, answered by one message', async () => {
  const gated = await gatedServer();
  const c = await client(gated.server);
  c.socket.write('one\ntwo\nthree\n');
  expect(await c.read('one\ntwo\nthree\n'.length)).toBe('one\ntwo\nthree\n');
  expect(gated.batches()).toEqual([3]);
  expect(gated.answers()).toEqual([[3, 1]]);
});

test('offload: each batch is answered on its own, in order, when the worker finishes it', async () => {
  const gated = await gatedServer();
  const c = await client(gated.server);
  c.socket.write('gate\n');
  await gated.gateReached();
  // The request costs 1 ms until measured, so it is not held back while the worker is busy.
  c.socket.write('second\n');
  await until(() => gated.batches().length === 2);
  gated.openGate();
  expect(await c.read('gate\nsecond\n'.length)).toBe('gate\nsecond\n');
  expect(gated.timedOut()).toBe(0);
  expect(gated.answers()).toEqual([
    [1, 1],
    [1, 1],
  ]);
});

test('offload: a busy worker gets one more batch; later requests wait until it answers', async () => {
  const gated = await gatedServer();
  const c = await client(gated.server);
  c.socket.write('gate\n');
  await gated.gateReached();
  for (const [index, line] of ['a\n', 'b\n', 'c\n'].entries()) {
    c.socket.write(line);
    // Each arrives in a turn of its own.
    await until(() => gated.server.stats().framesIn === 2 + index);
  }
  // The gate's batch and `a`'s are in flight; `b` and `c` wait on the main thread.
  expect(gated.batches()).toEqual([1, 1]);
  gated.openGate();
  expect(await c.read('gate\na\nb\nc\n'.length)).toBe('gate\na\nb\nc\n');
  const after = gated.batches().slice(2);
  expect(after.reduce((sum, size) => sum + size, 0)).toBe(2);
});
