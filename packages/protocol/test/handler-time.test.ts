import {
  addHandlerTimes,
  EMPTY_HANDLER_TIME,
  HANDLER_TIME_BOUNDS_SECONDS,
  type HandlerTimeHistogram,
  handlerTimeBucket,
} from '@switchyard/protocol';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

/** A histogram of calls that took these many seconds, bucketed by the shared rule. */
function histogramOf(seconds: readonly number[]): HandlerTimeHistogram {
  const counts = [...EMPTY_HANDLER_TIME.counts];
  for (const each of seconds) counts[handlerTimeBucket(each)]!++;
  return { counts, sum: seconds.reduce((sum, each) => sum + each, 0), count: seconds.length };
}

const durations = fc.array(fc.double({ min: 0, max: 60, noNaN: true }), { maxLength: 40 });

describe('handler time buckets', () => {
  test('bounds rise strictly, and there is one count per bound plus one past the last', () => {
    for (let index = 1; index < HANDLER_TIME_BOUNDS_SECONDS.length; index++) {
      expect(HANDLER_TIME_BOUNDS_SECONDS[index]!).toBeGreaterThan(
        HANDLER_TIME_BOUNDS_SECONDS[index - 1]!,
      );
    }
    expect(EMPTY_HANDLER_TIME.counts).toHaveLength(HANDLER_TIME_BOUNDS_SECONDS.length + 1);
  });

  test('a call on a bound counts in that bound\'s bucket (at most, like Prometheus "le")', () => {
    expect(handlerTimeBucket(0)).toBe(0);
    expect(handlerTimeBucket(0.000_005)).toBe(0);
    expect(handlerTimeBucket(0.000_005_1)).toBe(1);
    expect(handlerTimeBucket(0.001)).toBe(HANDLER_TIME_BOUNDS_SECONDS.indexOf(0.001));
    expect(handlerTimeBucket(10)).toBe(HANDLER_TIME_BOUNDS_SECONDS.length - 1);
    expect(handlerTimeBucket(10.5)).toBe(HANDLER_TIME_BOUNDS_SECONDS.length);
  });

  test('every duration lands above the bound before its bucket and at most its own', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 100, noNaN: true }), (seconds) => {
        const index = handlerTimeBucket(seconds);
        const below = HANDLER_TIME_BOUNDS_SECONDS[index - 1] ?? -1;
        const bound = HANDLER_TIME_BOUNDS_SECONDS[index] ?? Number.POSITIVE_INFINITY;
        expect(seconds > below && seconds <= bound).toBe(true);
      }),
    );
  });
});

describe('adding histograms', () => {
  test('two histograms added are the histogram of both sets of calls', () => {
    fc.assert(
      fc.property(durations, durations, (first, second) => {
        const added = addHandlerTimes([histogramOf(first), histogramOf(second)]);
        const both = histogramOf([...first, ...second]);
        expect(added.counts).toEqual(both.counts);
        expect(added.count).toBe(both.count);
        expect(added.sum).toBeCloseTo(both.sum, 9);
      }),
    );
  });

  test('nothing added is the empty histogram, and the empty one is frozen', () => {
    expect(addHandlerTimes([])).toEqual(EMPTY_HANDLER_TIME);
    expect(Object.isFrozen(EMPTY_HANDLER_TIME.counts)).toBe(true);
  });
});
