/**
 * Upper bounds, in seconds, of the handler time histogram's buckets: from 5 us (an echo) to 10 s
 * (a call near the default deadline of 30 s lands past the last bound). Every strategy, thread
 * and process buckets by the same bounds, so that histograms add bucket by bucket.
 */
export const HANDLER_TIME_BOUNDS_SECONDS: readonly number[] = Object.freeze([
  0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01,
  0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/**
 * How long handler calls took, from the call until it returned its reply, threw, or (for a
 * promise) settled, timed on the thread that ran it. `counts[i]` is the calls that took at most
 * `HANDLER_TIME_BOUNDS_SECONDS[i]` and more than the bound before it (not cumulative); the last
 * entry, one past the bounds, counts the calls that took longer than the last bound.
 */
export interface HandlerTimeHistogram {
  /** `HANDLER_TIME_BOUNDS_SECONDS.length + 1` entries. */
  readonly counts: readonly number[];
  /** Seconds, over every call. */
  readonly sum: number;
  /** Calls timed: the sum of `counts`. */
  readonly count: number;
}

export const EMPTY_HANDLER_TIME: HandlerTimeHistogram = Object.freeze({
  counts: Object.freeze(new Array<number>(HANDLER_TIME_BOUNDS_SECONDS.length + 1).fill(0)),
  sum: 0,
  count: 0,
});

/** The index in `counts` of a call that took `seconds`. */
export function handlerTimeBucket(seconds: number): number {
  let index = 0;
  while (
    index < HANDLER_TIME_BOUNDS_SECONDS.length &&
    seconds > HANDLER_TIME_BOUNDS_SECONDS[index]!
  )
    index++;
  return index;
}

/** The calls of every histogram together (from threads, processes, or reports over time). */
export function addHandlerTimes(parts: readonly HandlerTimeHistogram[]): HandlerTimeHistogram {
  const counts = [...EMPTY_HANDLER_TIME.counts];
  let sum = 0;
  let count = 0;
  for (const part of parts) {
    for (let index = 0; index < counts.length; index++) {
      counts[index] = counts[index]! + (part.counts[index] ?? 0);
    }
    sum += part.sum;
    count += part.count;
  }
  return { counts, sum, count };
}
