import type { ConnectionFailure, ServerWarning } from '@switchyard/protocol';
import { formatHostPort } from './options.js';

/** Milliseconds from any fixed origin; injected so tests drive time by hand. */
export type Clock = () => number;

export interface TokenBucketOptions {
  /** Lines allowed at once, after a quiet spell. */
  readonly burst: number;
  /** Lines allowed per second once the burst is spent. */
  readonly perSecond: number;
  readonly now?: Clock;
}

/**
 * A token bucket: holds up to `burst` tokens, refilled continuously at `perSecond`; each `take`
 * spends one. No timers and no I/O: time is whatever `now` says when a token is asked for.
 */
export class TokenBucket {
  private readonly burst: number;
  private readonly perMs: number;
  private readonly now: Clock;
  private tokens: number;
  private last: number;

  constructor({ burst, perSecond, now = () => performance.now() }: TokenBucketOptions) {
    if (!(burst >= 1) || !(perSecond > 0)) {
      throw new RangeError(`a token bucket needs burst >= 1 and perSecond > 0`);
    }
    this.burst = burst;
    this.perMs = perSecond / 1000;
    this.now = now;
    this.tokens = burst;
    this.last = now();
  }

  /** Spends a token if there is one; false means "over the limit, drop it". */
  take(): boolean {
    const now = this.now();
    // A clock that goes backwards (not performance.now, but an injected one may) adds nothing.
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.perMs);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * The limit on `serve`'s failure lines. The burst of 20 logs the start of an incident in full
 * (the first failures say most about it); then 10 a second is more than anyone reads and still
 * shows that it goes on. However fast connections fail, the log grows by at most about 10 lines
 * of at most {@link MAX_MESSAGE_CHARS} characters a second plus one count line, so a client that
 * fails 50 000 connections a second costs the disk kilobytes a second, not megabytes. What is held
 * back is still counted, by code, in the line that says so.
 */
export const FAILURE_LOG_LIMIT = { burst: 20, perSecond: 10 } as const;

/** A failure message longer than this is cut: a handler's error text is the user's to size. */
export const MAX_MESSAGE_CHARS = 500;

/** Deepest cause followed for the text of a failure line. */
const MAX_CAUSE_DEPTH = 4;

/**
 * One line for a failure: `connection 7 127.0.0.1:51234: SWITCHYARD_ERR_HANDLER_FAILED: handler
 * failed: database connection lost`. The message, followed by each cause's message that it does
 * not already contain; never a stack; control characters escaped so a failure is one line. A
 * client named by a PROXY header is followed by the balancer that relayed it:
 * `203.0.113.7:56324 via 10.0.0.2:51000`.
 */
export function formatFailure({
  connectionId,
  remoteAddress,
  remotePort,
  proxiedBy,
  error,
}: ConnectionFailure): string {
  const client = remoteAddress ? formatHostPort({ host: remoteAddress, port: remotePort }) : '?';
  const via = proxiedBy
    ? ` via ${formatHostPort({ host: proxiedBy.address, port: proxiedBy.port })}`
    : '';
  return `connection ${connectionId} ${client}${via}: ${error.code}: ${errorText(error)}`;
}

/**
 * Why, on one line: the error's message, then each cause's message it does not already contain;
 * control characters escaped, cut after {@link MAX_MESSAGE_CHARS} characters.
 */
export function errorText(error: Error): string {
  return oneLine(describeError(error));
}

function describeError(error: Error): string {
  let text = error.message || error.name;
  let cause: unknown = error.cause;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && cause !== undefined; depth++) {
    const message = cause instanceof Error ? cause.message : String(cause);
    if (message && !text.includes(message)) text += `: ${message}`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return text;
}

function oneLine(text: string): string {
  const escaped = text.replace(/\p{Cc}/gu, (char) =>
    char === '\n' ? '\\n' : char === '\r' ? '\\r' : char === '\t' ? ' ' : escapeByte(char),
  );
  if (escaped.length <= MAX_MESSAGE_CHARS) return escaped;
  const cut = escaped.length - MAX_MESSAGE_CHARS;
  return `${escaped.slice(0, MAX_MESSAGE_CHARS)}... (${cut} more characters)`;
}

function escapeByte(char: string): string {
  return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/** The line that says how many failures the limit held back, by code. */
export function suppressedLine(byCode: ReadonlyMap<string, number>): string {
  let total = 0;
  for (const count of byCode.values()) total += count;
  const codes = [...byCode].map(([code, count]) => `${code} x${count}`).join(', ');
  const { burst, perSecond } = FAILURE_LOG_LIMIT;
  return `${total} failure${total === 1 ? '' : 's'} not logged (${codes}; failure lines are limited to ${burst} at once, then ${perSecond} a second)`;
}

/** Lines of a thread's stack shown under a warning: where it happened, not all that led there. */
export const MAX_STACK_LINES = 12;

/**
 * A warning's lines: `warning: <message>` (one line), then the stack its cause carries (a worker
 * thread's crash, or where it called process.exit), indented. The warning's own error was made
 * where the warning was, so its stack says nothing; a cause whose stack is its message alone is
 * left out too.
 */
export function formatWarning({ message, error }: ServerWarning): string[] {
  const lines = [`warning: ${oneLine(message)}`];
  const stack = causeStack(error);
  if (stack === undefined) return lines;
  const stackLines = stack.split('\n');
  for (const line of stackLines.slice(0, MAX_STACK_LINES)) lines.push(`    ${line}`);
  if (stackLines.length > MAX_STACK_LINES) {
    lines.push(`    ... (${stackLines.length - MAX_STACK_LINES} more lines)`);
  }
  return lines;
}

/**
 * The stack of the deepest cause that has more than its message in it: a worker thread's crash,
 * or where it called process.exit (the warning's own error was made where the warning was).
 */
export function causeStack(error: Error | undefined): string | undefined {
  let found: string | undefined;
  let cause: unknown = error?.cause;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && cause instanceof Error; depth++) {
    if (cause.stack?.includes('\n')) found = cause.stack;
    cause = cause.cause;
  }
  return found;
}

/** A server's error counters, by code (`stats().errors`). */
export type ErrorCounts = Readonly<Partial<Record<string, number>>>;

/** Where {@link FailureLog} tells what it lets through: text lines, or structured events. */
export interface FailureLogSink {
  /** A connection failure the limit let through. */
  failure(failure: ConnectionFailure): void;
  /** A warning its limit let through. */
  warning(warning: ServerWarning): void;
  /** The failures the limit held back since the last flush, by code. */
  failuresHeldBack(byCode: ReadonlyMap<string, number>): void;
  /** The warnings held back since the last flush. */
  warningsHeldBack(count: number): void;
  /** Errors the server counted that no failure told of, since the last flush. */
  errorsCounted(code: string, count: number): void;
}

/** The failure log as text lines: {@link formatFailure}, {@link formatWarning} and the counts. */
export function failureLines(write: (line: string) => void): FailureLogSink {
  return {
    failure: (failure) => write(formatFailure(failure)),
    warning(warning) {
      for (const line of formatWarning(warning)) write(line);
    },
    failuresHeldBack: (byCode) => write(suppressedLine(byCode)),
    warningsHeldBack: (held) =>
      write(`${held} warning${held === 1 ? '' : 's'} not logged (limited like failure lines)`),
    errorsCounted: (code, count) => write(`error: ${code} x${count}`),
  };
}

/**
 * `serve`'s log of what went wrong, so that each error is told once:
 * - each connection failure ({@link formatFailure}) while the limiter lets it through; the rest
 *   are counted;
 * - a warning ({@link formatWarning}: a worker thread that exited, with its stack; a connection
 *   paused for taking more than its share) under a limiter of its own;
 * - {@link FailureLog.flush}, called once a second and on shutdown, says how many the limit held
 *   back (`N failures not logged (CODE xN, ...)`), and tells of what the server counted that no
 *   failure told of (`error: CODE xN`): errors that end no connection, such as connections
 *   refused at `--max-connections`, a worker thread that exited or a close that timed out.
 * What it lets through goes to its {@link FailureLogSink}, as lines or as events.
 *
 * A failure reaches the listener right after it is counted, on the same thread or (from a
 * worker) ahead of the counters that include it, so the counters never run ahead of the
 * failures reported.
 */
export class FailureLog {
  /** Failures reported, logged or not, by code. */
  private readonly reported = new Map<string, number>();
  /** Held back since the last flush, by code. */
  private suppressed = new Map<string, number>();
  /** Counted errors already written as `error: CODE xN`, by code. */
  private readonly counted = new Map<string, number>();
  /** Warnings held back since the last flush. */
  private warningsHeld = 0;

  constructor(
    private readonly sink: FailureLogSink,
    private readonly limiter: { take(): boolean } = new TokenBucket(FAILURE_LOG_LIMIT),
    private readonly warningLimiter: { take(): boolean } = new TokenBucket(FAILURE_LOG_LIMIT),
  ) {}

  /** Tells of a warning while its own limiter lets it through. */
  warn(warning: ServerWarning): void {
    if (!this.warningLimiter.take()) {
      this.warningsHeld++;
      return;
    }
    this.sink.warning(warning);
  }

  report(failure: ConnectionFailure): void {
    const { code } = failure.error;
    increment(this.reported, code, 1);
    if (this.limiter.take()) this.sink.failure(failure);
    else increment(this.suppressed, code, 1);
  }

  /**
   * Tells of errors in `errors` (the server's counters) that no failure told of (`error: CODE
   * xN`), then of the failures and warnings the limits held back since the last flush.
   */
  flush(errors: ErrorCounts = {}): void {
    for (const [code, total = 0] of Object.entries(errors)) {
      const untold = total - (this.reported.get(code) ?? 0) - (this.counted.get(code) ?? 0);
      if (untold <= 0) continue;
      this.sink.errorsCounted(code, untold);
      increment(this.counted, code, untold);
    }
    if (this.warningsHeld > 0) {
      this.sink.warningsHeldBack(this.warningsHeld);
      this.warningsHeld = 0;
    }
    if (this.suppressed.size === 0) return;
    this.sink.failuresHeldBack(this.suppressed);
    this.suppressed = new Map();
  }
}

function increment(counts: Map<string, number>, code: string, by: number): void {
  counts.set(code, (counts.get(code) ?? 0) + by);
}
