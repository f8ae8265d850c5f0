import type { ConnectionFailure } from '@switchyard/protocol';

/**
 * A token bucket: `burst` lines at once, then `perSecond` a second. Pure apart from the clock it is
 * given, so it is tested with a fake one. Log lines are what it bounds: a flood of failing clients
 * must not fill a disk, but the first failures of an incident are the ones an operator needs.
 */
export class LineBudget {
  private tokens: number;
  private last: number;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** True when a line may be written now; takes one token. */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** One line for a failure: `connection 7 127.0.0.1:51234: CODE: message (cause: ...)`. */
export function formatFailure({
  connectionId,
  remoteAddress,
  remotePort,
  error,
}: ConnectionFailure): string {
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  // The cause is shown only where the message does not already carry it.
  const because = cause !== undefined && !error.message.includes(cause) ? ` (cause: ${cause})` : '';
  const address = remoteAddress.includes(':') ? `[${remoteAddress}]` : remoteAddress;
  return `connection ${connectionId} ${address}:${remotePort}: ${error.code}: ${error.message}${because}`;
}

/** Default budget: 20 lines at once, then 10 a second (36,000 lines an hour at most). */
export const FAILURE_LOG_BURST = 20;
export const FAILURE_LOG_PER_SECOND = 10;

/**
 * Writes one line per failure through a {@link LineBudget}. Failures over budget are counted, and
 * the next line written (or {@link flush}) says how many were not logged.
 */
export class FailureLog {
  private suppressed = 0;

  constructor(
    private readonly write: (line: string) => void,
    private readonly budget = new LineBudget(FAILURE_LOG_BURST, FAILURE_LOG_PER_SECOND),
  ) {}

  readonly record = (failure: ConnectionFailure): void => {
    if (!this.budget.take()) {
      this.suppressed++;
      return;
    }
    this.flush();
    this.write(`${formatFailure(failure)}\n`);
  };

  /** Reports failures not logged since the last line, if any. */
  flush(): void {
    if (this.suppressed === 0) return;
    this.write(`${this.suppressed} failures not logged (rate limit)\n`);
    this.suppressed = 0;
  }
}
