import { median } from './stats.js';

/**
 * The judgements a reader would otherwise have to make from raw figures, as pure functions so
 * each has its own tests: whether every connection was served, whether the warm-up settled, and
 * whether one contender's lead over another is larger than the runs' own spread.
 */

/** How evenly one window's replies were spread over its connections. */
export interface Fairness {
  readonly connections: number;
  /** Connections that got no reply at all inside the window. */
  readonly zeroReplyConnections: number;
  /**
   * Replies of the slowest connection as a share of an equal split (1: every connection got the
   * same; 0: one got nothing). 1 for a single connection.
   */
  readonly slowestShare: number;
}

/** A slowest share under this is flagged: a connection got less than a quarter of its due. */
export const UNFAIR_SHARE = 0.25;

/** Fairness of one window from replies per connection. */
export function fairnessOf(perConnection: readonly number[]): Fairness {
  const connections = perConnection.length;
  const total = perConnection.reduce((sum, count) => sum + count, 0);
  const zeroReplyConnections = perConnection.filter((count) => count === 0).length;
  let slowestShare = 1;
  if (total === 0) slowestShare = connections > 0 ? 0 : 1;
  else if (connections > 1) slowestShare = (Math.min(...perConnection) * connections) / total;
  return { connections, zeroReplyConnections, slowestShare };
}

/** The worst of several windows' fairness: most starved connections, smallest slowest share. */
export function worstFairness(windows: readonly Fairness[]): Fairness | undefined {
  if (windows.length === 0) return undefined;
  return {
    connections: Math.max(...windows.map((window) => window.connections)),
    zeroReplyConnections: Math.max(...windows.map((window) => window.zeroReplyConnections)),
    slowestShare: Math.min(...windows.map((window) => window.slowestShare)),
  };
}

/** True when some connection was starved: it got no reply, or far less than its share. */
export function isUnfair(fairness: Fairness): boolean {
  return fairness.zeroReplyConnections > 0 || fairness.slowestShare < UNFAIR_SHARE;
}

/** How one contender's runs compare with the best contender's runs in the same cell. */
export type Standing =
  | { readonly kind: 'best' }
  /** The two sets of runs overlap: the ratio is not a result. */
  | { readonly kind: 'within-noise'; readonly ratio: number }
  | { readonly kind: 'behind'; readonly ratio: number }
  /** Too few runs on one side to tell a lead from noise. */
  | { readonly kind: 'unknown'; readonly ratio: number };

/**
 * Where a contender stands against the best (a caller shows the best itself as `best`), by
 * their runs' headline figures, higher being better: `within-noise` when the ranges of the runs overlap, `behind` when even its best run
 * is below the best contender's worst, `unknown` with fewer than two runs on either side.
 */
export function standing(runs: readonly number[], bestRuns: readonly number[]): Standing {
  const best = median(bestRuns);
  const ratio = best > 0 ? median(runs) / best : 0;
  if (runs.length < 2 || bestRuns.length < 2) return { kind: 'unknown', ratio };
  return Math.max(...runs) >= Math.min(...bestRuns)
    ? { kind: 'within-noise', ratio }
    : { kind: 'behind', ratio };
}
