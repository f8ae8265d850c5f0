import { mkdir } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { formatTable, listCases } from '@switchyard/conformance';
import { Command } from 'commander';
import { Interrupts } from '../interrupt.js';
import { contenderTarget, runMatrix, summarizeMatrix, summaryLine } from '../matrix.js';
import { stderrProgress } from '../progress.js';
import { contenders } from '../registry.js';
import { writeStartReport } from '../report.js';
import { startBench } from './bench.js';

interface StartFlags {
  reportDir: string;
  bench: boolean;
  case?: string;
}

/** `switchyard start`: what `pnpm start` runs. */
export function startCommand(): Command {
  return new Command('start')
    .description(
      'conformance matrix for every strategy, then a quick side-by-side bench; writes a report',
    )
    .option('--report-dir <dir>', 'where to write the report (a folder per run)', 'reports')
    .option('--no-bench', 'only the conformance matrix')
    .option('--case <pattern>', 'only these conformance cases (see conformance --help)')
    .addHelpText(
      'after',
      '\nExits 1 when any MUST conformance case fails (the bench still runs).\n',
    )
    .action((flags: StartFlags) => start(flags));
}

/** A path relative to the working directory when it is inside it, else absolute. */
function displayPath(path: string): string {
  const shown = relative(process.cwd(), path);
  return shown.startsWith('..') ? path : shown;
}

async function start(flags: StartFlags): Promise<void> {
  const interrupts = new Interrupts();
  try {
    await startWith(flags, interrupts);
  } finally {
    interrupts.dispose();
  }
}

async function startWith(flags: StartFlags, interrupts: Interrupts): Promise<void> {
  // Checked before anything starts: a --case that matches nothing is a typo, not an empty pass.
  listCases(flags.case, '--case');
  // Progress on stderr, so a long run never looks stuck and stdout stays the tables.
  const progress = stderrProgress();
  const startedAt = new Date();
  const dir = resolve(flags.reportDir, startedAt.toISOString().replace(/[:.]/g, '-'));
  await mkdir(dir, { recursive: true });
  const all = contenders();
  const names = all.map((contender) => contender.name);

  console.log(`switchyard start on Node ${process.version}: ${names.join(', ')}`);
  progress.line(`conformance: ${all.length} strategies, one after another`);
  const targets = all.map((contender) => contenderTarget(contender));
  const reports = await runMatrix(targets, {
    progress,
    ...(flags.case && { filter: flags.case }),
  });
  const summary = summarizeMatrix(reports);
  const matrix = formatTable(reports);
  console.log(`\nConformance\n\n${matrix}\n${summaryLine(summary)}\n`);

  let bench = 'skipped (--no-bench)';
  let benchFiles: readonly string[] = [];
  if (flags.bench) {
    progress.line('bench: starting');
    const result = await startBench(dir, interrupts);
    bench = result.text;
    benchFiles = result.files;
    console.log(`Benchmark\n\n${bench}\n`);
  }

  const written = await writeStartReport(dir, {
    startedAt,
    contenders: names,
    matrix: stripVTControlCharacters(matrix),
    summary: summaryLine(summary),
    reports,
    bench: stripVTControlCharacters(bench),
    benchFiles: benchFiles.map((file) => relative(dir, resolve(dir, file))),
  });
  console.log(`report: ${displayPath(written[0]!)}`);
  if (summary.mustFailed > 0) {
    console.log(`${summary.mustFailed} MUST case(s) failed`);
    process.exitCode = 1;
  }
}
