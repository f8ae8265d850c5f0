import Table from 'cli-table3';
import { allCases } from './cases/index.js';
import type { CaseResult, SuiteReport } from './types.js';

const MARK: Record<CaseResult['status'], string> = { pass: 'pass', fail: 'FAIL', skip: 'skip' };

/** Case ids in suite order, then any the suite no longer knows (reports from another version). */
function caseIds(reports: readonly SuiteReport[]): string[] {
  const seen = new Set<string>();
  for (const report of reports) for (const result of report.results) seen.add(result.id);
  const known = allCases.map((definition) => definition.id).filter((id) => seen.has(id));
  return [...known, ...[...seen].filter((id) => !known.includes(id))];
}

/**
 * A human table, one row per case and one column per target (`pass`, `FAIL`, `skip`, `-` when
 * not run), a totals row, then each failure's message and each skip's reason below it.
 */
export function formatTable(reports: readonly SuiteReport[]): string {
  const table = new Table({
    head: ['case', 'tier', ...reports.map((report) => report.target.name)],
    style: { head: [], border: [] },
  });
  for (const id of caseIds(reports)) {
    const tier =
      reports.flatMap((report) => report.results).find((result) => result.id === id)?.tier ?? '';
    table.push([
      id,
      tier,
      ...reports.map((report) => {
        const result = report.results.find((candidate) => candidate.id === id);
        return result ? MARK[result.status] : '-';
      }),
    ]);
  }
  table.push([
    'passed / failed / skipped',
    '',
    ...reports.map(({ summary }) => `${summary.passed} / ${summary.failed} / ${summary.skipped}`),
  ]);
  const notes: string[] = [];
  for (const report of reports) {
    for (const result of report.results) {
      if (result.status === 'pass' || result.message === undefined) continue;
      notes.push(`${MARK[result.status]} ${report.target.name} ${result.id}: ${result.message}`);
    }
  }
  return [table.toString(), ...notes].join('\n');
}

/** The reports as pretty JSON (`{ reports: [...] }`), for machines and for keeping. */
export function toJson(reports: readonly SuiteReport[]): string {
  return `${JSON.stringify({ reports }, null, 2)}\n`;
}

/** Characters XML 1.0 cannot carry at all are dropped; the five specials are escaped. */
function xml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/**
 * JUnit XML as CI systems read it: one `<testsuite>` per target, one `<testcase>` per case
 * (classname `conformance.<target>`), `<failure>` with the message, `<skipped>` with the reason.
 */
export function toJUnitXml(reports: readonly SuiteReport[]): string {
  const total = (key: 'total' | 'failed' | 'skipped') =>
    reports.reduce((sum, report) => sum + report.summary[key], 0);
  const time = reports.reduce((sum, report) => sum + report.durationMs, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="switchyard conformance" tests="${total('total')}" failures="${total('failed')}" errors="0" skipped="${total('skipped')}" time="${seconds(time)}">`,
  ];
  for (const report of reports) {
    const { target, summary } = report;
    lines.push(
      `  <testsuite name="${xml(target.name)}" tests="${summary.total}" failures="${summary.failed}" errors="0" skipped="${summary.skipped}" time="${seconds(report.durationMs)}" timestamp="${xml(report.startedAt)}">`,
      '    <properties>',
      `      <property name="kind" value="${xml(target.kind)}"/>`,
      `      <property name="connections" value="${xml(target.capabilities.connections)}"/>`,
      `      <property name="parallelHandlers" value="${target.capabilities.parallelHandlers}"/>`,
      `      <property name="node" value="${xml(report.node)}"/>`,
      '    </properties>',
    );
    for (const result of report.results) {
      const open = `    <testcase classname="conformance.${xml(target.name)}" name="${xml(result.id)}" time="${seconds(result.durationMs)}"`;
      if (result.status === 'pass') {
        lines.push(`${open}/>`);
      } else if (result.status === 'skip') {
        lines.push(
          `${open}>`,
          `      <skipped message="${xml(result.message ?? '')}"/>`,
          '    </testcase>',
        );
      } else {
        const message = xml(result.message ?? 'failed');
        lines.push(
          `${open}>`,
          `      <failure message="${message}" type="${result.tier}">${message}</failure>`,
          '    </testcase>',
        );
      }
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
