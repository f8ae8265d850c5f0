import type { ChaosOptions } from './options.js';
import { resolveChaosOptions } from './options.js';
import type { ChaosReport } from './report.js';
import { runChaos } from './run.js';

export {
  type Attack,
  type AttackedServer,
  type AttackFigures,
  type AttackRun,
  type AttackTarget,
  type PlannedAttack,
  planAttacks,
} from './attack.js';
export {
  attackNames,
  builtinAttacks,
  type DribbleOptions,
  dribble,
  type FloodOptions,
  flood,
  type GarbageOptions,
  garbage,
  type NeverReadOptions,
  neverRead,
  type OversizedOptions,
  oversized,
  type PartialOptions,
  partial,
  type ResetOptions,
  reset,
  type SlowlorisOptions,
  selectAttacks,
  slowloris,
} from './attacks/index.js';
export { AttackConnections } from './connections.js';
export { fillerFrame, garbage as garbageBytes, oversizedFrame, partialFrame } from './frames.js';
export {
  DEFAULT_THRESHOLDS,
  goodBytesIntact,
  INVARIANT_TITLES,
  resourcesReturned,
  servedUnderAttack,
  servingAtEnd,
} from './invariants.js';
export {
  assertLoopback,
  type ChaosOptions,
  isLoopback,
  MAX_ATTACKED_FRAME_BYTES,
  type ResolvedChaosOptions,
  resolveChaosOptions,
} from './options.js';
export {
  CHAOS_REPORT_SCHEMA,
  type ChaosReport,
  type GoodFigures,
  type InvariantId,
  type PhaseReport,
  type Thresholds,
  type Verdict,
} from './report.js';
export {
  joinSpans,
  type ResourceReading,
  type ResourceSpan,
  readResources,
  type Span,
  spanOf,
} from './resources.js';
export { renderChaosReport } from './table.js';

/**
 * Attacks one server the way an operator would before trusting it: good clients verify every
 * reply byte through a baseline, each attack in turn, and a settle; the report has each phase's
 * figures and the verdict of every invariant (`passed` is false when one broke). Throws
 * `SWITCHYARD_ERR_INVALID_OPTION` for options that cannot run (a target off loopback); a server
 * that cannot start or answers wrongly gives a report with `error`. Once `signal` aborts, the
 * server and load generator are stopped and the promise rejects with the signal's reason.
 */
export async function chaos(options: ChaosOptions): Promise<ChaosReport> {
  const resolved = resolveChaosOptions(options);
  const report = await runChaos(resolved, options);
  options.signal?.throwIfAborted();
  return report;
}
