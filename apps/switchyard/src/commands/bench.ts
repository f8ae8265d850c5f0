import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MultiBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { renderHtml } from '../bench/html.js';
import {
  type BenchOptions,
  parseList,
  parseSize,
  quickDefaults,
  thoroughDefaults,
  type WorkloadName,
  workloadNames,
} from '../bench/plan.js';
import type { BenchReport } from '../bench/report.js';
import { type BenchProgress, runBench } from '../bench/run.js';
import { renderReport } from '../bench/table.js';
import { parseInteger } from '../options.js';
import { contenderNames } from '../registry.js';

/** What commander hands the action: every option may be missing (the preset fills it). */
interface BenchFlags {
  quick?: boolean;
  workload?: string;
  sizes?: string;
  connections?: string;
  depth?: string;
  rate?: string;
  burnRounds?: string;
  warmupMs?: string;
  durationMs?: string;
  runs?: string;
  clients?: string;
  pin?: boolean;
  host?: string;
  strategy?: string;
  baseline?: boolean;
  external?: string[];
  json?: string;
  html?: string;
  progress?: boolean;
}

/** `switchyard bench`. */
export function benchCommand(): Command {
  return new Command('bench')
    .description('benchmark every strategy (and baseline, and external servers) side by side')
    .option('--quick', 'a handful of cells with short windows (what `start` runs)')
    .option('--workload <list>', `workloads to run: ${workloadNames.join(',')}`)
    .option('--sizes <list>', 'echo request sizes, e.g. 64,1k,10k,100k')
    .option('--connections <list>', 'echo connection counts, e.g. 1,10,100')
    .option('--depth <n>', 'closed loop: requests in flight per connection')
    .option(
      '--rate <n>',
      'open loop: requests per second per cell (latency from the scheduled time)',
    )
    .option('--burn-rounds <n>', 'SHA-256 rounds per request for the burn workload')
    .option('--warmup-ms <ms>', 'load before each window, not measured')
    .option('--duration-ms <ms>', 'length of each measurement window')
    .option('--runs <n>', 'windows per contender per cell (contenders alternate between runs)')
    .option('--clients <n>', 'load-generator processes')
    .option('--pin', 'pin servers and load generators to different CPUs with taskset')
    .option('--host <host>', 'loopback address to run servers on (127.0.0.1 or ::1)')
    .option(
      '--strategy <list>',
      `strategies or contenders to include: all, or a comma-separated list of ${contenderNames().join(', ')}`,
    )
    .option('--no-baseline', 'leave out the bare net echo server')
    .addOption(
      new Option(
        '--external <NAME=COMMAND>',
        "also measure an echo server command; {port} is replaced, e.g. py='python3 echo.py {port}' (repeatable)",
      ).argParser((value: string, previous: string[] = []) => [...previous, value]),
    )
    .option('--json <file>', 'write every raw figure and the environment as JSON')
    .option('--html <file>', 'write a self-contained HTML page with charts')
    .option('--no-progress', 'no progress bar')
    .addHelpText(
      'after',
      '\nDefaults (without --quick): echo 64,1k,10k,100k x 1,10,100 connections, burn, bulk, churn;\n' +
        'warm-up 1000 ms, window 3000 ms, 3 runs. See the README section "switchyard bench".',
    )
    .action(async (flags: BenchFlags) => {
      const options = benchOptionsFrom(flags);
      const progress = progressBar(flags.progress !== false);
      const report = await runBench(options, progress).finally(() => progress.finished?.());
      console.log(renderReport(report));
      for (const file of await writeReports(report, { json: flags.json, html: flags.html })) {
        console.error(`wrote ${file}`);
      }
      if (hasErrors(report)) process.exitCode = 1;
    });
}

/** Turns flags into options: the preset (`--quick` or thorough) with every given flag on top. */
export function benchOptionsFrom(flags: BenchFlags): BenchOptions {
  const base = flags.quick ? quickDefaults : thoroughDefaults;
  const integer = (text: string | undefined, option: string, min = 1) =>
    text === undefined ? undefined : parseInteger(text, option, { min });
  const options: BenchOptions = {
    ...base,
    workloads: flags.workload ? parseList(flags.workload, parseWorkload) : base.workloads,
    sizes: flags.sizes ? parseList(flags.sizes, (item) => parseSize(item)) : base.sizes,
    connections: flags.connections
      ? parseList(flags.connections, (item) => parseInteger(item, '--connections', { min: 1 }))
      : base.connections,
    depth: integer(flags.depth, '--depth') ?? base.depth,
    rate: integer(flags.rate, '--rate') ?? base.rate,
    burnRounds: integer(flags.burnRounds, '--burn-rounds') ?? base.burnRounds,
    warmupMs: integer(flags.warmupMs, '--warmup-ms', 0) ?? base.warmupMs,
    durationMs: integer(flags.durationMs, '--duration-ms') ?? base.durationMs,
    runs: integer(flags.runs, '--runs') ?? base.runs,
    clients: integer(flags.clients, '--clients') ?? base.clients,
    pin: flags.pin ?? base.pin,
    host: flags.host ?? base.host,
    strategies: flags.strategy ?? base.strategies,
    baseline: flags.baseline ?? base.baseline,
    externals: flags.external ?? base.externals,
  };
  return options;
}

function parseWorkload(name: string): WorkloadName {
  if (!(workloadNames as readonly string[]).includes(name)) {
    throw new Error(`unknown workload "${name}" (known: ${workloadNames.join(', ')})`);
  }
  return name as WorkloadName;
}

/** True when any contender errored or any reply was wrong. */
export function hasErrors(report: BenchReport): boolean {
  return report.workloads.some((workload) =>
    workload.cells.some((cell) =>
      cell.results.some(
        (result) => result.status === 'errored' || (result.summary?.errors ?? 0) > 0,
      ),
    ),
  );
}

/** Writes the JSON and HTML reports asked for; returns the paths written. */
export async function writeReports(
  report: BenchReport,
  files: { json?: string; html?: string },
): Promise<string[]> {
  const written: string[] = [];
  if (files.json) {
    await mkdir(dirname(files.json), { recursive: true });
    await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
    written.push(files.json);
  }
  if (files.html) {
    await mkdir(dirname(files.html), { recursive: true });
    await writeFile(files.html, renderHtml(report));
    written.push(files.html);
  }
  return written;
}

/** A progress bar on stderr when it is a terminal; notes always go to stderr. */
function progressBar(enabled: boolean): BenchProgress {
  if (!enabled || !process.stderr.isTTY) {
    return { note: (message) => console.error(message) };
  }
  // A MultiBar (with one bar) because only it can print notes above the bar without garbling it.
  const bars = new MultiBar({
    format: 'bench [{bar}] {value}/{total} windows | {step}',
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
  });
  let bar: ReturnType<MultiBar['create']> | undefined;
  let done = 0;
  return {
    planned(windows) {
      bar = bars.create(windows, 0, { step: 'starting servers' });
    },
    step(label) {
      bar?.update(done++, { step: label });
    },
    note(message) {
      bars.log(`${message}\n`);
    },
    finished() {
      bar?.update(done);
      bars.stop();
    },
  };
}

export interface StartBenchResult {
  /** Tables to print, already formatted. */
  readonly text: string;
  /** Report files written (JSON, HTML). */
  readonly files: readonly string[];
}

/** The quick benchmark `switchyard start` runs after the conformance matrix. */
export async function startBench(reportDir: string): Promise<StartBenchResult | undefined> {
  const progress = progressBar(true);
  const report = await runBench(quickDefaults, progress).finally(() => progress.finished?.());
  const files = await writeReports(report, {
    json: join(reportDir, 'bench.json'),
    html: join(reportDir, 'bench.html'),
  });
  return { text: renderReport(report), files };
}
