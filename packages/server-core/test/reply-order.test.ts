import { describe, expect, test } from 'vitest';
import { ReplyOrder } from '../src/reply-order.js';

const bytes = (text: string) => Buffer.from(text);

describe('reply order', () => {
  test('a synchronous reply with nothing owed before it is written at once and holds nothing', () => {
    const order = new ReplyOrder(Number.POSITIVE_INFINITY);
    expect(order.admit(bytes('a'))).toBe(true);
    expect(order.answeredNow(bytes('A'))).toBe(true);
    expect(order).toMatchObject({ bytes: 0, frames: 0, owed: false });
  });

  test('replies finishing out of order come out in request order', () => {
    const order = new ReplyOrder(Number.POSITIVE_INFINITY);
    const slots = ['a', 'b', 'c'].map((request) => {
      order.admit(bytes(request));
      return order.reserve(bytes(request));
    });
    order.settle();
    order.fill(slots[2]!, bytes('CCC'));
    order.settle();
    order.fill(slots[1]!, bytes('BB'));
    // The oldest is still owed: nothing may be written yet.
    expect(order.takeReady()).toBeUndefined();
    expect(order).toMatchObject({ bytes: 1 + 2 + 3, frames: 3, owed: true });

    order.settle();
    order.fill(slots[0]!, bytes('A'));
    const written: string[] = [];
    for (let reply = order.takeReady(); reply; reply = order.takeReady()) written.push(`${reply}`);
    expect(written).toEqual(['A', 'BB', 'CCC']);
    expect(order).toMatchObject({ bytes: 0, frames: 0, owed: false });
  });

  test('a synchronous reply behind an async one waits its turn and counts its bytes', () => {
    const order = new ReplyOrder(Number.POSITIVE_INFINITY);
    order.admit(bytes('slow'));
    const slow = order.reserve(bytes('slow'));
    order.admit(bytes('q'));
    expect(order.answeredNow(bytes('quick reply'))).toBe(false);
    expect(order.bytes).toBe(4 + 11);
    order.settle();
    order.fill(slow, bytes('S'));
    expect(`${order.takeReady()}`).toBe('S');
    expect(`${order.takeReady()}`).toBe('quick reply');
    expect(order.owed).toBe(false);
  });

  test('past maxInFlight, requests wait in order until a running call settles', () => {
    const order = new ReplyOrder(1);
    expect(order.admit(bytes('1'))).toBe(true);
    expect(order.admit(bytes('22'))).toBe(false);
    expect(order.admit(bytes('333'))).toBe(false);
    expect(order.takeRunnable()).toBeUndefined();
    expect(order).toMatchObject({ bytes: 5, frames: 2 });

    expect(order.answeredNow(bytes('1'))).toBe(true);
    expect(`${order.takeRunnable()}`).toBe('22');
    // It runs now: the next one waits for it.
    expect(order.takeRunnable()).toBeUndefined();
    order.abandon();
    expect(`${order.takeRunnable()}`).toBe('333');
    expect(order).toMatchObject({ bytes: 0, frames: 0, owed: true });
  });

  test('thousands of requests waiting at once (one read of tiny frames) come out in order, while more arrive', () => {
    const order = new ReplyOrder(4);
    const taken: string[] = [];
    let next = 0;
    const admit = (count: number) => {
      for (let i = 0; i < count; i++) {
        if (order.admit(bytes(`${next++}`))) taken.push(`${next - 1}`);
      }
    };
    admit(5000);
    expect(order.frames).toBe(5000 - 4);
    // Each finished call lets the oldest waiting one run; new requests keep joining the end.
    for (let round = 0; round < 7000; round++) {
      order.abandon();
      const request = order.takeRunnable();
      if (request !== undefined) taken.push(`${request}`);
      if (round % 3 === 0) admit(1);
    }
    expect(taken).toEqual(Array.from({ length: taken.length }, (_, n) => `${n}`));
    expect(order.frames).toBe(next - taken.length);
    while (order.frames > 0) {
      order.abandon();
      taken.push(`${order.takeRunnable()}`);
    }
    expect(taken).toEqual(Array.from({ length: next }, (_, n) => `${n}`));
    expect(order.bytes).toBe(0);
  });
});
