import { constants } from 'node:os';

/** How long the work in flight gets to stop what it started once a signal came. */
export const INTERRUPT_GRACE_MS = 1500;

/**
 * Ctrl-C and SIGTERM for a long command. The first signal aborts `signal` (the bench stops every
 * server and load generator it started when it sees that), waits for the work given to `track`
 * to settle, at most `INTERRUPT_GRACE_MS`, and exits with 128 + the signal's number; a second
 * signal exits at once. Work that runs in this process (the conformance matrix) needs no
 * tracking: its servers and worker threads end with the process.
 */
export class Interrupts {
  private readonly controller = new AbortController();
  private readonly tracked = new Set<Promise<unknown>>();
  private readonly onSignal = (name: NodeJS.Signals) => void this.interrupt(name);

  constructor(private readonly exit: (code: number) => void = (code) => process.exit(code)) {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Work that must settle (its child processes stopped) before the process exits on a signal. */
  track<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.tracked.add(settled);
    void settled.then(() => this.tracked.delete(settled));
    return work;
  }

  /** Stops listening for signals (the command is over). */
  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }

  private async interrupt(name: NodeJS.Signals): Promise<void> {
    const code = 128 + (constants.signals[name] ?? 0);
    if (this.controller.signal.aborted) {
      this.exit(code);
      return;
    }
    process.stderr.write(`\nswitchyard: ${name}: stopping\n`);
    this.controller.abort(new Error(`interrupted by ${name}`));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.tracked),
      new Promise((resolve) => {
        timer = setTimeout(resolve, INTERRUPT_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
    this.exit(code);
  }
}
