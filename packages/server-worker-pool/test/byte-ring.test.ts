import { expect, test } from 'vitest';
import { ByteRing, ReplyLender, RING_MIN_BYTES, totalLength, worthRing } from '../src/byte-ring.js';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

test('regions are handed out in order and come back in order; a full ring says no', () => {
  const ring = ByteRing.create(100);
  const a = ring.reserve(40)!;
  const b = ring.reserve(40)!;
  expect([a.at, b.at]).toEqual([0, 40]);
  expect(ring.reserve(30)).toBeUndefined();
  ring.release(a.size);
  // The 20 bytes left at the end are too few: the region starts over at 0 and counts the skip.
  const c = ring.reserve(30)!;
  expect(c).toEqual({ at: 0, size: 50 });
  expect(ring.available).toBe(10);
  ring.release(b.size);
  ring.release(c.size);
  expect(ring.available).toBe(100);
});

test('what one side writes the other reads, through the same shared memory', () => {
  const producer = ByteRing.create(64);
  const consumer = new ByteRing(producer.shared);
  const region = producer.reserve(5)!;
  const ends = producer.write(region.at, [bytes(2, 7), bytes(3, 9)]);
  expect(ends).toEqual([2, 5]);
  expect([...consumer.view(region.at, ends, 0)]).toEqual([7, 7]);
  expect([...consumer.view(region.at, ends, 1)]).toEqual([9, 9, 9]);
  consumer.release(region.size);
  expect(producer.available).toBe(64);
});

test('an answer goes back once every reply lent from it is written, and only after older ones', () => {
  const ring = ByteRing.create(100);
  const lender = new ReplyLender(ring);
  const first = lender.arrived(ring.reserve(30)!.size);
  lender.lend(first);
  lender.done(first);
  const second = lender.arrived(ring.reserve(30)!.size);
  lender.done(second);
  // The second is done, but a reply of the first is still in a socket: nothing goes back yet.
  expect(ring.available).toBe(40);
  lender.done(first);
  expect(ring.available).toBe(100);
});

test('a ring is worth it for payloads of 4 KiB or more on average, not for small ones', () => {
  const parts = (...sizes: number[]) => sizes.map((size) => new Uint8Array(size));
  const worth = (list: Uint8Array[]) => worthRing(list.length, totalLength(list));
  expect(RING_MIN_BYTES).toBe(4096);
  expect(worth(parts(10240))).toBe(true);
  expect(worth(parts(4096, 4096))).toBe(true);
  expect(worth(parts(1024, 1024, 1024))).toBe(false);
  // One large request among many small ones: the average decides, as the copies do.
  expect(worth(parts(16384, 64, 64, 64))).toBe(true);
  expect(worth(parts(8192, 64, 64, 64))).toBe(false);
  expect(worth([])).toBe(false);
});
