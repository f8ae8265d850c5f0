// A process running on one simulated host (`ip netns exec NAMESPACE ...`), with its output kept
// for readiness and for the report when something goes wrong.
import { type ChildProcess, spawn } from 'node:child_process';

/** How a process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Output kept per process: enough for the last lines of a failure, bounded for a long run. */
const OUTPUT_LIMIT = 1024 * 1024;

export interface HostProcessOptions {
  readonly namespace: string;
  readonly label: string;
  readonly argv: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** `pipe` to talk to it (`stdin`), `ignore` otherwise. */
  readonly stdin?: 'pipe' | 'ignore';
}

export class HostProcess {
  readonly label: string;
  readonly child: ChildProcess;
  /** Resolves when the process has exited and its output is closed. */
  readonly exited: Promise<Exit>;
  #stdout = '';
  /** How much of stdout was dropped from the front to keep it under the limit. */
  #stdoutDropped = 0;
  #stderr = '';
  #exit: Exit | undefined;
  readonly #waiters = new Set<() => void>();

  constructor({ namespace, label, argv, cwd, env, stdin = 'ignore' }: HostProcessOptions) {
    this.label = label;
    // `ip netns exec` enters the namespace and then execs the command: the child's pid is the
    // command's own, so signals reach it directly.
    this.child = spawn('ip', ['netns', 'exec', namespace, ...argv], {
      stdio: [stdin, 'pipe', 'pipe'],
      ...(cwd !== undefined && { cwd }),
      ...(env !== undefined && { env }),
    });
    this.child.stdout!.setEncoding('utf8');
    this.child.stderr!.setEncoding('utf8');
    this.child.stdout!.on('data', (text: string) => {
      const kept = keepTail(this.#stdout + text);
      this.#stdoutDropped += this.#stdout.length + text.length - kept.length;
      this.#stdout = kept;
      this.#notify();
    });
    this.child.stderr!.on('data', (text: string) => {
      this.#stderr = keepTail(this.#stderr + text);
      this.#notify();
    });
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.#exit = { code, signal };
        this.#notify();
        resolve(this.#exit);
      });
      // A spawn that fails (no `ip`) emits `error` and then `close`.
      this.child.once('error', (error) => {
        this.#stderr += `\n${error.message}`;
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  stdout(): string {
    return this.#stdout;
  }

  /** How much it has printed to stdout so far: an offset for {@link waitForStdout}. */
  get stdoutLength(): number {
    return this.#stdoutDropped + this.#stdout.length;
  }

  stderr(): string {
    return this.#stderr;
  }

  /** How it stands and the last lines it printed, for a failure message. */
  describe(lines = 40): string {
    const exit = this.#exit
      ? `exited (code ${this.#exit.code}, signal ${this.#exit.signal})`
      : `running (pid ${this.pid})`;
    const tail = (text: string) => text.split('\n').slice(-lines).join('\n');
    return `--- ${this.label}: ${exit}\n[stdout]\n${tail(this.#stdout)}\n[stderr]\n${tail(this.#stderr)}`;
  }

  /**
   * Resolves with the first match of `pattern` in what it printed to stdout from offset `from`
   * on; rejects if the process exits first or `timeoutMs` passes, with everything it printed.
   */
  waitForStdout(pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = this.#stdout.slice(Math.max(0, from - this.#stdoutDropped)).match(pattern);
        if (match) return done(() => resolve(match));
        if (this.#exit)
          return done(() => reject(this.#failure(`exited before printing ${pattern}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(this.#failure(`printed no ${pattern} in ${timeoutMs} ms`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        settle();
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Sends `signal` (unless it has exited) and resolves when it has exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /** SIGTERM, then SIGKILL if it is still running after `graceMs`. */
  async terminate(graceMs: number): Promise<Exit> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  #failure(what: string): Error {
    return new Error(`${this.label} ${what}\n${this.describe()}`);
  }
}

function keepTail(text: string): string {
  return text.length > OUTPUT_LIMIT ? text.slice(-OUTPUT_LIMIT) : text;
}
