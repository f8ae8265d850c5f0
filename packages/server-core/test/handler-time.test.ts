import {
  EMPTY_HANDLER_TIME,
  HANDLER_TIME_BOUNDS_SECONDS,
  type HandlerContext,
  handlerTimeBucket,
} from '@switchyard/protocol';
import { HandlerTimes, timeHandlerCalls } from '@switchyard/server-core';
import { afterEach, describe, expect, test, vi } from 'vitest';

const context = {} as HandlerContext;
const request = Buffer.from('ping');

/** `performance.now()` answers these, in order: each call's start, then its end. */
function clockReads(...milliseconds: number[]): void {
  const reads = [...milliseconds];
  vi.spyOn(performance, 'now').mockImplementation(() => {
    const next = reads.shift();
    if (next === undefined) throw new Error('the clock was read more often than expected');
    return next;
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('HandlerTimes', () => {
  test('counts each call in its bucket, with the sum in seconds', () => {
    const times = new HandlerTimes();
    times.observe(0.002); // 2 us
    times.observe(0.3); // 300 us
    times.observe(20_000); // 20 s, past the last bound
    const { counts, sum, count } = times.snapshot();
    expect(count).toBe(3);
    expect(sum).toBeCloseTo(20.000_302, 9);
    const expected = [...EMPTY_HANDLER_TIME.counts];
    for (const seconds of [0.000_002, 0.000_3, 20]) expected[handlerTimeBucket(seconds)]!++;
    expect(counts).toEqual(expected);
    expect(counts.at(-1)).toBe(1);
  });

  test('over a shared buffer, what one side observes the other reads; a past thread is added', () => {
    const shared = new SharedArrayBuffer(HandlerTimes.BYTES);
    const thread = new HandlerTimes(shared);
    const reader = new HandlerTimes(shared);
    thread.observe(1);
    thread.observe(1);
    expect(reader.snapshot()).toEqual(thread.snapshot());
    expect(reader.count).toBe(2);
    const server = new HandlerTimes();
    server.observe(5);
    server.add(reader.snapshot());
    expect(server.count).toBe(3);
    expect(server.snapshot().sum).toBeCloseTo(0.007, 9);
    expect(server.snapshot().counts[HANDLER_TIME_BOUNDS_SECONDS.indexOf(0.001)]).toBe(2);
    expect(new HandlerTimes().snapshot()).toEqual(EMPTY_HANDLER_TIME);
  });
});

describe('timeHandlerCalls', () => {
  test('a synchronous call is timed from its start to its return, with two clock reads', () => {
    const times = new HandlerTimes();
    const handle = timeHandlerCalls((bytes: Buffer) => bytes, times);
    clockReads(100, 100.04);
    expect(handle(request, context)).toBe(request);
    expect(times.count).toBe(1);
    expect(times.snapshot().sum).toBeCloseTo(0.000_04, 12);
    expect(performance.now).toHaveBeenCalledTimes(2);
  });

  test('a call that throws is timed and the error passes through unchanged', () => {
    const times = new HandlerTimes();
    const error = new Error('boom');
    const handle = timeHandlerCalls(() => {
      throw error;
    }, times);
    clockReads(0, 3);
    expect(() => handle(request, context)).toThrow(error);
    expect(times.count).toBe(1);
    expect(times.snapshot().sum).toBe(0.003);
  });

  test('a promise is timed until it settles, with its reply or its rejection passed on', async () => {
    const times = new HandlerTimes();
    let resolve!: (reply: Buffer) => void;
    const replies = timeHandlerCalls(
      () =>
        new Promise<Buffer>((settle) => {
          resolve = settle;
        }),
      times,
    );
    clockReads(10, 260, 1000, 1007);
    const pending = replies(request, context);
    expect(times.count).toBe(0);
    resolve(Buffer.from('pong'));
    expect(String(await pending)).toBe('pong');
    expect(times.count).toBe(1);
    expect(times.snapshot().sum).toBe(0.25);

    const error = new Error('rejected');
    const rejects = timeHandlerCalls(() => Promise.reject(error), times);
    await expect(rejects(request, context)).rejects.toBe(error);
    expect(times.count).toBe(2);
    expect(times.snapshot().sum).toBeCloseTo(0.257, 12);
  });

  test('what is neither bytes nor a promise is timed and handed back for the caller to refuse', () => {
    const times = new HandlerTimes();
    const handle = timeHandlerCalls(() => undefined as unknown as Buffer, times);
    clockReads(0, 1);
    expect(handle(request, context)).toBeUndefined();
    expect(times.count).toBe(1);
  });
});
