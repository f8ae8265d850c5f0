import { EventEmitter } from 'node:events';
import type { BenchContender } from './contenders.js';
import { type BenchOptions, quickDefaults, thoroughDefaults } from './plan.js';
import type { BenchReport } from './report.js';
import { type BenchStep, runBench } from './run.js';

export {
  ABORT_GRACE_MS,
  type BenchContender,
  baselineContender,
  parseExternal,
  type ServerProcess,
  type ServiceSpec,
  sameService,
  startServer,
} from './contenders.js';
export { type DialTarget, type DialTls, dial } from './dial.js';
export { renderHtml } from './html.js';
export type { LoadResult, LoadSpec } from './load.js';
export {
  agreeWithin,
  type LatencySummary,
  LoadPool,
  type MergedLoad,
  type OpenLoad,
  type WarmupOutcome,
  type WindowTiming,
} from './load-pool.js';
export {
  type BenchOptions,
  type CellPlan,
  formatBytes,
  parseList,
  parseSize,
  planWorkloads,
  quickDefaults,
  thoroughDefaults,
  type WorkloadPlan,
} from './plan.js';
export { connectionsPerProcess, parseProcNetTcp, processTree } from './proc.js';
export {
  type BenchReport,
  type CellReport,
  type ContenderInfo,
  type ContenderResult,
  headline,
  type Measurement,
  REPORT_SCHEMA,
  type Summary,
  type WorkloadReport,
} from './report.js';
export { type BenchListener, type BenchStep, pinning } from './run.js';
export {
  formatMicros,
  formatRate,
  LEGEND,
  notes,
  renderReport,
  renderWorkloadTable,
  tlsContenders,
} from './table.js';
export { loadTraffic, makeTraffic, type ReplyChecker, type Traffic } from './traffic.js';
export {
  type Fairness,
  fairnessOf,
  isUnfair,
  type Standing,
  standing,
  UNFAIR_SHARE,
  worstFairness,
} from './verdicts.js';
export { verifyService } from './verify.js';
export { joinWindows } from './windows.js';

/** What `bench()` takes: the servers to compare, and any options over the preset. */
export interface BenchConfig extends Partial<BenchOptions> {
  /** The servers, in the order tables list them (see `baselineContender`, `parseExternal`). */
  readonly contenders: readonly BenchContender[];
  /** Stops every server and load generator and rejects the run with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** The events a run emits, for a progress display. */
export interface BenchEvents {
  /** Once, before the first window: how many windows are planned. */
  planned: [windows: number];
  /** Before each window (and for each one skipped). */
  step: [step: BenchStep];
  /** A contender failed to start or verify, or its server exited. */
  note: [message: string];
}

/**
 * A run in progress: an EventEmitter of progress events, and a promise of the report (the same
 * object `switchyard bench --json` writes).
 */
export class BenchRun extends EventEmitter<BenchEvents> implements PromiseLike<BenchReport> {
  readonly report: Promise<BenchReport>;

  constructor(options: BenchOptions, contenders: readonly BenchContender[], signal?: AbortSignal) {
    super();
    // Started on the next tick so that listeners attached right after `bench()` see every event.
    this.report = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
      runBench(
        options,
        contenders,
        {
          planned: (windows) => this.emit('planned', windows),
          step: (step) => this.emit('step', step),
          note: (message) => this.emit('note', message),
        },
        signal,
      ),
    );
  }

  // biome-ignore lint/suspicious/noThenProperty: a run is awaited for its report, as autocannon's is.
  then<A = BenchReport, B = never>(
    onFulfilled?: ((report: BenchReport) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.report.then(onFulfilled, onRejected);
  }
}

/**
 * Benchmarks `contenders` side by side. Options not given come from the thorough preset, or from
 * the quick one with `quick: true`. Every contender's replies are checked before and during
 * measurement; a contender that fails is reported as errored, not measured.
 */
export function bench(config: BenchConfig): BenchRun {
  const { contenders, signal, ...given } = config;
  const preset = given.quick ? quickDefaults : thoroughDefaults;
  const options = Object.fromEntries(
    Object.entries({ ...preset, ...given }).filter(([, value]) => value !== undefined),
  ) as unknown as BenchOptions;
  return new BenchRun(options, contenders, signal);
}
