import Table from 'cli-table3';
import { formatBytes } from './plan.js';
import { type BenchReport, headline, type Summary, type WorkloadReport } from './report.js';

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
  const loop =
    options.rate === undefined
      ? `closed loop, depth ${options.depth}`
      : `open loop, ${options.rate} req/s per cell`;
  return [
    `Node ${env.node} on ${env.cpuModel} (${env.cores} cores), Linux ${env.kernel}`,
    `${loop}; warm-up ${options.warmupMs} ms, window ${options.durationMs} ms, ${options.runs} run(s); ${options.clients} load generator process(es); ${env.pinning}`,
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

/** One table per workload: a row per contender, grouped by cell, best first within a cell. */
export function renderWorkloadTable(workload: WorkloadReport): string {
  const head = [...HEAD];
  if (workload.unit === 'conn/s') head[1] = 'conn/s';
  const table = new Table({ head, style: { head: [], border: [], compact: true } });
  for (const cell of workload.cells) {
    table.push([{ colSpan: head.length, content: cell.label }]);
    const measured = cell.results.filter((result) => result.summary);
    const best = Math.max(0, ...measured.map((result) => headline(workload, result.summary!)));
    const ordered = [...cell.results].sort(
      (a, b) =>
        (b.summary ? headline(workload, b.summary) : -1) -
        (a.summary ? headline(workload, a.summary) : -1),
    );
    for (const result of ordered) {
      const summary = result.summary;
      if (!summary) {
        const why =
          result.status === 'ok' ? 'no measurement' : `${result.status}: ${result.error ?? ''}`;
        table.push([result.contender, { colSpan: head.length - 1, content: truncate(why, 90) }]);
        continue;
      }
      const figure = headline(workload, summary);
      table.push([
        result.contender,
        formatRate(summary.requestsPerSecond),
        summary.spreadPercent === undefined ? '' : `${summary.spreadPercent.toFixed(1)}%`,
        summary.megabytesPerSecond.toFixed(summary.megabytesPerSecond >= 100 ? 0 : 1),
        formatMicros(summary.p50),
        formatMicros(summary.p99),
        summary.serverCpuMicrosPerRequest.toFixed(1),
        formatBytes(Math.round(summary.serverPeakRssBytes / 1024 / 1024) * 1024 * 1024),
        figure === best ? 'best' : best > 0 ? `${(figure / best).toFixed(2)}x` : '',
        `${summary.loadCpuPercent.toFixed(0)}%${summary.saturatedClient ? ' !' : ''}`,
        notes(summary),
      ]);
    }
  }
  return table.toString();
}

/** The warnings a reader must see next to a figure. */
export function notes(summary: Summary): string {
  const parts: string[] = [];
  if (summary.errors > 0) parts.push(`${summary.errors} errors`);
  if (summary.unanswered > 0) parts.push(`${summary.unanswered} unanswered`);
  if (summary.saturatedClient) {
    parts.push(`! client CPU ${summary.loadCpuPercent.toFixed(0)}%: measures the client`);
  }
  return parts.join('; ');
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 3)}...` : text;
}

/** Every workload's table under a title, with the environment on top. */
export function renderReport(report: BenchReport): string {
  const sections = report.workloads.map(
    (workload) =>
      `${workload.name} (${workload.unit}): ${workload.description}\n${renderWorkloadTable(workload)}`,
  );
  return [renderEnvironment(report), ...sections].join('\n\n');
}
