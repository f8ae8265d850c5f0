import {
  type ConnectionFailure,
  formatServerAddress,
  type ServerAddress,
  type ServerStats,
} from '@switchyard/protocol';
import { isMultiProcessStats } from '@switchyard/server-processes';
import { type Logger, pino } from 'pino';
import {
  causeStack,
  errorText,
  type FailureLogSink,
  failureLines,
  formatFailure,
  suppressedLine,
} from './failure-log.js';

/** How `serve` writes its log: `text` lines (the default) or `json`, one object per line. */
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** What `serve` says once the server listens. */
export interface Listening {
  readonly address: ServerAddress;
  /** The contender that serves: `worker-pool:offload`, `selector×2:rr`. */
  readonly strategy: string;
  readonly handler: string;
  /** The codec as the operator reads it: `lines`, `netstring (./codec.mjs)`. */
  readonly codec: string;
  readonly tls: boolean;
  /** Where the metrics are scraped (`--metrics-port`), when they are. */
  readonly metricsUrl?: string;
}

/**
 * Everything `serve` tells as it runs, one method per event, whatever the format: nothing here
 * is on the path of a request (failures and warnings come through {@link FailureLog}'s limits).
 */
export interface ServeLog extends FailureLogSink {
  listening(listening: Listening): void;
  /** The first SIGINT or SIGTERM: a graceful close begins. */
  closing(signal: string, timeoutMs: number): void;
  /** A second signal: open connections are aborted. */
  aborting(signal: string): void;
  /** The close did not end as asked (its time ran out); the server is stopped all the same. */
  closeFailed(error: unknown): void;
  /** The server has closed: its final stats. */
  closed(stats: ServerStats): void;
}

/** A writable that takes text, as process.stdout and process.stderr do. */
type Write = (text: string) => void;

/**
 * The text log: `listening on HOST:PORT` alone on stdout (then `metrics on URL` when scraped),
 * everything else as lines on stderr.
 */
export function textServeLog(stdout: Write, stderr: Write): ServeLog {
  const line = (text: string) => stderr(`${text}\n`);
  return {
    ...failureLines(line),
    listening({ address, strategy, handler, codec, tls, metricsUrl }) {
      stdout(`listening on ${formatServerAddress(address)}\n`);
      if (metricsUrl !== undefined) stdout(`metrics on ${metricsUrl}\n`);
      line(
        `${strategy} serving ${handler} over ${codec}${tls ? ' in TLS' : ''}; SIGINT or SIGTERM to stop`,
      );
    },
    closing: (signal, timeoutMs) =>
      line(`${signal}: closing (waiting up to ${timeoutMs} ms for connections)`),
    aborting: (signal) => line(`${signal} again: aborting open connections`),
    closeFailed: (error) => line(error instanceof Error ? error.message : String(error)),
    closed: (stats) => line(closedLine(stats)),
  };
}

/** `closed: 4 connections (per process: 2, 2), 8 requests, 8 replies, 0 refused`. */
export function closedLine(stats: ServerStats): string {
  const { accepted, framesIn, framesOut, refused } = stats;
  const perProcess = isMultiProcessStats(stats)
    ? ` (per process: ${stats.processes.map((each) => each.stats.accepted).join(', ')})`
    : '';
  return `closed: ${accepted} connections${perProcess}, ${framesIn} requests, ${framesOut} replies, ${refused} refused`;
}

/**
 * The JSON log: one object per line on stdout (pino's), the first being `listening`. Each has
 * pino's `level`, `time` and `pid`, an `event` name, the event's fields, and `msg`, the text
 * log's line for it.
 */
export function jsonServeLog(logger: Logger = defaultLogger()): ServeLog {
  return {
    listening({ address, strategy, handler, codec, tls, metricsUrl }) {
      const where = formatServerAddress(address);
      logger.info(
        {
          event: 'listening',
          address: where,
          strategy,
          handler,
          codec,
          tls,
          ...(metricsUrl !== undefined && { metrics: metricsUrl }),
        },
        `listening on ${where}`,
      );
    },
    failure(failure) {
      logger.warn(failureFields(failure), formatFailure(failure));
    },
    warning({ kind, message, error, connectionId, remoteAddress, remotePort }) {
      const stack = causeStack(error);
      logger.warn(
        {
          event: 'warning',
          kind,
          ...(error !== undefined && { code: error.code }),
          ...(connectionId !== undefined && { connectionId, remoteAddress, remotePort }),
          ...(stack !== undefined && { stack }),
        },
        message,
      );
    },
    failuresHeldBack(byCode) {
      let count = 0;
      for (const each of byCode.values()) count += each;
      logger.warn(
        { event: 'failures-not-logged', count, byCode: Object.fromEntries(byCode) },
        suppressedLine(byCode),
      );
    },
    warningsHeldBack(count) {
      logger.warn(
        { event: 'warnings-not-logged', count },
        `${count} warnings not logged (limited like failure lines)`,
      );
    },
    errorsCounted(code, count) {
      logger.warn({ event: 'errors-counted', code, count }, `error: ${code} x${count}`);
    },
    closing(signal, timeoutMs) {
      logger.info({ event: 'closing', signal, timeoutMs }, `${signal}: closing`);
    },
    aborting(signal) {
      logger.warn({ event: 'aborting', signal }, `${signal} again: aborting open connections`);
    },
    closeFailed(error) {
      const code = (error as { code?: unknown } | undefined)?.code;
      const message = error instanceof Error ? errorText(error) : String(error);
      logger.error({ event: 'close-failed', ...(typeof code === 'string' && { code }) }, message);
    },
    closed(stats) {
      logger.info({ event: 'closed', stats }, closedLine(stats));
    },
  };
}

/** A connection failure's fields: who, and why (code and message; never a stack). */
function failureFields({
  connectionId,
  remoteAddress,
  remotePort,
  proxiedBy,
  error,
}: ConnectionFailure): Record<string, unknown> {
  return {
    event: 'connection-failed',
    connectionId,
    remoteAddress,
    remotePort,
    ...(proxiedBy && { proxiedBy }),
    code: error.code,
    message: errorText(error),
  };
}

/**
 * pino writing to stdout synchronously: the events are few (none per request), and the last
 * ones, `closed` among them, must be out before the process exits.
 */
function defaultLogger(): Logger {
  return pino({ base: { pid: process.pid } }, pino.destination({ dest: 1, sync: true }));
}

/** The log `serve --log-format` asks for, on this process's stdout and stderr. */
export function serveLog(format: LogFormat): ServeLog {
  return format === 'json'
    ? jsonServeLog()
    : textServeLog(
        (text) => process.stdout.write(text),
        (text) => process.stderr.write(text),
      );
}
