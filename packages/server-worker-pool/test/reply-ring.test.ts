import { expect, test } from 'vitest';
import {
  REPLY_RING_SLOT_BYTES,
  REPLY_RING_SLOTS,
  ReplyRing,
  type RingReply,
} from '../src/reply-ring.js';

// Both ends of a ring, on one thread: the worker's side writes, the main thread's side drains.

/** A ring the main thread has put in use. */
function ringInUse(shared = ReplyRing.allocate()): ReplyRing {
  const ring = new ReplyRing(shared);
  ring.use(true);
  return ring;
}

function drainAll(ring: ReplyRing): { replies: RingReply[]; batchesDone: number } {
  const replies: RingReply[] = [];
  const batchesDone = ring.drain((reply) => replies.push(reply));
  return { replies, batchesDone };
}

test('reply ring: replies come out in order, with their ids, bytes and timings', () => {
  const ring = ringInUse();
  expect(ring.tryWrite(7, Buffer.from('seven'), 12.5, 0)).toBe(true);
  expect(ring.tryWrite(2 ** 40, Buffer.from(''), 0, 0)).toBe(true);
  expect(ring.tryWrite(9, Buffer.alloc(REPLY_RING_SLOT_BYTES, 1), 3, 0)).toBe(true);
  expect(ring.unread).toBe(3);
  const { replies } = drainAll(ring);
  expect(
    replies.map(({ requestId, reply, runMicros }) => [requestId, reply.length, runMicros]),
  ).toEqual([
    [7, 5, 12.5],
    [2 ** 40, 0, 0],
    [9, REPLY_RING_SLOT_BYTES, 3],
  ]);
  expect(replies[0]!.reply.toString()).toBe('seven');
  expect(replies[2]!.reply.every((byte) => byte === 1)).toBe(true);
  expect(ring.unread).toBe(0);
  expect(drainAll(ring).replies).toEqual([]);
});

test('reply ring: a drained reply is a copy, unchanged when its slot is reused', () => {
  const ring = ringInUse();
  ring.tryWrite(1, Buffer.from('first'), 0, 0);
  const [first] = drainAll(ring).replies;
  for (let i = 0; i < REPLY_RING_SLOTS; i++) ring.tryWrite(2 + i, Buffer.from('other'), 0, 0);
  expect(first!.reply.toString()).toBe('first');
});

test('reply ring: a reply larger than a slot, or one that finds every slot unread, is refused', () => {
  const ring = ringInUse();
  expect(ring.tryWrite(1, Buffer.alloc(REPLY_RING_SLOT_BYTES + 1), 0, 0)).toBe(false);
  for (let i = 0; i < REPLY_RING_SLOTS; i++)
    expect(ring.tryWrite(i, Buffer.from([i]), 0, 0)).toBe(true);
  expect(ring.tryWrite(99, Buffer.from('late'), 0, 0)).toBe(false);
  expect(drainAll(ring).replies.map(({ reply }) => reply[0])).toEqual(
    Array.from({ length: REPLY_RING_SLOTS }, (_, i) => i),
  );
  expect(ring.tryWrite(99, Buffer.from('late'), 0, 0)).toBe(true);
});

test('reply ring: counters wrap past the Int32 range without losing or reordering replies', () => {
  const shared = ReplyRing.allocate();
  // Written and read counters start just below 2^31, as after two billion replies.
  const control = new Int32Array(shared, 0, 2);
  control[0] = 2 ** 31 - 3;
  control[1] = 2 ** 31 - 3;
  const ring = ringInUse(shared);
  const ids: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < REPLY_RING_SLOTS; i++) {
      expect(ring.tryWrite(round * 1000 + i, Buffer.from(`${round}:${i}`), 0, 0)).toBe(true);
    }
    expect(ring.unread).toBe(REPLY_RING_SLOTS);
    for (const { requestId, reply } of drainAll(ring).replies) {
      expect(reply.toString()).toBe(`${Math.floor(requestId / 1000)}:${requestId % 1000}`);
      ids.push(requestId);
    }
  }
  expect(ids).toEqual(
    [0, 1, 2].flatMap((round) =>
      Array.from({ length: REPLY_RING_SLOTS }, (_, i) => round * 1000 + i),
    ),
  );
  expect(control[0]).toBeLessThan(0);
});

test('reply ring: owed until the main thread has read every reply and counted every batch', () => {
  const ring = ringInUse();
  expect(ring.owed).toBe(false);
  ring.tryWrite(1, Buffer.from('a'), 0, 0);
  expect(ring.owed).toBe(true);
  ring.batchesDone(2);
  expect(drainAll(ring)).toMatchObject({ batchesDone: 2 });
  expect(ring.owed).toBe(false);
  ring.batchesDone(1);
  expect(ring.owed).toBe(true);
  expect(drainAll(ring)).toEqual({ replies: [], batchesDone: 1 });
  expect(ring.owed).toBe(false);
});

test('reply ring: refused while the main thread has not put it in use, or took it out of use', () => {
  const main = new ReplyRing(ReplyRing.allocate());
  const worker = new ReplyRing(main.shared);
  expect(worker.tryWrite(1, Buffer.from('a'), 0, 0)).toBe(false);
  main.use(true);
  expect(worker.tryWrite(2, Buffer.from('b'), 0, 0)).toBe(true);
  main.use(false);
  expect(worker.tryWrite(3, Buffer.from('c'), 0, 0)).toBe(false);
  expect(drainAll(main).replies.map(({ requestId }) => requestId)).toEqual([2]);
});

test('reply ring: the oldest unread reply is dated by the time its worker wrote it', () => {
  const ring = ringInUse();
  expect(ring.oldestUnreadSince).toBe(Number.POSITIVE_INFINITY);
  ring.tryWrite(1, Buffer.from('a'), 0, 5);
  ring.tryWrite(2, Buffer.from('b'), 0, 7);
  expect(ring.oldestUnreadSince).toBe(5);
  drainAll(ring);
  expect(ring.oldestUnreadSince).toBe(Number.POSITIVE_INFINITY);
  ring.tryWrite(3, Buffer.from('c'), 0, 9);
  expect(ring.oldestUnreadSince).toBe(9);
});
