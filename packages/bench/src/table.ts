import Table from 'cli-table3';
import { formatBytes } from './plan.js';
import {
  type BenchReport,
  type ContenderInfo,
  type ContenderResult,
  headline,
  type Summary,
  type WorkloadReport,
} from './report.js';
import { isUnfair, type Standing, standing } from './verdicts.js';

/** `12.3k`, `1.23M`: three significant digits are all a benchmark can honestly claim. */
export function formatRate(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toPrecision(3)}M`;
  if (value >= 1e3) return `${(value / 1e3).toPrecision(3)}k`;
  return value >= 100 ? value.toFixed(0) : value.toPrecision(3);
}

/** A latency in microseconds as `87 us`, `1.25 ms` or `2.10 s`. */
export function formatMicros(micros: number): string {
  if (micros >= 1e6) return `${(micros / 1e6).toFixed(2)} s`;
  if (micros >= 1e3) return `${(micros / 1e3).toFixed(2)} ms`;
  return `${Math.round(micros)} us`;
}

/** The header printed above the tables: what ran where, so numbers are never read bare. */
export function renderEnvironment(report: BenchReport): string {
  const { environment: env, options } = report;
  const warmup =
    options.warmupMaxMs > options.warmupMs
      ? `warm-up ${options.warmupMs}-${options.warmupMaxMs} ms until two ${options.steadyWindowMs} ms windows agree within ${options.steadyPercent}%`
      : `warm-up ${options.warmupMs} ms`;
  return [
    `Node ${env.node} on ${env.cpuModel} (${env.cores} cores), Linux ${env.kernel}`,
    `${warmup}; window ${options.durationMs} ms, ${options.runs} run(s); ${options.clients} load generator process(es); ${env.pinning}`,
  ].join('\n');
}

const HEAD = [
  'contender',
  'req/s',
  '+-',
  'MB/s',
  'p50',
  'p99',
  'CPU us/req',
  'RSS',
  'vs best',
  'client CPU',
  'notes',
];

/**
 * One table per workload: a row per contender, grouped by cell, best first within a cell. `tls`
 * names the contenders that served TLS: in a churn cell their row says that a connection is a
 * full handshake, so the conn/s column is their handshake rate.
 */
export function renderWorkloadTable(
  workload: WorkloadReport,
  tls: ReadonlySet<string> = new Set(),
): string {
  const head = [...HEAD];
  if (workload.unit === 'conn/s') head[1] = 'conn/s';
  const table = new Table({ head, style: { head: [], border: [], compact: true } });
  for (const cell of workload.cells) {
    table.push([{ colSpan: head.length, content: cell.label }]);
    const ordered = rankResults(workload, cell.results);
    const leader = ordered[0]?.summary ? ordered[0] : undefined;
    for (const result of ordered) {
      const summary = result.summary;
      if (!summary) {
        const why =
          result.status === 'ok' ? 'no measurement' : `${result.status}: ${result.error ?? ''}`;
        table.push([result.contender, { colSpan: head.length - 1, content: truncate(why, 90) }]);
        continue;
      }
      const place = leader
        ? standing(runFigures(workload, result), runFigures(workload, leader))
        : undefined;
      table.push([
        result.contender,
        formatRate(summary.requestsPerSecond),
        summary.spreadPercent === undefined ? '' : `${summary.spreadPercent.toFixed(1)}%`,
        summary.megabytesPerSecond.toFixed(summary.megabytesPerSecond >= 100 ? 0 : 1),
        formatMicros(summary.p50),
        formatMicros(summary.p99),
        summary.serverCpuMicrosPerRequest.toFixed(1),
        formatBytes(Math.round(summary.serverPeakRssBytes / 1024 / 1024) * 1024 * 1024),
        place ? formatStanding(result === leader ? { kind: 'best' } : place) : '',
        `${summary.loadCpuPercent.toFixed(0)}%${summary.saturatedClient ? ' !' : ''}`,
        [
          cell.pattern === 'churn' && tls.has(result.contender) && HANDSHAKE_NOTE,
          notes(summary, firstError(result)),
        ]
          .filter(Boolean)
          .join('; '),
      ]);
    }
  }
  return table.toString();
}

/**
 * Table order: contenders that served every connection by their headline figure, best first,
 * then those that starved some connection (a high figure bought by leaving clients waiting is no
 * lead), then those not measured.
 */
export function rankResults(
  workload: Pick<WorkloadReport, 'unit'>,
  results: readonly ContenderResult[],
): ContenderResult[] {
  const group = (result: ContenderResult) => (!result.summary ? 2 : result.summary.starved ? 1 : 0);
  return [...results].sort(
    (a, b) =>
      group(a) - group(b) ||
      (b.summary ? headline(workload, b.summary) : 0) -
        (a.summary ? headline(workload, a.summary) : 0),
  );
}

/** Each run's headline figure, in run order. */
function runFigures(workload: Pick<WorkloadReport, 'unit'>, result: ContenderResult): number[] {
  return result.runs.map((run) =>
    workload.unit === 'MB/s' ? run.megabytesPerSecond : run.requestsPerSecond,
  );
}

/** `best`, `0.62x`, `0.97x ~` (the runs overlap: within noise) or `0.80x ?` (too few runs). */
export function formatStanding(place: Standing): string {
  if (place.kind === 'best') return 'best';
  const ratio = `${place.ratio.toFixed(2)}x`;
  if (place.kind === 'within-noise') return `${ratio} ~`;
  return place.kind === 'unknown' ? `${ratio} ?` : ratio;
}

/** The note of a TLS contender's churn row. */
export const HANDSHAKE_NOTE = 'TLS: conn/s = full handshakes/s';

/** The contenders of `report` that served TLS. */
export function tlsContenders(report: Pick<BenchReport, 'contenders'>): Set<string> {
  return new Set(report.contenders.filter((contender) => contender.tls).map(({ name }) => name));
}

/**
 * What the TLS contenders and those on Unix sockets are, printed under the tables when there are
 * some (empty otherwise).
 */
export function transportLegend(contenders: readonly ContenderInfo[]): string {
  const named = (pick: (contender: ContenderInfo) => boolean | undefined) =>
    contenders.filter(pick).map(({ name }) => name);
  const tls = named((contender) => contender.tls);
  const unix = named((contender) => contender.unixSocket);
  const lines: string[] = [];
  if (tls.length > 0) {
    lines.push(
      `TLS (${tls.join(', ')}): served over TLS; the bench's clients check the server's\n` +
        'certificate and keep no session, so every connection is a full handshake, and in churn the\n' +
        "conn/s column is handshakes per second. CPU us/req includes the server's encryption.",
    );
  }
  if (unix.length > 0) {
    lines.push(
      `Unix socket (${unix.join(', ')}): listened on a Unix domain socket, and the bench's clients\n` +
        'connected to its path.',
    );
  }
  return lines.join('\n');
}

/** What the marks in the tables mean, printed once under them. */
export const LEGEND =
  'vs best: against the fastest contender that served every connection; "~" the runs overlap the\n' +
  'best\'s (within noise, not a result); "?" too few runs to tell. Starved contenders rank last.\n' +
  'notes: "starved" connections got no reply, or under a quarter of an even share, in some window;\n' +
  '"unsteady" throughput was still moving when warm-up ran out; "!" the load generator was saturated;\n' +
  '"conn per process" (servers of several processes): each one\'s open connections at the end of each\n' +
  'run, counted from /proc, not told by the server.';

/** The first error message of any run, to say what the errors were. */
function firstError(result: ContenderResult): string | undefined {
  return result.runs.find((run) => run.errorSamples.length > 0)?.errorSamples[0];
}

/** The warnings a reader must see next to a figure; `error` is one of the errors counted. */
export function notes(summary: Summary, error?: string): string {
  const parts: string[] = [];
  if (summary.errors > 0) {
    parts.push(`${summary.errors} errors${error ? ` (first: ${truncate(error, 120)})` : ''}`);
  }
  if (isUnfair(summary.fairness)) {
    const { zeroReplyConnections, connections, slowestShare } = summary.fairness;
    parts.push(
      zeroReplyConnections > 0
        ? `starved: ${zeroReplyConnections}/${connections} conn got 0 replies`
        : `starved: slowest conn got ${(slowestShare * 100).toFixed(0)}% of an even share`,
    );
  }
  if (summary.unanswered > 0) parts.push(`${summary.unanswered} unanswered`);
  if (!summary.steady) parts.push(`unsteady after ${summary.warmupMs} ms warm-up`);
  if (summary.saturatedClient) {
    parts.push(`! client CPU ${summary.loadCpuPercent.toFixed(0)}%: measures the client`);
  }
  if (summary.connectionsPerProcess) {
    const runs = summary.connectionsPerProcess.map((split) => split.join('+') || '-');
    parts.push(`conn per process: ${runs.join(', ')}`);
  }
  return parts.join('; ');
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 3)}...` : text;
}

/** Every workload's table under a title, with the environment on top. */
export function renderReport(report: BenchReport): string {
  const tls = tlsContenders(report);
  const sections = report.workloads.map(
    (workload) =>
      `${workload.name} (${workload.unit}): ${workload.description}\n${renderWorkloadTable(workload, tls)}`,
  );
  const legend = [LEGEND, transportLegend(report.contenders)].filter(Boolean).join('\n');
  return [renderEnvironment(report), ...sections, legend].join('\n\n');
}
