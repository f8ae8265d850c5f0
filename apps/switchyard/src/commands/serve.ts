import {
  type Codec,
  describeOptionValue,
  ErrorCode,
  InvalidOptionError,
  isCodecName,
  isSwitchyardError,
  ListenFailedError,
  loadCodec,
  loadHandler,
  type ProxyProtocolVersion,
  type RunningServer,
  resolveCodecSpecifier,
  resolveHandlerSpecifier,
  type ServerOptions,
  type Strategy,
  type StrategyOption,
} from '@switchyard/protocol';
import { type Distribution, distributions, processesOptions } from '@switchyard/server-processes';
import { Command, Option } from 'commander';
import { FAILURE_LOG_LIMIT, FailureLog } from '../failure-log.js';
import { ServerMetrics } from '../metrics.js';
import { type MetricsEndpoint, serveMetrics } from '../metrics-endpoint.js';
import {
  codecOption,
  flagOf,
  integerOption,
  parseJsonObject,
  parseStrategyOption,
  proxyProtocolOption,
} from '../options.js';
import {
  type Contender,
  contenderNames,
  getContender,
  processesContender,
  strategies,
} from '../registry.js';
import { LOG_FORMATS, type LogFormat, type ServeLog, serveLog } from '../serve-log.js';
import { type ServeTlsFlags, serverTls, serveTlsOptions } from '../tls-flags.js';

/**
 * What `serve` was asked for, after parsing: the common flags, plus the text of any strategy
 * option flag under the option's key (`maxQueuedRequests: '64'`).
 */
export interface ServeFlags extends ServeTlsFlags {
  strategy: string;
  /** A built-in codec name or a module specifier, as typed. */
  codec: string;
  handler: string;
  burnRounds?: number;
  handlerOptions?: Record<string, unknown>;
  host: string;
  port: number;
  path?: string;
  maxConnections?: number;
  idleTimeoutMs?: number;
  maxFrameBytes?: number;
  maxBufferedBytes?: number;
  maxServerBufferedBytes?: number;
  frameTimeoutMs?: number;
  handlerTimeoutMs?: number;
  proxyProtocol?: ProxyProtocolVersion;
  nagle?: boolean;
  closeTimeoutMs: number;
  /** Text of `--processes` and `--distribution`, checked by the processes' own options. */
  processes?: string;
  distribution?: string;
  /** `--metrics-port`: serve Prometheus metrics there (0: any free port); off when absent. */
  metricsPort?: number;
  /** Default `127.0.0.1`. */
  metricsHost?: string;
  /** Default `text`. */
  logFormat?: LogFormat;
  [strategyOption: string]: unknown;
}

/** A strategy option as a `serve` flag, with every strategy that takes it. */
export interface StrategyFlag {
  readonly key: string;
  readonly flag: string;
  readonly takenBy: readonly { readonly strategy: Strategy; readonly option: StrategyOption }[];
}

/** The flags for every option of every strategy in `list`, one per key, in the order first seen. */
export function strategyFlags(list: readonly Strategy[] = strategies): StrategyFlag[] {
  const byKey = new Map<string, StrategyFlag['takenBy'][number][]>();
  for (const strategy of list) {
    for (const option of strategy.options ?? []) {
      const takers = byKey.get(option.key) ?? [];
      takers.push({ strategy, option });
      byKey.set(option.key, takers);
    }
  }
  return [...byKey].map(([key, takenBy]) => ({ key, flag: flagOf(key), takenBy }));
}

/** `[worker-pool] worker threads (a whole number >= 1, default: ...)`, once per strategy taking it. */
function flagHelp({ takenBy }: StrategyFlag): string {
  return takenBy
    .map(
      ({ strategy, option }) =>
        `[${strategy.name}] ${option.description} (${describeOptionValue(option.value)}, default: ${option.defaultText})`,
    )
    .join(' ');
}

function commanderOption(strategyFlag: StrategyFlag): Option {
  const integers = strategyFlag.takenBy.every(({ option }) => option.value.type === 'integer');
  const option = new Option(
    `${strategyFlag.flag} <${integers ? 'n' : strategyFlag.key}>`,
    flagHelp(strategyFlag),
  );
  if (option.attributeName() !== strategyFlag.key) {
    throw new Error(`strategy option "${strategyFlag.key}" is not camelCase`);
  }
  return option;
}

/** The strategies, their modes (which this Node runs, which `auto` picks), for `serve --help`. */
export function strategiesHelp(list: readonly Strategy[] = strategies): string {
  const rows: [string, string][] = [];
  for (const strategy of list) {
    rows.push([strategy.name, strategy.description]);
    if (strategy.modes === undefined) continue;
    const auto = strategy.modes.auto();
    for (const mode of strategy.modes.choices) {
      const unsupported = mode.unsupported?.();
      const note =
        unsupported !== undefined
          ? ` (not on this Node: ${unsupported})`
          : mode.name === auto
            ? ' (what auto picks on this Node)'
            : '';
      rows.push([`  ${strategy.name}:${mode.name}`, `${mode.description}${note}`]);
    }
  }
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  return rows.map(([name, text]) => `  ${name.padEnd(width)}${text}`).join('\n');
}

/** The distributions, and which this Node runs, for `serve --help`. */
function distributionsHelp(): string {
  return distributions.choices
    .map((mode) => {
      const unsupported = mode.unsupported?.();
      const note = unsupported === undefined ? '' : ` (not on this Node: ${unsupported})`;
      return `  ${mode.name.padEnd(11)}${mode.description}${note}`;
    })
    .join('\n');
}

/**
 * The contender `serve` runs: the one `--strategy` names, in `--processes` processes when asked
 * (`selector×2:rr` names both at once). `--distribution` alone, or with a name that has a count
 * already, is refused (`SWITCHYARD_ERR_INVALID_OPTION`).
 */
function chosenContender(flags: ServeFlags, list: readonly Strategy[]): Contender {
  const named = getContender(flags.strategy, list);
  if (flags.processes === undefined) {
    if (flags.distribution !== undefined && !named.processes) {
      throw new InvalidOptionError('--distribution', 'applies only with --processes');
    }
    if (flags.distribution === undefined || !named.processes) return named;
  } else if (named.processes) {
    throw new InvalidOptionError(
      '--processes',
      `${flags.strategy} names its processes already; give one or the other`,
    );
  }
  const inner = named.processes?.inner ?? named;
  const count = parseStrategyOption(
    processesOptions.processes,
    flags.processes ?? String(named.processes?.count),
  ) as number;
  const distribution = parseStrategyOption(
    processesOptions.distribution,
    flags.distribution ?? named.processes?.distribution ?? distributions.auto(),
  ) as Distribution;
  return processesContender(inner, count, distribution);
}

/** How often what the failure lines did not tell is logged: counts, and lines held back. */
const ERROR_LOG_INTERVAL_MS = 1000;

/**
 * `switchyard serve`: runs one strategy as a real TCP service until SIGINT or SIGTERM. Its
 * strategy flags come from the options each strategy in `list` describes.
 */
export function serveCommand(list: readonly Strategy[] = strategies): Command {
  const command = new Command('serve')
    .description('run one strategy as a TCP service until SIGINT/SIGTERM')
    .requiredOption(
      '-s, --strategy <name>',
      `strategy to run (${contenderNames(list).join(', ')}; "name:mode" is short for --mode)`,
    )
    .addOption(codecOption('wire format', 'raw'))
    .option(
      '--handler <handler>',
      'echo, burn, or a module path whose default export is a handler',
      'echo',
    )
    .option(
      '--handler-options <json>',
      'a JSON object handed to the handler as context.options, e.g. \'{"rounds":2000}\'',
      (text: string) => parseJsonObject(text),
    )
    .option(
      '--burn-rounds <n>',
      'SHA-256 rounds per request for --handler burn (default about 200 us of CPU)',
      integerOption('--burn-rounds'),
    )
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option(
      '-p, --port <port>',
      'port to bind; 0 picks a free one',
      integerOption('--port', { max: 65535 }),
      0,
    )
    .option(
      '--path <path>',
      'listen on a Unix domain socket at this path instead of --host/--port (a socket file left by a server that is gone is replaced; one a live server answers on is refused)',
    )
    .option(
      '--max-connections <n>',
      'connections served or waiting at once; more are refused (default 10000)',
      integerOption('--max-connections'),
    )
    .option(
      '--idle-timeout-ms <ms>',
      'close connections idle this long (0: never)',
      integerOption('--idle-timeout-ms'),
    )
    .option(
      '--max-frame-bytes <n>',
      'largest frame accepted (default 1 MiB)',
      integerOption('--max-frame-bytes'),
    )
    .option(
      '--max-buffered-bytes <n>',
      'per-connection cap on bytes held (partial frame, requests, unwritten replies) before reading pauses (default 1 MiB)',
      integerOption('--max-buffered-bytes', { min: 1 }),
    )
    .option(
      '--max-server-buffered-bytes <n>',
      'what all connections together may hold; past it the ones holding the most are closed (default a quarter of the heap limit)',
      integerOption('--max-server-buffered-bytes', { min: 1 }),
    )
    .option(
      '--frame-timeout-ms <ms>',
      'a frame that has started must complete within this long, or its connection is closed (default 30000; 0: never)',
      integerOption('--frame-timeout-ms'),
    )
    .option(
      '--handler-timeout-ms <ms>',
      'a handler call must settle within this long, or it fails and its connection is closed (default 30000; 0: never)',
      integerOption('--handler-timeout-ms'),
    )
    .addOption(proxyProtocolOption())
    .option('--nagle', "keep Nagle's algorithm on (by default TCP_NODELAY is set)")
    .option(
      '--close-timeout-ms <ms>',
      'on SIGINT/SIGTERM, wait this long for connections to finish (in every process)',
      integerOption('--close-timeout-ms'),
      10_000,
    )
    .option(
      `${flagOf('processes')} <n>`,
      `${processesOptions.processes.description} (${describeOptionValue(processesOptions.processes.value)}; without it, the strategy runs in serve's own process)`,
    )
    .option(
      `${flagOf('distribution')} <name>`,
      `with --processes: ${processesOptions.distribution.description} (default: ${processesOptions.distribution.defaultText})`,
    );
  command
    .option(
      '--metrics-port <port>',
      `serve Prometheus metrics over HTTP at this port, path /metrics (0 picks a free one); off by default`,
      integerOption('--metrics-port', { max: 65535 }),
    )
    .option('--metrics-host <host>', 'address the metrics port binds', '127.0.0.1')
    .addOption(
      new Option('--log-format <format>', 'text lines on stderr, or json lines (pino) on stdout')
        .choices(LOG_FORMATS)
        .default('text'),
    );
  for (const option of serveTlsOptions()) command.addOption(option);
  for (const strategyFlag of strategyFlags(list)) command.addOption(commanderOption(strategyFlag));
  return command
    .addHelpText(
      'after',
      // Built when help is shown: it asks each mode whether this Node supports it.
      () =>
        `\nStrategies and their modes ([name] before a flag: the strategies that take it):\n${strategiesHelp(list)}\n\n` +
        `Distributions for --processes:\n${distributionsHelp()}\n\n` +
        'Prints exactly one line "listening on HOST:PORT" (or "listening on unix:PATH") to stdout when ready (and a\n' +
        'second, "metrics on http://HOST:PORT/metrics", with --metrics-port); logs go to stderr,\n' +
        'among them a line per failed connection ("connection ID HOST:PORT: CODE: why"; at most\n' +
        `${FAILURE_LOG_LIMIT.burst} at once, then ${FAILURE_LOG_LIMIT.perSecond} a second, and a count of the rest), and a\n` +
        '"warning: ..." for what is not one connection\'s failure (a worker thread that exited, with its\n' +
        'stack; a connection paused for taking more than its share of the pool).\n' +
        'With --log-format json, stdout has one JSON object per event instead (pino), "listening" first.\n' +
        'Examples:\n' +
        '  switchyard serve --strategy selector --codec lines --port 7000\n' +
        '  switchyard serve --strategy worker-pool --codec ./my-codec.mjs --handler ./my-handler.mjs\n' +
        '  switchyard serve --strategy selector --port 7000 --proxy-protocol v2   # behind HAProxy send-proxy-v2\n' +
        '  switchyard serve --strategy selector --processes 2 --distribution rr --port 7000\n' +
        '  switchyard serve --strategy worker-pool --port 7443 --tls-key key.pem --tls-cert cert.pem\n' +
        '  switchyard serve --strategy worker-pool --port 7000 --metrics-port 9464 --log-format json\n',
    )
    .action((flags: ServeFlags) => serve(flags, list));
}

/**
 * Turns flags into the contender to run and the options for its `listen`. A strategy flag is
 * checked by the chosen strategy's own option; a flag it does not take is refused rather than
 * ignored (`SWITCHYARD_ERR_INVALID_OPTION`).
 */
export function serveOptions(
  flags: ServeFlags,
  list: readonly Strategy[] = strategies,
): { contender: Contender; options: ServerOptions } {
  let contender = chosenContender(flags, list);
  const { strategy } = contender;
  const given: Record<string, unknown> = { ...contender.options };
  for (const { key } of strategyFlags(list)) {
    if (flags[key] !== undefined) given[key] = flags[key];
  }
  const specific: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(given)) {
    const option = strategy.options?.find((candidate) => candidate.key === key);
    if (!option) {
      throw new InvalidOptionError(flagOf(key), `the ${strategy.name} strategy does not take it`);
    }
    specific[key] = parseStrategyOption(option, String(text));
  }
  if (flags.burnRounds !== undefined && flags.handler !== 'burn') {
    throw new InvalidOptionError('--burn-rounds', 'applies only to --handler burn');
  }
  if (strategy.modes !== undefined) {
    // Named by the mode that runs, as the contender tables name it.
    const mode =
      specific.mode === undefined || specific.mode === 'auto'
        ? strategy.modes.auto()
        : specific.mode;
    const inner = contender.processes?.inner.strategy ?? strategy;
    const named = `${inner.name}:${String(mode)}`;
    const processes = contender.processes;
    contender = {
      ...contender,
      name: processes ? `${named}×${processes.count}:${processes.distribution}` : named,
    };
  }
  const options: ServerOptions & Record<string, unknown> = {
    ...specific,
    ...(flags.path === undefined ? { host: flags.host, port: flags.port } : { path: flags.path }),
    // Absolute, so worker threads and child processes resolve a relative path the same way
    // this process does.
    codec: resolveCodecSpecifier(flags.codec),
    handler: resolveHandlerSpecifier(flags.handler),
    handlerOptions: {
      ...flags.handlerOptions,
      ...(flags.burnRounds !== undefined && { rounds: flags.burnRounds }),
    },
    maxConnections: flags.maxConnections,
    idleTimeoutMs: flags.idleTimeoutMs,
    maxFrameBytes: flags.maxFrameBytes,
    maxBufferedBytesPerConnection: flags.maxBufferedBytes,
    maxServerBufferedBytes: flags.maxServerBufferedBytes,
    frameTimeoutMs: flags.frameTimeoutMs,
    handlerTimeoutMs: flags.handlerTimeoutMs,
    proxyProtocol: flags.proxyProtocol,
    noDelay: !flags.nagle,
  };
  if (flags.path !== undefined && flags.port !== 0)
    throw new InvalidOptionError('--path', 'a Unix socket path, or --host and --port: not both');
  const tls = serverTls(flags);
  if (tls !== undefined) options.tls = tls;
  return { contender, options };
}

/** A server `serve` runs, and what it tells and serves about it. */
interface Serving {
  readonly server: RunningServer;
  readonly log: ServeLog;
  readonly failures: FailureLog;
  readonly metrics: MetricsEndpoint | undefined;
}

async function serve(flags: ServeFlags, list: readonly Strategy[]): Promise<void> {
  const { contender, options } = serveOptions(flags, list);
  // Signals that arrive while starting are honoured once the server is up.
  let stopRequested = false;
  let running: Serving | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) {
      running?.log.aborting(signal);
      if (running) void abort(running);
      return;
    }
    stopRequested = true;
    if (running) void shutdown(running, signal, flags.closeTimeoutMs);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // Load codec and handler here first, so a bad module is one clear error (the loader's own
  // message) whatever the strategy, before anything listens.
  const codec = await loadCodec(options.codec!);
  await loadHandler(options.handler!);
  let server: RunningServer;
  try {
    server = await contender.strategy.listen(options);
  } catch (error) {
    throw explainListenError(error);
  }
  let metrics: MetricsEndpoint | undefined;
  if (flags.metricsPort !== undefined) {
    try {
      metrics = await serveMetrics(
        new ServerMetrics(() => server.stats()),
        flags.metricsHost ?? '127.0.0.1',
        flags.metricsPort,
      );
    } catch (error) {
      await server.destroy();
      throw error;
    }
  }
  const log = serveLog(flags.logFormat ?? 'text');
  const failures = new FailureLog(log);
  server.on('failure', (failure) => failures.report(failure));
  server.on('warning', (warning) => failures.warn(warning));
  running = { server, log, failures, metrics };
  log.listening({
    address: server.address,
    strategy: contender.name,
    handler: flags.handler,
    codec: describeCodec(codec, flags.codec),
    tls: options.tls !== undefined,
    ...(metrics && { metricsUrl: metrics.url }),
  });
  logErrorsWhileRunning(server, failures);
  if (stopRequested) await shutdown(running, 'SIGTERM', flags.closeTimeoutMs);
}

/** `lines`, or `netstring (./codec.mjs)` for a codec from a module. */
function describeCodec(codec: Codec, typed: string): string {
  return isCodecName(typed) ? typed : `${codec.name} (${typed})`;
}

/** Adds what to do about an address in use, the commonest reason `serve` cannot start. */
function explainListenError(error: unknown): unknown {
  if (!isSwitchyardError(error, ErrorCode.LISTEN_FAILED)) return error;
  const cause = error.cause as NodeJS.ErrnoException | undefined;
  if (cause?.code !== 'EADDRINUSE') return error;
  return new ListenFailedError(
    `${error.message}: the port is in use (pick another with --port, or 0 for any free port)`,
    { cause },
  );
}

/** Once a second: what the failure lines did not tell (see {@link FailureLog.flush}). */
function logErrorsWhileRunning(server: RunningServer, failures: FailureLog): void {
  const timer = setInterval(() => failures.flush(server.stats().errors), ERROR_LOG_INTERVAL_MS);
  timer.unref();
}

async function shutdown(
  { server, log, failures, metrics }: Serving,
  signal: string,
  timeoutMs: number,
): Promise<void> {
  log.closing(signal, timeoutMs);
  try {
    await server.close({ timeoutMs });
  } catch (error) {
    // A close that ran out of time still stopped the server, as it was asked to.
    log.closeFailed(error);
  }
  failures.flush(server.stats().errors);
  log.closed(server.stats());
  // Scrapes answer until the server has closed, so the last one shows it drained.
  await metrics?.close();
  process.exitCode = 0;
  // Nothing should be left running; if a strategy leaves a handle open, do not hang on it.
  setTimeout(() => process.exit(), 2000).unref();
}

async function abort({ server, failures, metrics }: Serving): Promise<void> {
  await server.destroy();
  failures.flush(server.stats().errors);
  await metrics?.close();
}
