import { CaseFailure } from './outcome.js';

/** What is being waited for; a function is evaluated when the wait fails, to report the state. */
export type Description = string | (() => string);

export interface WaitOptions {
  /** Fail this wait (not the whole case) after this long, with the description. */
  timeoutMs?: number;
  /** Re-check every this many ms as well as on events, for state no event announces (stats). */
  pollMs?: number;
}

interface Wait {
  readonly what: Description;
  /** Returns true when satisfied; throws to fail the wait. */
  readonly check: () => boolean;
  settle(error?: unknown): void;
}

export function describe(what: Description): string {
  return typeof what === 'string' ? what : what();
}

/**
 * Every wait of one case run. Sockets call {@link notify} on each event, and each pending wait
 * re-checks its condition; a timeout is a failure, never the way to synchronise. Aborting (the
 * case's own time limit) rejects every pending wait.
 */
export class Conditions {
  private readonly waits = new Set<Wait>();

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => {
      for (const wait of this.waits) wait.settle(new CaseFailure('the case was aborted'));
    });
  }

  /** Resolves once `check` returns true; rejects if it throws, on timeout, or on abort. */
  until(check: () => boolean, what: Description, options: WaitOptions = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.signal.aborted) {
        reject(new CaseFailure('the case was aborted'));
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      let poller: NodeJS.Timeout | undefined;
      const wait: Wait = {
        what,
        check,
        settle: (error) => {
          if (!this.waits.delete(wait)) return;
          clearTimeout(timer);
          clearInterval(poller);
          if (error === undefined) resolve();
          else reject(error);
        },
      };
      this.waits.add(wait);
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(
          () =>
            wait.settle(
              new CaseFailure(`${describe(what)} (nothing after ${options.timeoutMs} ms)`),
            ),
          options.timeoutMs,
        );
      }
      if (options.pollMs !== undefined) {
        poller = setInterval(() => this.evaluate(wait), options.pollMs);
      }
      this.evaluate(wait);
    });
  }

  /** Re-checks every pending wait; sockets call this on each event. */
  notify(): void {
    for (const wait of [...this.waits]) this.evaluate(wait);
  }

  /** What the case is still waiting for, for a timeout message. */
  pending(): string[] {
    return [...this.waits].map((wait) => describe(wait.what));
  }

  private evaluate(wait: Wait): void {
    try {
      if (wait.check()) wait.settle();
    } catch (error) {
      wait.settle(error);
    }
  }
}
