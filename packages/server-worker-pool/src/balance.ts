/**
 * Which worker gets the next piece of work: pure functions of the workers' load, so the policy
 * is tested on its own (as piscina tests its balancer), apart from threads and sockets.
 */

/** One offload worker's load as the main thread sees it. */
export interface OffloadLoad {
  /** Requests sent or gathered for it and not yet answered. */
  readonly outstanding: number;
  /** Requests gathered for it this turn and not yet sent: one more rides the same message. */
  readonly gathered: number;
}

export interface OffloadCosts {
  /** Measured handler time per request, microseconds. */
  readonly handlerMicros: number;
  /** What one more message to a worker costs, in microseconds of handler time it is worth. */
  readonly messageMicros: number;
}

/**
 * Offload: the index of the worker expected to finish one more request first, -1 when there is
 * none. A worker's score is its outstanding requests times the handler cost, plus the cost of a
 * message when nothing is gathered for it yet; ties go to the lowest index. So a CPU-bound
 * handler spreads over every worker, and a cheap one (echo) fills one message before opening
 * another. Empty slots (`undefined`, a worker being replaced) are skipped.
 */
export function pickOffloadWorker(
  loads: readonly (OffloadLoad | undefined)[],
  { handlerMicros, messageMicros }: OffloadCosts,
): number {
  let best = -1;
  let bestScore = Number.POSITIVE_INFINITY;
  for (let index = 0; index < loads.length; index++) {
    const load = loads[index];
    if (!load) continue;
    const score = load.outstanding * handlerMicros + (load.gathered === 0 ? messageMicros : 0);
    if (score < bestScore) {
      best = index;
      bestScore = score;
    }
  }
  return best;
}

/**
 * Handoff: the index of the worker owning the fewest connections, -1 when there is none; ties
 * go to the lowest index. Empty slots are skipped.
 */
export function pickLeastLoaded(connections: readonly (number | undefined)[]): number {
  let best = -1;
  for (let index = 0; index < connections.length; index++) {
    const count = connections[index];
    if (count === undefined) continue;
    if (best === -1 || count < connections[best]!) best = index;
  }
  return best;
}

/** How offload spreads the requests of one connection. */
export type Affinity = 'connection' | 'request';

/**
 * Offload with affinity: the worker slot a connection's next request must go to, or undefined
 * when it is free to go wherever {@link pickOffloadWorker} says. Under `connection`, the slot it
 * is pinned to while that slot has a worker (a replaced worker keeps its slot); under `request`,
 * never. Takes the slots rather than a callback so that the per-request path allocates nothing.
 */
export function pinnedWorker(
  affinity: Affinity,
  pinned: number | undefined,
  slots: readonly unknown[],
): number | undefined {
  if (affinity !== 'connection' || pinned === undefined) return undefined;
  return slots[pinned] === undefined ? undefined : pinned;
}
