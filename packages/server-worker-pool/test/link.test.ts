import type { HandlerContext } from '@switchyard/protocol';
import { expect, test } from 'vitest';
import { MAX_BATCHES_IN_FLIGHT, type PoolRequest, WorkerLink } from '../src/link.js';
import type { RequestBatch, ToWorker } from '../src/messages.js';
import type { PoolWorker } from '../src/pool.js';

/** A link to a stand-in worker that records what it is sent and answers when told. */
function link() {
  const batches: RequestBatch[] = [];
  const worker = {
    post(message: ToWorker) {
      if (message.type === 'requests') batches.push(message);
    },
  } as unknown as PoolWorker;
  const settled: PoolRequest[] = [];
  const workerLink = new WorkerLink(worker, (entry) => settled.push(entry));
  let since = 0;
  const add = (connectionId: number, text: string) => {
    const entry: PoolRequest = {
      requestId: 0,
      since: since++,
      request: Buffer.from(text),
      context: { connectionId, remoteAddress: '127.0.0.1', remotePort: 1 } as HandlerContext,
      resolve() {},
      reject() {},
    };
    workerLink.add(entry);
    return entry;
  };
  /** What each batch carried, as text. */
  const sent = () =>
    batches.map((batch) =>
      batch.ends.map((end, i) => {
        const start = i === 0 ? 0 : batch.ends[i - 1]!;
        return Buffer.from(batch.bytes!, start, end - start).toString();
      }),
    );
  /** The worker answers: it finished `batchesDone` batches (no replies needed for the test). */
  const answer = (batchesDone: number) =>
    workerLink.settle({
      type: 'replies',
      requestIds: [],
      ends: [],
      bytes: new ArrayBuffer(0),
      failures: [],
      batchesDone,
      runMicros: 0,
      handlerCalls: 0,
    });
  return { link: workerLink, add, sent, answer, batches };
}

test('a connection with one request goes out in the first batch, however many another has waiting', () => {
  const { link: workerLink, add, sent } = link();
  for (let i = 0; i < 100; i++) add(1, `flood${i}`);
  add(2, 'single');
  workerLink.flush(4);
  expect(sent()[0]).toEqual(['flood0', 'single', 'flood1', 'flood2']);
  expect(workerLink.outstanding).toBe(101);
  expect(workerLink.gathered).toBe(101 - 4 * MAX_BATCHES_IN_FLIGHT);
});

test('two batches go while the worker works; the rest waits for an answer and the next flush', () => {
  const { link: workerLink, add, sent, answer, batches } = link();
  for (let i = 0; i < 7; i++) add(1, `r${i}`);
  workerLink.flush(2);
  workerLink.flush(2);
  expect(batches).toHaveLength(MAX_BATCHES_IN_FLIGHT);
  add(2, 'late');
  answer(1);
  // An answer does not send: the server flushes once per turn, after the poll phase.
  expect(batches).toHaveLength(MAX_BATCHES_IN_FLIGHT);
  workerLink.flush(2);
  expect(sent()).toEqual([
    ['r0', 'r1'],
    ['r2', 'r3'],
    ['r4', 'late'],
  ]);
  expect(workerLink.gathered).toBe(2);
});

test('request ids rise in the order sent, across connections', () => {
  const { link: workerLink, add, batches } = link();
  add(1, 'a1');
  add(1, 'a2');
  add(2, 'b1');
  workerLink.flush(8);
  expect(batches[0]!.requestIds).toEqual([1, 2, 3]);
  expect(batches[0]!.connectionIds).toEqual([1, 2, 1]);
});

test('a dead worker gives back what it was sent, in order, apart from what it never got', () => {
  const { link: workerLink, add } = link();
  const a1 = add(1, 'a1');
  const a2 = add(1, 'a2');
  const b1 = add(2, 'b1');
  workerLink.flush(1);
  expect(workerLink.drain()).toEqual({ sent: [a1, b1], unsent: [a2] });
  expect(workerLink.outstanding).toBe(0);
});

test('requests past their deadline are taken out whether sent or waiting', () => {
  const { link: workerLink, add } = link();
  const a1 = add(1, 'a1');
  const a2 = add(1, 'a2');
  add(2, 'b1');
  workerLink.flush(1);
  // a1 was sent; a2 (since 1) waits; b1 (since 2) is within the deadline.
  expect(workerLink.expire(2)).toEqual([a1, a2]);
  expect(workerLink.outstanding).toBe(1);
});
