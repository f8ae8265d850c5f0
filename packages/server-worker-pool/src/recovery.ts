/**
 * What becomes of a dead worker's unanswered requests: a pure function of the requests and of how
 * far the worker got, so the rule is tested on its own.
 */

/** A request as the main thread tracks it: ids rise in the order a link sends them. */
export interface Orphan {
  readonly requestId: number;
}

export interface SortedOrphans<T> {
  /** Started on the dead thread: their handler ran (or was running), so they are not run twice. */
  readonly lost: T[];
  /** Never started: they go to live workers, in their original order. */
  readonly redispatch: T[];
}

/**
 * Sorts a dead worker's unanswered requests by `started`, the id of the last request its thread
 * began (a worker takes its requests in the order they were sent, so every id up to it began and
 * none after it did). Requests it finished whose replies it had already sent are answered, not
 * orphans; those it was running are lost with it; the rest never ran, and are re-dispatched.
 */
export function sortOrphans<T extends Orphan>(
  pending: Iterable<T>,
  started: number,
): SortedOrphans<T> {
  const lost: T[] = [];
  const redispatch: T[] = [];
  for (const request of pending) {
    (request.requestId <= started ? lost : redispatch).push(request);
  }
  return { lost, redispatch };
}
