import {
  EMPTY_HANDLER_TIME,
  ErrorCode,
  type HandlerTimeHistogram,
  type ServerStats,
} from '@switchyard/protocol';
import { expect, test } from 'vitest';
import { EMPTY_STATS, retired, sumStats } from '../src/index.js';

/** A histogram with `calls` in bucket `bucket`, each taking `seconds`. */
function calls(bucket: number, count: number, seconds: number): HandlerTimeHistogram {
  const counts = [...EMPTY_HANDLER_TIME.counts];
  counts[bucket] = count;
  return { counts, sum: count * seconds, count };
}

const one: ServerStats = {
  accepted: 3,
  active: 2,
  refused: 1,
  bytesIn: 100,
  bytesOut: 90,
  framesIn: 10,
  framesOut: 9,
  bufferedBytes: 64,
  peakConnectionBufferedBytes: 4096,
  errors: { [ErrorCode.FRAME_TOO_LARGE]: 1, [ErrorCode.IDLE_TIMEOUT]: 2 },
  handlerTime: calls(0, 10, 0.000_001),
  workers: [{ index: 0, handlerTime: calls(0, 10, 0.000_001), exits: 1 }],
};
const other: ServerStats = {
  ...EMPTY_STATS,
  accepted: 5,
  active: 1,
  bytesIn: 7,
  peakConnectionBufferedBytes: 100,
  errors: { [ErrorCode.IDLE_TIMEOUT]: 3 },
  handlerTime: calls(4, 2, 0.000_1),
};

test("counters, error counts and handler times add up; the peak is the highest of any process; workers stay each process's own", () => {
  expect(sumStats([one, other])).toEqual({
    accepted: 8,
    active: 3,
    refused: 1,
    bytesIn: 107,
    bytesOut: 90,
    framesIn: 10,
    framesOut: 9,
    bufferedBytes: 64,
    peakConnectionBufferedBytes: 4096,
    errors: { [ErrorCode.FRAME_TOO_LARGE]: 1, [ErrorCode.IDLE_TIMEOUT]: 5 },
    handlerTime: {
      counts: EMPTY_HANDLER_TIME.counts.map((_, index) => (index === 0 ? 10 : index === 4 ? 2 : 0)),
      sum: expect.closeTo(0.000_21, 12),
      count: 12,
    },
  });
  expect(sumStats([])).toEqual(EMPTY_STATS);
});

test('a process that is gone keeps its totals and holds nothing', () => {
  expect(retired(one)).toEqual({ ...one, active: 0, bufferedBytes: 0 });
  expect(sumStats([retired(one), other]).active).toBe(1);
});
