import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidOptionError } from '@switchyard/protocol';
import { selectContenders } from '../registry.js';
import { selfCommand } from '../self.js';
import { benchScriptCommand } from './scripts.js';

/** What a contender's server must run for a workload. */
export interface ServerProfile {
  readonly codec: 'raw' | 'length-prefixed';
  readonly handler: 'echo' | 'burn';
  readonly burnRounds?: number;
}

/** One server in the comparison. */
export interface BenchContender {
  readonly name: string;
  /** `strategy`: from the registry, run by `switchyard serve`. `baseline`: bare `net`. */
  readonly kind: 'strategy' | 'baseline' | 'external';
  /** Only strategies run handlers: baseline and external commands are plain echo servers. */
  readonly supports: (profile: ServerProfile) => boolean;
  /** The command line that starts it on `host` (and `port`, for those that cannot pick one). */
  readonly command: (
    profile: ServerProfile,
    host: string,
    port: number,
  ) => { command: string; args: string[] };
  /** `stdout`: prints `listening on HOST:PORT`. `connect`: ready once the port accepts. */
  readonly readiness: 'stdout' | 'connect';
}

export interface ContenderSelection {
  /** `all`, or a comma-separated list of strategy / contender names, as `serve --strategy`. */
  readonly strategies: string;
  readonly baseline: boolean;
  /** `NAME=COMMAND` with `{port}` where the port goes. */
  readonly externals: readonly string[];
}

/** Every contender to measure: the registry's (every mode this Node runs), baseline, externals. */
export function benchContenders(selection: ContenderSelection): BenchContender[] {
  const list: BenchContender[] = selectContenders(selection.strategies).map((contender) => ({
    name: contender.name,
    kind: 'strategy',
    supports: () => true,
    readiness: 'stdout',
    command(profile, host) {
      const self = selfCommand();
      const args = [
        ...self.args,
        'serve',
        ...contender.serveArgs,
        '--host',
        host,
        '--port',
        '0',
        '--codec',
        profile.codec,
        '--handler',
        profile.handler,
      ];
      if (profile.burnRounds !== undefined) args.push('--burn-rounds', String(profile.burnRounds));
      return { command: self.command, args };
    },
  }));
  if (selection.baseline) {
    list.unshift({
      name: 'baseline',
      kind: 'baseline',
      supports: isPlainEcho,
      readiness: 'stdout',
      command(_profile, host) {
        const script = benchScriptCommand('baseline-server');
        return { command: script.command, args: [...script.args, '--host', host, '--port', '0'] };
      },
    });
  }
  for (const spec of selection.externals) list.push(parseExternal(spec));
  return list;
}

function isPlainEcho(profile: ServerProfile): boolean {
  return profile.handler === 'echo' && profile.codec === 'raw';
}

/** Parses `NAME=COMMAND {port}` into an external contender run through `sh -c`. */
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
  return {
    name,
    kind: 'external',
    supports: isPlainEcho,
    readiness: 'connect',
    command: (_profile, host, port) => ({
      command: 'sh',
      args: ['-c', template.replaceAll('{port}', String(port)).replaceAll('{host}', host)],
    }),
  };
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

/** How long a server may take to say it listens (tsx from sources on a busy machine is slow). */
const READY_TIMEOUT_MS = 30_000;

/** Starts a contender's server and waits until it listens. `cpus` pins it with taskset. */
export async function startServer(
  contender: BenchContender,
  profile: ServerProfile,
  options: { host: string; cpus?: string },
): Promise<ServerProcess> {
  let port = contender.readiness === 'connect' ? await freePort(options.host) : 0;
  let { command, args } = contender.command(profile, options.host, port);
  if (options.cpus) [command, args] = ['taskset', ['-c', options.cpus, command, ...args]];
  // Its own process group, so stopping it also stops whatever it started (sh -c, workers).
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const server = new ChildServer(child, options.host);
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
  private readonly exit: Promise<unknown>;

  constructor(
    private readonly child: ChildProcess,
    readonly host: string,
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
        () => reject(new Error('server did not print "listening on HOST:PORT" in time')),
        READY_TIMEOUT_MS,
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
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`server exited with code ${this.child.exitCode}`);
      if (await canConnect(this.host, port)) return;
      await sleep(50);
    }
    throw new Error(`nothing accepted connections on port ${port} in time`);
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
