import { formatBytes, formatMicros, formatRate } from '@switchyard/bench';
import Table from 'cli-table3';
import type { AttackFigures } from './attack.js';
import { INVARIANT_TITLES } from './invariants.js';
import type { ChaosReport, InvariantId } from './report.js';
import type { Span } from './resources.js';

/** What a row says when it broke an invariant. */
const BROKE: Readonly<Record<InvariantId, string>> = {
  intact: 'BYTES LOST/WRONG',
  serving: 'NOT SERVING',
  resources: 'RESOURCES',
  'under-attack': 'GOOD CLIENTS STARVED',
};

/**
 * One server's run as text: a header saying what ran, a table with a row per phase (the good
 * clients' figures, the server's resources, what the attack did, which invariant the row broke),
 * the attacks skipped and why, and every invariant's verdict with its figures.
 */
export function renderChaosReport(report: ChaosReport): string {
  const { good, service } = report;
  const lines = [
    `${report.name} (${report.host}:${report.port}): ${service.workload} over ${service.codec}; ` +
      `${good.connections} good ${good.pattern === 'churn' ? 'connect-request-close loops' : 'connections'} ` +
      `(${formatBytes(good.size)} requests) because ${good.why}; ${report.durationMs} ms per phase`,
  ];
  if (report.error !== undefined) {
    lines.push(`errored: ${report.error}`, 'result: FAIL (the run could not be made)');
    return lines.join('\n');
  }
  const table = new Table({
    head: [
      'phase',
      'good req/s',
      '2nd half',
      'p99',
      'lost',
      'wrong',
      'RSS MiB',
      'fds',
      'attack',
      'verdict',
    ],
    style: { head: [], border: [] },
  });
  for (const phase of report.phases) {
    const broke = report.verdicts
      .filter((verdict) => verdict.phases.includes(phase.name))
      .map((verdict) => BROKE[verdict.invariant]);
    table.push([
      phase.name,
      formatRate(phase.good.requestsPerSecond),
      phase.goodLate ? formatRate(phase.goodLate.requestsPerSecond) : '',
      phase.good.requests > 0 ? formatMicros(phase.good.p99Us) : '-',
      formatBytes(phase.good.lostBytes),
      formatBytes(phase.good.wrongBytes),
      span(phase.resources?.rssBytes, (bytes) => (bytes / 1024 / 1024).toFixed(0)),
      span(phase.resources?.fds, String),
      phase.attack ? describeAttack(phase.attack) : '',
      broke.length > 0 ? broke.join(', ') : 'ok',
    ]);
  }
  lines.push(table.toString());
  for (const { attack, reason } of report.skipped) lines.push(`skipped ${attack}: ${reason}`);
  const samples = report.phases.flatMap((phase) =>
    phase.good.errorSamples.map((sample) => `  ${phase.name}: ${sample}`),
  );
  if (samples.length > 0) lines.push('good clients saw:', ...samples.slice(0, 5));
  lines.push('invariants:');
  for (const verdict of report.verdicts) {
    const status = verdict.status === 'not measured' ? 'n/a ' : verdict.status.toUpperCase();
    lines.push(`  ${status} ${INVARIANT_TITLES[verdict.invariant]}: ${verdict.detail}`);
  }
  const broken = report.verdicts.filter((verdict) => verdict.status === 'fail').length;
  lines.push(
    report.passed
      ? 'result: pass'
      : `result: FAIL (${broken} of ${report.verdicts.length} invariants broke)`,
  );
  return lines.join('\n');
}

/** `start/peak/end`, or `-` when not sampled. */
function span(value: Span | undefined, format: (value: number) => string): string {
  return value ? `${format(value.start)}/${format(value.peak)}/${format(value.end)}` : '-';
}

function describeAttack(figures: AttackFigures): string {
  const parts = [
    `${figures.connections} conn`,
    `${formatBytes(figures.bytesSent)} sent`,
    `${figures.endedByServer} ended by server`,
  ];
  if (figures.failedToConnect > 0) parts.push(`${figures.failedToConnect} refused`);
  return parts.join(', ');
}
