import { join } from 'node:path';
import {
  type BenchOptions,
  type BenchReport,
  type BenchRun,
  bench,
  parseList,
  parseSize,
  quickDefaults,
  renderHtml,
  renderReport,
  thoroughDefaults,
} from '@switchyard/bench';
import { builtinWorkloads } from '@switchyard/protocol';
import { MultiBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { benchContenders, type ContenderSelection } from '../bench-contenders.js';
import { throwawayBenchTls } from '../bench-tls.js';
import { Interrupts } from '../interrupt.js';
import { codecOption, parseInteger, parseJsonObject } from '../options.js';
import { jsonText, writeOutput } from '../output.js';
import { contenderNames } from '../registry.js';

/** What commander hands the action: every option may be missing (the preset fills it). */
interface BenchFlags {
  quick?: boolean;
  workload?: string;
  handler?: string;
  codec?: string;
  handlerOptions?: Record<string, unknown>;
  sizes?: string;
  connections?: string;
  depth?: string;
  rate?: string;
  warmupMs?: string;
  warmupMaxMs?: string;
  durationMs?: string;
  runs?: string;
  clients?: string;
  pin?: boolean;
  host?: string;
  readyTimeoutMs?: string;
  strategy?: string;
  baseline?: boolean;
  external?: string[];
  tls?: boolean;
  unix?: boolean;
  json?: string;
  html?: string;
  progress?: boolean;
}

const BUILTIN_WORKLOADS = Object.keys(builtinWorkloads).join(', ');

/** `switchyard bench`. */
export function benchCommand(): Command {
  return new Command('bench')
    .description('benchmark every strategy (and baseline, and external servers) side by side')
    .option('--quick', "each workload's quick cells with short windows (what `start` runs)")
    .option(
      '-w, --workload <list>',
      `workloads, comma-separated: ${BUILTIN_WORKLOADS}, or a module (./my-workload.mjs) whose default export is a workload`,
    )
    .option(
      '--handler <handler>',
      'serve every workload with this handler instead of its own (echo, burn, or a module)',
    )
    .addOption(codecOption('serve and load every workload with this codec instead of its own'))
    .option(
      '--handler-options <json>',
      'a JSON object handed to the handler as context.options, e.g. \'{"rounds":2000}\' for burn',
      (text: string) => parseJsonObject(text),
    )
    .option('--sizes <list>', 'request sizes for workloads that take sizes, e.g. 64,1k,10k,100k')
    .option('--connections <list>', 'connection counts, e.g. 1,10,100')
    .option('--depth <n>', 'closed loop: requests in flight per connection')
    .option(
      '--rate <n>',
      'open loop: requests per second per cell (latency from the scheduled time)',
    )
    .option('--warmup-ms <ms>', 'least load before each window, not measured')
    .option(
      '--warmup-max-ms <ms>',
      'most warm-up: short windows go on until two agree within 10% or this much has passed',
    )
    .option('--duration-ms <ms>', 'length of each measurement window')
    .option('--runs <n>', 'windows per contender per cell (contenders alternate between runs)')
    .option('--clients <n>', 'load-generator processes')
    .option('--pin', 'pin servers and load generators to different CPUs with taskset')
    .option('--host <host>', 'loopback address to run servers on (127.0.0.1 or ::1)')
    .option(
      '--ready-timeout-ms <ms>',
      'how long each server may take to be ready: a strategy or the baseline to listen, an --external command to accept connections on its port; past it that contender is errored (default 30000)',
    )
    .option(
      '--strategy <list>',
      `strategies or contenders to include: all, or a comma-separated list of ${contenderNames().join(', ')}`,
    )
    .option('--no-baseline', 'leave out the bare net echo server')
    .addOption(
      new Option(
        '--external <NAME=COMMAND>',
        "also measure a server command: {port} (or {path}, for one on a Unix socket: one of them is required), {host}, {codec}, {handler} and {handler-options} are replaced, e.g. py='python3 echo.py {port}' (repeatable)",
      ).argParser((value: string, previous: string[] = []) => [...previous, value]),
    )
    .option(
      '--tls',
      'also measure each strategy serving TLS, beside itself in plaintext (selector+tls), with a throwaway certificate made for the run (RSA 2048, self-signed) that the clients check; every connection is a full handshake',
    )
    .option(
      '--unix',
      'the strategies and the baseline listen on Unix domain sockets (a fresh path each) instead of loopback TCP; an --external command takes {path} instead of {port} for the same',
    )
    .option('--json <file>', 'write every raw figure and the environment as JSON ("-": stdout)')
    .option('--html <file>', 'write a self-contained HTML page with charts')
    .option('--no-progress', 'no progress bar')
    .addHelpText(
      'after',
      '\nDefaults (without --quick): echo 64,1k,10k,100k x 1,10,100 connections, burn, bulk, churn;\n' +
        'warm-up 1000-10000 ms until steady, window 3000 ms, 3 runs. Every reply is checked by the\n' +
        "workload's oracle; a contender that answers wrongly is marked errored and the command exits 1.\n" +
        'Examples:\n' +
        '  switchyard bench --workload echo --sizes 1k --connections 1,100 --runs 5\n' +
        '  switchyard bench --workload ./my-workload.mjs --strategy selector,worker-pool\n' +
        '  switchyard bench --workload burn --handler-options \'{"rounds":4000}\' --json - > bench.json\n' +
        '  switchyard bench --workload echo,churn --sizes 1k --connections 100 --tls   # TLS cost\n' +
        '  switchyard bench --workload echo --unix --external "py=python3 echo.py --unix {path}"\n',
    )
    .action((flags: BenchFlags) => benchAction(flags));
}

async function benchAction(flags: BenchFlags): Promise<void> {
  const options = benchOptionsFrom(flags);
  const tls = flags.tls ? await throwawayBenchTls() : undefined;
  // The key goes with the run, however it ends (a signal exits from its handler).
  if (tls) process.once('exit', tls.remove);
  const contenders = benchContenders({ ...selectionFrom(flags), ...(tls && { tls }) });
  const jsonToStdout = flags.json === '-';
  const interrupts = new Interrupts();
  try {
    const run = bench({ ...options, contenders, signal: interrupts.signal });
    const report = await interrupts.track(showProgress(run, flags.progress !== false));
    // With the JSON on stdout, the tables go to stderr so stdout stays one parseable document.
    const text = renderReport(report);
    if (jsonToStdout) console.error(text);
    else console.log(text);
    for (const file of await writeReports(report, { json: flags.json, html: flags.html })) {
      console.error(`wrote ${file}`);
    }
    if (hasErrors(report)) process.exitCode = 1;
  } finally {
    interrupts.dispose();
    if (tls) {
      process.off('exit', tls.remove);
      tls.remove();
    }
  }
}

/** Turns flags into options: the preset (`--quick` or thorough) with every given flag on top. */
export function benchOptionsFrom(flags: BenchFlags): BenchOptions {
  const base = flags.quick ? quickDefaults : thoroughDefaults;
  const integer = (text: string | undefined, option: string, min = 1) =>
    text === undefined ? undefined : parseInteger(text, option, { min });
  const warmupMs = integer(flags.warmupMs, '--warmup-ms', 0) ?? base.warmupMs;
  return {
    ...base,
    workloads: flags.workload ? parseList(flags.workload, (item) => item) : base.workloads,
    ...(flags.sizes && { sizes: parseList(flags.sizes, (item) => parseSize(item)) }),
    ...(flags.connections && {
      connections: parseList(flags.connections, (item) =>
        parseInteger(item, '--connections', { min: 1 }),
      ),
    }),
    ...(flags.depth !== undefined && { depth: integer(flags.depth, '--depth') }),
    ...(flags.rate !== undefined && { rate: integer(flags.rate, '--rate') }),
    ...(flags.handler !== undefined && { handler: flags.handler }),
    ...(flags.codec !== undefined && { codec: flags.codec }),
    ...(flags.handlerOptions !== undefined && { handlerOptions: flags.handlerOptions }),
    warmupMs,
    // A least warm-up above the preset's most means no settling windows past it.
    warmupMaxMs: Math.max(
      warmupMs,
      integer(flags.warmupMaxMs, '--warmup-max-ms', 0) ?? base.warmupMaxMs,
    ),
    durationMs: integer(flags.durationMs, '--duration-ms') ?? base.durationMs,
    runs: integer(flags.runs, '--runs') ?? base.runs,
    clients: integer(flags.clients, '--clients') ?? base.clients,
    pin: flags.pin ?? base.pin,
    host: flags.host ?? base.host,
    readyTimeoutMs: integer(flags.readyTimeoutMs, '--ready-timeout-ms') ?? base.readyTimeoutMs,
  };
}

function selectionFrom(flags: BenchFlags): ContenderSelection {
  return {
    strategies: flags.strategy ?? 'all',
    baseline: flags.baseline ?? true,
    externals: flags.external ?? [],
    ...(flags.unix && { unixSocket: true }),
  };
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

/** Writes the JSON and HTML reports asked for; returns the paths written (not stdout). */
export async function writeReports(
  report: BenchReport,
  files: { json?: string; html?: string },
): Promise<string[]> {
  const written: (string | undefined)[] = [];
  if (files.json) written.push(await writeOutput(files.json, jsonText(report)));
  if (files.html) written.push(await writeOutput(files.html, renderHtml(report)));
  return written.filter((file) => file !== undefined);
}

/**
 * Shows a run's progress on stderr: a bar on a terminal (notes printed above it); elsewhere (CI
 * logs, pipes) a line per window, so a long run never looks stuck. Notes are always shown.
 * Resolves with the report.
 */
function showProgress(run: BenchRun, enabled: boolean): Promise<BenchReport> {
  if (!enabled || !process.stderr.isTTY) {
    run.on('note', (message) => console.error(message));
    if (enabled) run.on('step', (step) => console.error(`bench: ${step.label}`));
    return run.report;
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
  run.on('planned', (windows) => {
    bar = bars.create(windows, 0, { step: 'starting servers' });
  });
  run.on('step', (step) => bar?.update(done++, { step: step.label }));
  run.on('note', (message) => bars.log(`${message}\n`));
  return run.report.finally(() => {
    bar?.update(done);
    bars.stop();
  });
}

export interface StartBenchResult {
  /** Tables to print, already formatted. */
  readonly text: string;
  /** Report files written (JSON, HTML). */
  readonly files: readonly string[];
}

/**
 * The quick benchmark `switchyard start` runs after the conformance matrix: every strategy and
 * the baseline, each workload's quick cells. `signal` stops it and everything it started.
 */
export async function startBench(
  reportDir: string,
  interrupts: Interrupts,
): Promise<StartBenchResult> {
  const run = bench({
    quick: true,
    contenders: benchContenders({ strategies: 'all', baseline: true, externals: [] }),
    signal: interrupts.signal,
  });
  const report = await interrupts.track(showProgress(run, true));
  const files = await writeReports(report, {
    json: join(reportDir, 'bench.json'),
    html: join(reportDir, 'bench.html'),
  });
  return { text: renderReport(report), files };
}
