import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  /**
   * The command line that starts it on `host` (and `port`, for those that cannot pick one), or
   * for a `unixSocket` contender on the Unix socket `path`.
   */
  readonly command: (
    service: ServiceSpec,
    host: string,
    port: number,
    path?: string,
  ) => { command: string; args: string[] };
  /**
   * `stdout`: prints `listening on HOST:PORT` (or `listening on unix:PATH`). `connect`: ready
   * once its port (or path) accepts.
   */
  readonly readiness: 'stdout' | 'connect';
  /**
   * It listens on a Unix domain socket: `command` gets a fresh path, in a folder of its own that
   * is removed once it has stopped, and every client of the bench connects to that path.
   */
  readonly unixSocket?: boolean;
  /**
   * It serves TLS: every client of the bench (the correctness check and the load) speaks TLS to
   * it, as this says, and checks its certificate. Absent: plaintext.
   */
  readonly tls?: DialTls;
}

/**
 * The bare `net` echo server (raw codec, echo handler): what no strategy can beat for free. With
 * `unixSocket`, on a Unix domain socket.
 */
export function baselineContender({ unixSocket = false } = {}): BenchContender {
  const echo = resolveHandlerSpecifier('echo');
  return {
    name: 'baseline',
    kind: 'baseline',
    ...(unixSocket && { unixSocket }),
    serves: (service) =>
      service.codec === 'raw' && service.handler === echo
        ? true
        : 'bare net echo: runs only the echo handler over raw',
    readiness: 'stdout',
    command(_service, host, _port, path) {
      const script = benchScriptCommand('baseline-server');
      const where = path === undefined ? ['--host', host, '--port', '0'] : ['--path', path];
      return { command: script.command, args: [...script.args, ...where] };
    },
  };
}

const SERVICE_PLACEHOLDERS = ['{codec}', '{handler}', '{handler-options}'] as const;

/**
 * An external contender from `NAME=COMMAND`, run through `sh -c`. `{port}` and `{host}` are
 * replaced; or, for a server on a Unix domain socket, `{path}` (one of `{port}` and `{path}` is
 * required, not both). A command that also takes `{codec}`, `{handler}` or `{handler-options}`
 * is told each workload's service and runs every workload; one that takes none of them serves
 * one fixed service, taken to be the first workload's, and is skipped for workloads that need
 * another (its replies are still checked, so a wrong guess shows as a failed verification).
 */
export function parseExternal(spec: string): BenchContender {
  const equals = spec.indexOf('=');
  const name = spec.slice(0, equals).trim();
  const template = spec.slice(equals + 1).trim();
  const unixSocket = template.includes('{path}');
  if (equals <= 0 || !name || unixSocket === template.includes('{port}')) {
    throw new InvalidOptionError(
      '--external',
      `expected NAME='COMMAND ... {port}' (or {path}, for a Unix socket), got "${spec}" (the command must take the port or the path)`,
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
    ...(unixSocket && { unixSocket }),
    command: (service, host, port, path = '') => ({
      command: 'sh',
      args: [
        '-c',
        template
          .replaceAll('{port}', String(port))
          .replaceAll('{path}', shellQuote(path))
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
  /** Its TCP port; 0 for a server on a Unix socket. */
  readonly port: number;
  /** The Unix domain socket it listens on, for a `unixSocket` contender. */
  readonly path?: string;
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
  const folder = contender.unixSocket
    ? mkdtempSync(join(tmpdir(), 'switchyard-bench-'))
    : undefined;
  const path = folder && join(folder, 'server.sock');
  let port = contender.readiness === 'connect' && !path ? await freePort(options.host) : 0;
  let { command, args } = contender.command(service, options.host, port, path);
  if (options.cpus) [command, args] = ['taskset', ['-c', options.cpus, command, ...args]];
  // Its own process group, so stopping it also stops whatever it started (sh -c, workers).
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const server = new ChildServer(child, options.host, options.readyTimeoutMs, path);
  if (folder) void server.exit.then(() => rmSync(folder, { recursive: true, force: true }));
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
      await server.accepts(path === undefined ? { host: options.host, port } : { path });
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
    readonly path: string | undefined,
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

  /** The port its `listening on` line names: 0 for `listening on unix:PATH`. */
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
        const match = /^listening on (?:unix:.+|(?:\[[^\]]+\]|[^:]+):(\d+))$/.exec(line.trim());
        if (!match) return;
        clearTimeout(timer);
        resolve(Number(match[1] ?? 0));
      });
      void this.exit.then(() => {
        clearTimeout(timer);
        reject(new Error(`server exited with code ${this.child.exitCode} before listening`));
      });
    });
  }

  async accepts(where: { host: string; port: number } | { path: string }): Promise<void> {
    const deadline = Date.now() + this.readyTimeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`server exited with code ${this.child.exitCode}`);
      if (await canConnect(where)) return;
      await sleep(50);
    }
    const what = 'path' in where ? where.path : `port ${where.port}`;
    throw new Error(`nothing accepted connections on ${what} within ${this.readyTimeoutMs} ms`);
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

function canConnect(where: { host: string; port: number } | { path: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(where);
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
