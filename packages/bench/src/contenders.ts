import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type HandlerOptions,
  InvalidOptionError,
  resolveHandlerSpecifier,
} from '@switchyard/protocol';
import type { DialTls } from './dial.js';
import { benchScriptCommand } from './scripts.js';

/**
 * What a contender's server must run for a workload: the codec and handler as specifiers any
 * process resolves alike, and the handler's options.
 */
export interface ServiceSpec {
  /** The workload's specifier (for the report; the load generators import it). */
  readonly workload: string;
  readonly codec: string;
  readonly handler: string;
  readonly handlerOptions: HandlerOptions;
}

/** True when two services are the same codec, handler and handler options. */
export function sameService(a: ServiceSpec, b: ServiceSpec): boolean {
  return (
    a.codec === b.codec &&
    a.handler === b.handler &&
    JSON.stringify(a.handlerOptions) === JSON.stringify(b.handlerOptions)
  );
}

/** One server in the comparison. */
export interface BenchContender {
  readonly name: string;
  /** `strategy`: runs any service. `baseline`: bare `net` echo. `external`: a command of yours. */
  readonly kind: 'strategy' | 'baseline' | 'external';
  /**
   * Whether it can run `service`: true, or why not (it is then skipped for that workload).
   * `first` is the service of the run's first workload. Absent: it runs every service.
   */
  readonly serves?: (service: ServiceSpec, first: ServiceSpec) => true | string;
  /** The command line that starts it on `host` (and `port`, for those that cannot pick one). */
  readonly command: (
    service: ServiceSpec,
    host: string,
    port: number,
  ) => { command: string; args: string[] };
  /** `stdout`: prints `listening on HOST:PORT`. `connect`: ready once the port accepts. */
  readonly readiness: 'stdout' | 'connect';
  /**
   * It serves TLS: every client of the bench (the correctness check and the load) speaks TLS to
   * it, as this says, and checks its certificate. Absent: plaintext.
   */
  readonly tls?: DialTls;
}

/** The bare `net` echo server (raw codec, echo handler): what no strategy can beat for free. */
export function baselineContender(): BenchContender {
  const echo = resolveHandlerSpecifier('echo');
  return {
    name: 'baseline',
    kind: 'baseline',
    serves: (service) =>
      service.codec === 'raw' && service.handler === echo
        ? true
        : 'bare net echo: runs only the echo handler over raw',
    readiness: 'stdout',
    command(_service, host) {
      const script = benchScriptCommand('baseline-server');
      return { command: script.command, args: [...script.args, '--host', host, '--port', '0'] };
    },
  };
}

const SERVICE_PLACEHOLDERS = ['{codec}', '{handler}', '{handler-options}'] as const;

/**
 * An external contender from `NAME=COMMAND`, run through `sh -c`. `{port}` (required) and
 * `{host}` are replaced. A command that also takes `{codec}`, `{handler}` or `{handler-options}`
 * is told each workload's service and runs every workload; one that takes none of them serves
 * one fixed service, taken to be the first workload's, and is skipped for workloads that need
 * another (its replies are still checked, so a wrong guess shows as a failed verification).
 */
export function parseExternal(spec: string): BenchContender {
  const equals = spec.indexOf('=');
  const name = spec.slice(0, equals).trim();
  const template = spec.slice(equals + 1).trim();
  if (equals <= 0 || !name || !template.includes('{port}')) {
    throw new InvalidOptionError(
      '--external',
      `expected NAME='COMMAND ... {port}', got "${spec}" (the command must take the port)`,
    );
  }
  const toldService = SERVICE_PLACEHOLDERS.some((placeholder) => template.includes(placeholder));
  return {
    name,
    kind: 'external',
    serves: (service, first) =>
      toldService || sameService(service, first)
        ? true
        : "serves one service (the first workload's); put {codec} and {handler} in its command to run others",
    readiness: 'connect',
    command: (service, host, port) => ({
      command: 'sh',
      args: [
        '-c',
        template
          .replaceAll('{port}', String(port))
          .replaceAll('{host}', shellQuote(host))
          .replaceAll('{codec}', shellQuote(service.codec))
          .replaceAll('{handler}', shellQuote(service.handler))
          .replaceAll('{handler-options}', shellQuote(JSON.stringify(service.handlerOptions))),
      ],
    }),
  };
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

/** A contender's server, started in its own process (group). */
export interface ServerProcess {
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  /** Set once the process has exited (a crash shows as an errored cell). */
  readonly exited: boolean;
  /** The last lines it wrote to stderr, for error messages. */
  stderrTail(): string;
  /** SIGTERM to the whole process group, SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** How long a server may take to stop on SIGTERM once a run is aborted, before SIGKILL. */
export const ABORT_GRACE_MS = 500;

/**
 * Starts a contender's server and waits until it listens. `cpus` pins it with taskset. Once
 * `signal` aborts, the server is stopped at once (SIGTERM to its group, SIGKILL after
 * `ABORT_GRACE_MS`) wherever the caller is, so an interrupted bench leaves no process behind.
 */
export async function startServer(
  contender: BenchContender,
  service: ServiceSpec,
  options: { host: string; cpus?: string; readyTimeoutMs: number; signal?: AbortSignal },
): Promise<ServerProcess> {
  options.signal?.throwIfAborted();
  let port = contender.readiness === 'connect' ? await freePort(options.host) : 0;
  let { command, args } = contender.command(service, options.host, port);
  if (options.cpus) [command, args] = ['taskset', ['-c', options.cpus, command, ...args]];
  // Its own process group, so stopping it also stops whatever it started (sh -c, workers).
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const server = new ChildServer(child, options.host, options.readyTimeoutMs);
  const { signal } = options;
  if (signal) {
    const onAbort = () => void server.stop(ABORT_GRACE_MS);
    signal.addEventListener('abort', onAbort, { once: true });
    void server.exit.then(() => signal.removeEventListener('abort', onAbort));
  }
  try {
    if (contender.readiness === 'stdout') {
      port = await server.announcedPort();
    } else {
      await server.acceptsOn(port);
    }
  } catch (error) {
    await server.stop();
    const tail = server.stderrTail();
    throw new Error(`${(error as Error).message}${tail ? `: ${tail}` : ''}`);
  }
  server.port = port;
  return server;
}

class ChildServer implements ServerProcess {
  port = 0;
  exited = false;
  private readonly stderrLines: string[] = [];
  /** Settles when the process has exited. */
  readonly exit: Promise<unknown>;

  constructor(
    private readonly child: ChildProcess,
    readonly host: string,
    private readonly readyTimeoutMs: number,
  ) {
    this.exit = once(child, 'exit').then(() => (this.exited = true));
    child.on('error', () => (this.exited = true));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderrLines.push(line);
      if (this.stderrLines.length > 5) this.stderrLines.shift();
    });
    // Keep draining stdout so a chatty server never blocks on a full pipe.
    child.stdout!.resume();
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  stderrTail(): string {
    return this.stderrLines.join(' | ');
  }

  announcedPort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `server did not print "listening on HOST:PORT" within ${this.readyTimeoutMs} ms`,
            ),
          ),
        this.readyTimeoutMs,
      );
      const lines = createInterface({ input: this.child.stdout! });
      lines.on('line', (line) => {
        const match = /^listening on (?:\[[^\]]+\]|[^:]+):(\d+)$/.exec(line.trim());
        if (!match) return;
        clearTimeout(timer);
        resolve(Number(match[1]));
      });
      void this.exit.then(() => {
        clearTimeout(timer);
        reject(new Error(`server exited with code ${this.child.exitCode} before listening`));
      });
    });
  }

  async acceptsOn(port: number): Promise<void> {
    const deadline = Date.now() + this.readyTimeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`server exited with code ${this.child.exitCode}`);
      if (await canConnect(this.host, port)) return;
      await sleep(50);
    }
    throw new Error(
      `nothing accepted connections on port ${port} within ${this.readyTimeoutMs} ms`,
    );
  }

  async stop(graceMs = 5000): Promise<void> {
    if (this.exited || !this.child.pid) return;
    signalGroup(this.child.pid, 'SIGTERM');
    await Promise.race([this.exit, sleep(graceMs)]);
    if (!this.exited) {
      signalGroup(this.child.pid, 'SIGKILL');
      await Promise.race([this.exit, sleep(1000)]);
    }
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A port free right now, for external commands that need to be told where to listen. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
