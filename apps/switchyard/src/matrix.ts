import {
  type CaseResult,
  listCases,
  runSuite,
  type StrategyTarget,
  type SuiteReport,
  type Target,
} from '@switchyard/conformance';
import type { CodecReference, ProxyProtocolVersion } from '@switchyard/protocol';
import { type Progress, silentProgress } from './progress.js';
import type { Contender } from './registry.js';

/**
 * The conformance target that runs a contender in-process; with `codec` (a built-in name or a
 * module specifier, which worker threads load too) every case runs over that codec; with
 * `proxyProtocol` every server takes PROXY headers and every client sends one.
 */
export function contenderTarget(
  contender: Contender,
  codec?: CodecReference,
  proxyProtocol?: ProxyProtocolVersion,
): StrategyTarget {
  return {
    kind: 'strategy',
    strategy: contender.strategy,
    options: {
      ...contender.options,
      ...(codec !== undefined && { codec }),
      ...(proxyProtocol !== undefined && { proxyProtocol }),
    },
    name: contender.name,
  };
}

export interface MatrixOptions {
  /** Case id patterns, as `runSuite` takes them. */
  readonly filter?: string;
  /** A line as each target finishes and for each failing case; a status as each case finishes. */
  readonly progress?: Progress;
}

/** Totals over a matrix, and whether a MUST case failed anywhere. */
export interface MatrixSummary {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly mustFailed: number;
}

/**
 * Runs the suite against each target in turn: one at a time, because several cases measure
 * ordering and concurrency that another suite running beside them would disturb.
 */
export async function runMatrix(
  targets: readonly Target[],
  { filter, progress = silentProgress }: MatrixOptions = {},
): Promise<SuiteReport[]> {
  const reports: SuiteReport[] = [];
  const cases = listCases(filter).length;
  for (const [index, target] of targets.entries()) {
    const name = target.name ?? (target.kind === 'strategy' ? target.strategy.name : 'target');
    const position = `[${index + 1}/${targets.length}] ${name}`;
    let done = 0;
    progress.status(`${position}: starting`);
    const onResult = (result: CaseResult) => {
      done++;
      if (result.status === 'fail') {
        progress.line(`  FAIL ${result.id} (${result.tier}): ${result.message ?? 'failed'}`);
      }
      progress.status(`${position}: ${done}/${cases} cases, last ${result.id}`);
    };
    const report = await runSuite(target, { ...(filter && { filter }), onResult });
    const { passed, failed, skipped } = report.summary;
    progress.line(
      `${position}: ${passed} passed, ${failed} failed, ${skipped} skipped (${(report.durationMs / 1000).toFixed(1)} s)`,
    );
    reports.push(report);
  }
  return reports;
}

export function summarizeMatrix(reports: readonly SuiteReport[]): MatrixSummary {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let mustFailed = 0;
  for (const report of reports) {
    passed += report.summary.passed;
    failed += report.summary.failed;
    skipped += report.summary.skipped;
    for (const result of report.results) {
      if (result.status === 'fail' && result.tier === 'MUST') mustFailed++;
    }
  }
  return { passed, failed, skipped, mustFailed };
}

/** The line every matrix ends with: `N passed, N failed, N skipped`. */
export function summaryLine({ passed, failed, skipped }: MatrixSummary): string {
  return `${passed} passed, ${failed} failed, ${skipped} skipped`;
}
