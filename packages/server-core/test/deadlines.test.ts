import { ErrorCode, type SwitchyardError } from '@switchyard/protocol';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { FrameDeadline, HandlerDeadline } from '../src/deadlines.js';
import { ReplyOrder } from '../src/reply-order.js';

const LIMIT_MS = 1000;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});

afterEach(() => {
  vi.useRealTimers();
});

function frameDeadline() {
  const expired: SwitchyardError[] = [];
  const deadline = new FrameDeadline(LIMIT_MS, { fail: (error) => expired.push(error) });
  return { deadline, expired };
}

describe('the frame deadline', () => {
  test('a frame still partial after the limit expires, with SWITCHYARD_ERR_FRAME_TIMEOUT', () => {
    const { deadline, expired } = frameDeadline();
    deadline.afterRead(true, false);
    vi.advanceTimersByTime(LIMIT_MS - 1);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired.map((error) => error.code)).toEqual([ErrorCode.FRAME_TIMEOUT]);
  });

  test('more bytes of the same frame do not move its start (a slowloris gains nothing)', () => {
    const { deadline, expired } = frameDeadline();
    deadline.afterRead(true, false);
    for (let i = 0; i < 9; i++) {
      vi.advanceTimersByTime(100);
      deadline.afterRead(true, false);
    }
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(expired).toHaveLength(1);
  });

  test('frames that complete in time never expire, however long the connection lives', () => {
    const { deadline, expired } = frameDeadline();
    for (let i = 0; i < 20; i++) {
      deadline.afterRead(true, false);
      vi.advanceTimersByTime(LIMIT_MS - 100);
      // This read completes the frame and starts the next one.
      deadline.afterRead(true, true);
    }
    deadline.afterRead(false, true);
    vi.advanceTimersByTime(10 * LIMIT_MS);
    expect(expired).toEqual([]);
  });

  test('stops when the connection stops reading', () => {
    const { deadline, expired } = frameDeadline();
    deadline.afterRead(true, false);
    deadline.stop();
    vi.advanceTimersByTime(10 * LIMIT_MS);
    expect(expired).toEqual([]);
  });
});

function handlerDeadline() {
  const order = new ReplyOrder(Number.POSITIVE_INFINITY);
  const expired: SwitchyardError[] = [];
  const deadline = new HandlerDeadline(LIMIT_MS, order, {
    timedOut: (error) => expired.push(error),
  });
  /** A handler call starting now, pending until the test settles it (as Connection does). */
  const start = () => {
    order.admit(Buffer.from('request'));
    const slot = order.reserve(Buffer.from('request'), deadline.now());
    if (order.oldestPending === slot) deadline.watchOldest();
    return slot;
  };
  const settle = (slot: ReturnType<typeof start>) => {
    order.settle();
    order.fill(slot, Buffer.from('reply'));
    while (order.takeReady() !== undefined);
  };
  return { start, settle, expired };
}

describe('the handler deadline', () => {
  test('a call not settled within the limit expires, with SWITCHYARD_ERR_HANDLER_TIMEOUT', () => {
    const { start, expired } = handlerDeadline();
    start();
    vi.advanceTimersByTime(LIMIT_MS - 1);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired.map((error) => error.code)).toEqual([ErrorCode.HANDLER_TIMEOUT]);
  });

  test('calls that settle in time never expire', () => {
    const { start, settle, expired } = handlerDeadline();
    for (let i = 0; i < 20; i++) {
      const slot = start();
      vi.advanceTimersByTime(LIMIT_MS - 1);
      settle(slot);
    }
    vi.advanceTimersByTime(10 * LIMIT_MS);
    expect(expired).toEqual([]);
  });

  test('each call is timed from its own start, not from the oldest one before it', () => {
    const { start, settle, expired } = handlerDeadline();
    const first = start();
    vi.advanceTimersByTime(500);
    start();
    vi.advanceTimersByTime(300);
    settle(first);
    // The second started at 500: late at 1500, not at 1000 when the first would have been.
    vi.advanceTimersByTime(LIMIT_MS - 800);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(499);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toHaveLength(1);
  });
});
