import { describe, expect, test } from 'vitest';
import {
  BATCH_TARGET_MICROS,
  batchLimit,
  fairShare,
  MAX_BATCH_REQUESTS,
  MAX_REQUESTS_PER_CONNECTION,
  maxRequestsInPool,
  mayRun,
  overMemoryCap,
  overShare,
  POOL_REQUEST_OVERHEAD_BYTES,
  poolHeldBytes,
  RELAY_MICROS,
  roomInShare,
} from '../src/admission.js';

describe('fairShare', () => {
  test('a connection alone may fill the queue', () => {
    expect(fairShare(4096, 1)).toBe(4096);
  });

  test('the queue is divided evenly among the connections using it, rounding down', () => {
    expect(fairShare(4096, 2)).toBe(2048);
    expect(fairShare(100, 3)).toBe(33);
  });

  test('every connection gets at least one request, however many share the queue', () => {
    expect(fairShare(16, 1000)).toBe(1);
  });

  test('no connection counted is the same as one', () => {
    expect(fairShare(64, 0)).toBe(64);
  });
});

describe('roomInShare and overShare', () => {
  test('room is what is left of the share', () => {
    expect(roomInShare({ queued: 10, waiting: 0 }, 64, 2)).toBe(22);
    expect(overShare({ queued: 10, waiting: 0 }, 64, 2)).toBe(false);
  });

  test('at its share a connection has no room and is over it', () => {
    expect(roomInShare({ queued: 32, waiting: 0 }, 64, 2)).toBe(0);
    expect(overShare({ queued: 32, waiting: 0 }, 64, 2)).toBe(true);
  });

  test('a share that shrank below what a connection holds leaves no room, never less', () => {
    expect(roomInShare({ queued: 64, waiting: 0 }, 64, 4)).toBe(0);
    expect(overShare({ queued: 64, waiting: 0 }, 64, 4)).toBe(true);
  });

  test('with requests already waiting a connection stays over its share, so they keep their order', () => {
    expect(roomInShare({ queued: 1, waiting: 5 }, 64, 2)).toBe(31);
    expect(overShare({ queued: 1, waiting: 5 }, 64, 2)).toBe(true);
  });
});

describe('memory', () => {
  test('the pool holds its overhead for every request queued or waiting', () => {
    expect(poolHeldBytes({ queued: 3, waiting: 2 })).toBe(5 * POOL_REQUEST_OVERHEAD_BYTES);
  });

  test('a connection is over its cap when its own bytes and the pool’s reach it', () => {
    const load = { queued: 2, waiting: 0 };
    const pool = 2 * POOL_REQUEST_OVERHEAD_BYTES;
    expect(overMemoryCap(load, 10_000 - pool - 1, 10_000)).toBe(false);
    expect(overMemoryCap(load, 10_000 - pool, 10_000)).toBe(true);
  });

  test('never while the pool holds nothing for it: then the connection decides alone', () => {
    expect(overMemoryCap({ queued: 0, waiting: 0 }, 50_000, 10_000)).toBe(false);
  });

  test('more requests run while unwritten replies and requests in the pool are below the cap', () => {
    const overhead = POOL_REQUEST_OVERHEAD_BYTES;
    expect(mayRun(0, 0, 0, 10_000)).toBe(true);
    expect(mayRun(4000, 2, 1000, 10_000)).toBe(true);
    expect(mayRun(9000 - 2 * overhead, 2, 1000, 10_000)).toBe(false);
    // Replies its client does not read stop it alone.
    expect(mayRun(10_000, 0, 0, 10_000)).toBe(false);
  });

  test('nothing unwritten and nothing running: a request runs, however large', () => {
    expect(mayRun(0, 0, 0, 1)).toBe(true);
  });

  test('a connection may hand the pool no more requests than its cap pays for, nor than the queue, nor than a bound of its own', () => {
    const perRequest = POOL_REQUEST_OVERHEAD_BYTES + 128;
    expect(maxRequestsInPool(4096, 1024 * 1024)).toBe(MAX_REQUESTS_PER_CONNECTION);
    expect(maxRequestsInPool(4096, 64 * 1024)).toBe(Math.floor((64 * 1024) / perRequest));
    expect(maxRequestsInPool(16, 1024 * 1024)).toBe(16);
    expect(maxRequestsInPool(4096, 100)).toBe(1);
  });
});

describe('batchLimit', () => {
  test('a message stands for about a millisecond of handler and relay time', () => {
    expect(batchLimit(BATCH_TARGET_MICROS / 10 - RELAY_MICROS)).toBe(10);
    expect(batchLimit(250 - RELAY_MICROS)).toBe(4);
  });

  test('cheap requests are bounded by what relaying them costs the main thread', () => {
    expect(batchLimit(0)).toBe(Math.floor(BATCH_TARGET_MICROS / RELAY_MICROS));
  });

  test('at least one request, however costly', () => {
    expect(batchLimit(50_000)).toBe(1);
  });

  test('a cost that is not a number gives the most', () => {
    expect(batchLimit(Number.NaN)).toBe(MAX_BATCH_REQUESTS);
  });
});
