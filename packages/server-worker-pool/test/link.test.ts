import type { HandlerContext } from '@switchyard/protocol';
import { expect, test } from 'vitest';
import { ByteRing } from '../src/byte-ring.js';
import {
  MAX_BATCHES_IN_FLIGHT,
  type PoolRequest,
  type ReplyLending,
  WorkerLink,
} from '../src/link.js';
import { packBytes, type RequestBatch, type ToWorker } from '../src/messages.js';
import type { PoolWorker } from '../src/pool.js';

/** Lends no reply: each one from the reply ring is copied (what a backed-up socket gets). */
const copying: ReplyLending = { mayLend: () => false, whenWritten: (_entry, done) => done() };

/**
 * A link to a stand-in worker that records what it is sent and answers when told; with `lending`,
 * as the offload server makes it (rings allowed).
 */
function link(lending?: ReplyLending) {
  const batches: RequestBatch[] = [];
  const worker = {
    post(message: ToWorker) {
      if (message.type === 'requests') batches.push(message);
    },
  } as unknown as PoolWorker;
  const settled: PoolRequest[] = [];
  const workerLink = new WorkerLink(worker, (entry) => settled.push(entry), lending);
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

/** What a request of a batch carried, read as the worker reads it: packed, or from the ring. */
function requestText(batch: RequestBatch, requestRing: ByteRing | undefined, index: number) {
  if (batch.bytes)
    return Buffer.from(batch.bytes)
      .subarray(start(batch.ends, index), batch.ends[index])
      .toString();
  return requestRing!.view(batch.ring!.at, batch.ends, index).toString();
}

const start = (ends: readonly number[], index: number) => (index === 0 ? 0 : ends[index - 1]!);

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

test('with lending, a link that only carries small payloads never makes its rings', () => {
  const { link: workerLink, add, answer, batches } = link(copying);
  for (let round = 0; round < 10; round++) {
    for (let i = 0; i < 20; i++) add(i, 'x'.repeat(1024));
    workerLink.flush(8);
    answer(MAX_BATCHES_IN_FLIGHT);
  }
  expect(batches.length).toBeGreaterThan(10);
  expect(batches.filter((batch) => batch.rings !== undefined || batch.ring !== undefined)).toEqual(
    [],
  );
});

test('the first batch worth a ring brings the rings and travels in them; later ones use the same', () => {
  const { link: workerLink, add, answer, batches } = link(copying);
  add(1, 'small');
  workerLink.flush(8);
  answer(1);
  const large = 'L'.repeat(8192);
  add(1, large);
  add(2, 'tiny');
  add(2, large);
  workerLink.flush(8);
  answer(1);
  add(1, `${large}!`);
  workerLink.flush(8);
  const [first, second, third] = batches;
  expect(first!.rings).toBeUndefined();
  expect(second!.rings).toBeDefined();
  expect(second!.bytes).toBeUndefined();
  expect(third!.rings).toBeUndefined();
  const requestRing = new ByteRing(second!.rings!.requests);
  expect([0, 1, 2].map((i) => requestText(second!, requestRing, i))).toEqual([
    large,
    'tiny',
    large,
  ]);
  expect(requestText(third!, requestRing, 0)).toBe(`${large}!`);
});

test('large replies to small requests make the rings for the next batch, and come back through them', () => {
  const replies: string[] = [];
  const { link: workerLink, batches } = link(copying);
  const add = (text: string) =>
    workerLink.add({
      requestId: 0,
      since: 0,
      request: Buffer.from(text),
      context: { connectionId: 1, remoteAddress: '127.0.0.1', remotePort: 1 } as HandlerContext,
      resolve: (reply) => replies.push(reply.toString()),
      reject() {},
    });
  const big = (letter: string) => letter.repeat(16 * 1024);
  add('a');
  workerLink.flush(8);
  // The worker has no rings yet: its answer comes packed.
  const { bytes, ends } = packBytes([Buffer.from(big('a'))]);
  const answer = { type: 'replies', failures: [], runMicros: 0, handlerCalls: 0 } as const;
  workerLink.settle({ ...answer, requestIds: [1], ends, bytes, batchesDone: 1 });
  add('b');
  workerLink.flush(8);
  expect(batches[0]!.rings).toBeUndefined();
  const { rings } = batches[1]!;
  expect(rings).toBeDefined();
  expect(batches[1]!.bytes).toBeDefined();
  // The worker answers through the reply ring it was given.
  const replyRing = new ByteRing(rings!.replies);
  const region = replyRing.reserve(16 * 1024)!;
  const ringEnds = replyRing.write(region.at, [Buffer.from(big('b'))]);
  workerLink.settle({ ...answer, requestIds: [2], ends: ringEnds, ring: region, batchesDone: 1 });
  expect(replies).toEqual([big('a'), big('b')]);
  // Copied out, the region went back at once.
  expect(replyRing.available).toBe(replyRing.data.length);
});
