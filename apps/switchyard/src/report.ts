import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SuiteReport, toJson } from '@switchyard/conformance';

/** Everything `start` found, for the report file. */
export interface StartReport {
  readonly startedAt: Date;
  readonly contenders: readonly string[];
  readonly matrix: string;
  readonly summary: string;
  readonly reports: readonly SuiteReport[];
  /** The bench's tables, or why there are none. */
  readonly bench: string;
  /** Files the bench wrote (paths relative to the report directory's parent or absolute). */
  readonly benchFiles: readonly string[];
}

/** Writes `report.md` (what `start` printed, readable anywhere) and `conformance.json`. */
export async function writeStartReport(dir: string, report: StartReport): Promise<string[]> {
  const markdown = join(dir, 'report.md');
  const json = join(dir, 'conformance.json');
  const text = [
    '# Switchyard report',
    '',
    `- date: ${report.startedAt.toISOString()}`,
    `- node: ${process.version} on ${process.platform}/${process.arch}`,
    `- contenders: ${report.contenders.join(', ')}`,
    '',
    '## Conformance',
    '',
    '```text',
    report.matrix,
    report.summary,
    '```',
    '',
    '## Benchmark',
    '',
    '```text',
    report.bench,
    '```',
    '',
    ...(report.benchFiles.length > 0
      ? ['Files:', '', ...report.benchFiles.map((file) => `- ${file}`), '']
      : []),
  ].join('\n');
  await writeFile(markdown, text);
  await writeFile(json, toJson(report.reports));
  return [markdown, json];
}
