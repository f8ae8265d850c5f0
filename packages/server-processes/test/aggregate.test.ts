import { ErrorCode, type ServerStats } from '@switchyard/protocol';
import { expect, test } from 'vitest';
import { EMPTY_STATS, retired, sumStats } from '../src/index.js';

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
};
const other: ServerStats = {
  ...EMPTY_STATS,
  accepted: 5,
  active: 1,
  bytesIn: 7,
  peakConnectionBufferedBytes: 100,
  errors: { [ErrorCode.IDLE_TIMEOUT]: 3 },
};

test('counters and error counts add up; the peak is the highest of any process', () => {
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
  });
  expect(sumStats([])).toEqual(EMPTY_STATS);
});

test('a process that is gone keeps its totals and holds nothing', () => {
  expect(retired(one)).toEqual({ ...one, active: 0, bufferedBytes: 0 });
  expect(sumStats([retired(one), other]).active).toBe(1);
});
