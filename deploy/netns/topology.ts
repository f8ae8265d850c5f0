// Simulated hosts on one Linux machine: a client, a balancer (HAProxy) and two Switchyard
// backends, each in its own network namespace, joined by a bridge that lives in a namespace of
// its own. Nothing is created in the machine's own network namespace and no host has a default
// route, so nothing here can reach or disturb the machine's network. Every name carries this
// run's id (`sy<pid>-<random>`), so runs side by side cannot collide, and `close()` removes what
// this run made and nothing else: its processes, then its namespaces (which takes their veth
// links with them).
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readServerStats, type ServerStat, statsCommand } from './haproxy-stats.js';
import { HostProcess } from './host-process.js';

const run = promisify(execFile);

/** The repository, where the CLI's sources and the HAProxy configuration are. */
export const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url));
export const HAPROXY_CONFIG = join(REPOSITORY, 'deploy/haproxy/switchyard.cfg');
export const WHOAMI_HANDLER = join(REPOSITORY, 'deploy/netns/whoami.mjs');
/** `switchyard` from the TypeScript sources (no build needed). */
export const SWITCHYARD_FROM_SOURCES: readonly string[] = [
  process.execPath,
  '--import',
  'tsx',
  '--conditions=@switchyard/source',
  join(REPOSITORY, 'apps/switchyard/src/cli.ts'),
];

export const HOST_NAMES = ['client', 'balancer', 'backend-1', 'backend-2'] as const;
export type HostName = (typeof HOST_NAMES)[number];
export type BackendName = Extract<HostName, `backend-${number}`>;
export const BACKEND_NAMES: readonly BackendName[] = ['backend-1', 'backend-2'];

/** The last byte of each host's address on the bridge's /24. */
const HOST_NUMBERS: Readonly<Record<HostName, number>> = {
  balancer: 2,
  client: 10,
  'backend-1': 11,
  'backend-2': 12,
};

/** Where `ip netns` keeps named namespaces. */
const NETNS_DIR = '/var/run/netns';

/** Namespace names start with this, then the pid of the run that made them. */
export const NAMESPACE_PREFIX = 'sy';
const NAMESPACE_PATTERN = new RegExp(`^${NAMESPACE_PREFIX}(\\d+)-[0-9a-f]+-`);

export interface Host {
  readonly name: HostName;
  readonly namespace: string;
  readonly address: string;
}

export interface TopologyOptions {
  /** The bridge's /24, as its first three numbers. Each run has its own bridge: no clash. */
  readonly subnet?: string;
  /** Where the backends listen and where the balancer takes clients. */
  readonly port?: number;
  /** How to run `switchyard`: the sources through tsx by default, or `[node, .../dist/cli.js]`. */
  readonly switchyard?: readonly string[];
  /** `serve` arguments besides host, port and the backend's name; the default is {@link defaultServeArgs}. */
  readonly serveArgs?: (backend: BackendName) => readonly string[];
  /** HAProxy's time between health checks (`SWITCHYARD_CHECK_INTER`). */
  readonly checkInterval?: string;
  /** Another HAProxy configuration, reading the same environment variables. */
  readonly haproxyConfig?: string;
}

/** A selector speaking `lines`, PROXY v2 in front, answering `switchyard:whoami` with its name. */
export function defaultServeArgs(backend: BackendName): string[] {
  return [
    '--strategy',
    'selector',
    '--codec',
    'lines',
    '--proxy-protocol',
    'v2',
    '--handler',
    WHOAMI_HANDLER,
    '--handler-options',
    JSON.stringify({ name: backend }),
  ];
}

/** What remains of a run after `close()`: should be nothing. */
export interface Leftovers {
  /** Namespaces of this run still listed by `ip netns`. */
  readonly namespaces: string[];
  /** Processes it started that still run, or any process still inside one of its namespaces. */
  readonly processes: number[];
}

type TopologyState = 'building' | 'up' | 'closing' | 'closed';

export class Topology {
  readonly id: string;
  readonly hosts: Readonly<Record<HostName, Host>>;
  readonly bridgeNamespace: string;
  readonly port: number;
  /** The HAProxy stats socket (a file: namespaces do not separate Unix sockets on disk). */
  readonly statsSocket: string;
  readonly #options: TopologyOptions;
  readonly #dir: string;
  readonly #created: string[] = [];
  readonly #namespaceInodes = new Set<number>();
  readonly #processes = new Set<HostProcess>();
  /** The pid of every process this run started, running or not. */
  readonly #started: number[] = [];
  readonly #backends = new Map<BackendName, HostProcess>();
  #balancer: HostProcess | undefined;
  #state: TopologyState = 'building';
  #closing: Promise<void> | undefined;
  readonly #onExit = () => this.#removeNow();

  private constructor(options: TopologyOptions) {
    this.#options = options;
    this.id = `${NAMESPACE_PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`;
    const subnet = options.subnet ?? '10.77.0';
    this.hosts = Object.fromEntries(
      HOST_NAMES.map((name) => [
        name,
        { name, namespace: `${this.id}-${name}`, address: `${subnet}.${HOST_NUMBERS[name]}` },
      ]),
    ) as Record<HostName, Host>;
    this.bridgeNamespace = `${this.id}-bridge`;
    this.port = options.port ?? 7000;
    this.#dir = mkdtempSync(join(tmpdir(), `switchyard-${this.id}-`));
    this.statsSocket = join(this.#dir, 'haproxy.sock');
  }

  /** Makes the namespaces and links. Undoes what it made if any step fails. */
  static async build(options: TopologyOptions = {}): Promise<Topology> {
    const topology = new Topology(options);
    // Last resort for a process that exits without calling close(): synchronous removal.
    process.once('exit', topology.#onExit);
    try {
      await topology.#link();
    } catch (error) {
      await topology.close();
      throw error;
    }
    topology.#state = 'up';
    return topology;
  }

  /** Where clients connect: the balancer's address and port. */
  get balancer(): string {
    return `${this.hosts.balancer.address}:${this.port}`;
  }

  get state(): TopologyState {
    return this.#state;
  }

  /** Starts a process on `host`. It is stopped by `close()` if still running. */
  spawn(
    host: HostName,
    argv: readonly string[],
    options: { label?: string; stdin?: 'pipe' | 'ignore'; env?: NodeJS.ProcessEnv } = {},
  ): HostProcess {
    if (this.#state !== 'up') throw new Error(`topology ${this.id} is ${this.#state}`);
    const child = new HostProcess({
      namespace: this.hosts[host].namespace,
      label: options.label ?? `${host}: ${argv.join(' ')}`,
      argv,
      cwd: REPOSITORY,
      ...(options.env !== undefined && { env: options.env }),
      ...(options.stdin !== undefined && { stdin: options.stdin }),
    });
    this.#processes.add(child);
    if (child.pid !== undefined) this.#started.push(child.pid);
    void child.exited.then(() => this.#processes.delete(child));
    return child;
  }

  /** `switchyard ...args` on `host`. */
  switchyard(host: HostName, args: readonly string[], label?: string): HostProcess {
    const command = this.#options.switchyard ?? SWITCHYARD_FROM_SOURCES;
    return this.spawn(host, [...command, ...args], {
      label: label ?? `${host}: switchyard ${args[0]}`,
    });
  }

  /** Starts (or restarts) `switchyard serve` on a backend host; resolves once it listens. */
  async startBackend(name: BackendName, readyTimeoutMs = 20_000): Promise<HostProcess> {
    const previous = this.#backends.get(name);
    if (previous?.running) throw new Error(`${name} is already running`);
    const serveArgs = (this.#options.serveArgs ?? defaultServeArgs)(name);
    const host = this.hosts[name];
    const backend = this.switchyard(
      name,
      ['serve', '--host', host.address, '--port', String(this.port), ...serveArgs],
      `${name}: switchyard serve`,
    );
    this.#backends.set(name, backend);
    await backend.waitForStdout(/^listening on \S+$/m, readyTimeoutMs);
    return backend;
  }

  backend(name: BackendName): HostProcess | undefined {
    return this.#backends.get(name);
  }

  /** Starts HAProxy on the balancer host with deploy/haproxy/switchyard.cfg. */
  startBalancer(): HostProcess {
    if (this.#balancer?.running) throw new Error('the balancer is already running');
    const env = {
      ...process.env,
      SWITCHYARD_BIND: `${this.hosts.balancer.address}:${this.port}`,
      SWITCHYARD_BACKEND_1: `${this.hosts['backend-1'].address}:${this.port}`,
      SWITCHYARD_BACKEND_2: `${this.hosts['backend-2'].address}:${this.port}`,
      SWITCHYARD_STATS_SOCKET: this.statsSocket,
      SWITCHYARD_CHECK_INTER: this.#options.checkInterval ?? '2s',
    };
    this.#balancer = this.spawn(
      'balancer',
      ['haproxy', '-db', '-f', this.#options.haproxyConfig ?? HAPROXY_CONFIG],
      {
        label: 'balancer: haproxy',
        env,
      },
    );
    return this.#balancer;
  }

  get balancerProcess(): HostProcess | undefined {
    return this.#balancer;
  }

  /** Both backends, then HAProxy; resolves once HAProxy has every backend in rotation. */
  async start(readyTimeoutMs = 20_000): Promise<void> {
    await Promise.all(BACKEND_NAMES.map((name) => this.startBackend(name, readyTimeoutMs)));
    this.startBalancer();
    await Promise.all(
      BACKEND_NAMES.map((name) => this.waitForServer(name, (s) => s === 'UP', readyTimeoutMs)),
    );
  }

  /** HAProxy's view of the backends now. */
  serverStats(): Promise<ServerStat[]> {
    return readServerStats(this.statsSocket);
  }

  /**
   * Sets a backend's administrative state in HAProxy: `drain` sends it no new connections and
   * leaves those it has alone; `ready` puts it back (once its checks pass).
   */
  async setServerState(server: BackendName, state: 'drain' | 'ready'): Promise<void> {
    const answer = await statsCommand(
      this.statsSocket,
      `set server switchyard/${server} state ${state}`,
    );
    if (answer.trim() !== '')
      throw new Error(`HAProxy refused to set ${server} ${state}: ${answer.trim()}`);
  }

  /**
   * Resolves once HAProxy reports a status of `server` that `accept` takes. HAProxy announces
   * no event for it, so this polls its stats socket every 50 ms, for at most `timeoutMs`.
   */
  async waitForServer(
    server: BackendName,
    accept: (status: string) => boolean,
    timeoutMs: number,
  ): Promise<ServerStat> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer from the stats socket';
    for (;;) {
      const balancer = this.#balancer;
      if (!balancer?.running) {
        throw new Error(`the balancer is not running\n${balancer?.describe() ?? ''}`);
      }
      const stat = await this.serverStats().then(
        (stats) => stats.find((row) => row.server === server),
        (error: Error) => void (last = error.message),
      );
      if (stat) {
        if (accept(stat.status)) return stat;
        last = `status ${stat.status}`;
      }
      if (Date.now() >= deadline) {
        throw new Error(`HAProxy's ${server} still at ${last} after ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Every process's output, for a failure report. */
  describe(): string {
    const processes = [this.#balancer, ...this.#backends.values(), ...this.#processes];
    return [...new Set(processes)]
      .filter((p): p is HostProcess => p !== undefined)
      .map((p) => p.describe())
      .join('\n');
  }

  /**
   * Stops this run's processes (SIGTERM, SIGKILL after 3 s), kills anything else left in its
   * namespaces, and deletes the namespaces, which removes their veth links. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#state = 'closing';
    await Promise.all([...this.#processes].map((child) => child.terminate(3_000)));
    for (const namespace of [...this.#created].reverse()) {
      await killNamespacePids(namespace);
      await run('ip', ['netns', 'delete', namespace]).catch(() => {});
    }
    rmSync(this.#dir, { recursive: true, force: true });
    process.removeListener('exit', this.#onExit);
    this.#state = 'closed';
  }

  /** What of this run still exists: its namespaces, and processes it started still running. */
  leftovers(): Leftovers {
    const mine = new Set(this.#created);
    const started = this.#started.filter(alive);
    return {
      namespaces: listNamespaces().filter((name) => mine.has(name)),
      processes: [...new Set([...started, ...pidsInNamespaces(this.#namespaceInodes)])],
    };
  }

  async #link(): Promise<void> {
    const bridge = this.bridgeNamespace;
    await this.#addNamespace(bridge);
    await ip(['-n', bridge, 'link', 'add', 'br0', 'type', 'bridge']);
    await ip(['-n', bridge, 'link', 'set', 'br0', 'up']);
    for (const { name, namespace, address } of Object.values(this.hosts)) {
      await this.#addNamespace(namespace);
      // Both ends are made where they live: one in the bridge's namespace, its peer in the
      // host's, named eth0 there. The machine's own namespace never holds either.
      const port = `to-${name}`;
      await ip([
        '-n',
        bridge,
        'link',
        'add',
        port,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        namespace,
      ]);
      await ip(['-n', bridge, 'link', 'set', port, 'master', 'br0', 'up']);
      await ip(['-n', namespace, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      await ip(['-n', namespace, 'link', 'set', 'eth0', 'up']);
    }
  }

  async #addNamespace(namespace: string): Promise<void> {
    await ip(['netns', 'add', namespace]);
    this.#created.push(namespace);
    // A namespace is known by its inode, also once its name is gone: see leftovers().
    this.#namespaceInodes.add(statSync(join(NETNS_DIR, namespace)).ino);
    await ip(['-n', namespace, 'link', 'set', 'lo', 'up']);
  }

  /** For `exit`: no promises can run, so kill and delete synchronously. */
  #removeNow(): void {
    for (const child of this.#processes) if (child.running) child.child.kill('SIGKILL');
    for (const namespace of [...this.#created].reverse()) removeNamespaceSync(namespace);
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

async function ip(args: readonly string[]): Promise<void> {
  try {
    await run('ip', args);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || (error as Error).message}`, {
      cause: error,
    });
  }
}

async function killNamespacePids(namespace: string): Promise<void> {
  const { stdout } = await run('ip', ['netns', 'pids', namespace]).catch(() => ({ stdout: '' }));
  for (const pid of stdout.split(/\s+/).filter(Boolean).map(Number)) kill(pid, 'SIGKILL');
}

function removeNamespaceSync(namespace: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8' });
    for (const pid of pids.split(/\s+/).filter(Boolean).map(Number)) kill(pid, 'SIGKILL');
    execFileSync('ip', ['netns', 'delete', namespace], { stdio: 'ignore' });
  } catch {
    // Already gone, or not ours to remove.
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Exited meanwhile.
  }
}

/** Whether `pid` runs: exists and is not a zombie (killed, its exit not yet collected). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Every process whose network namespace is one of `inodes` (as /proc/PID/ns/net names it). */
function pidsInNamespaces(inodes: ReadonlySet<number>): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const inode = Number(readlinkSync(`/proc/${entry}/ns/net`).match(/^net:\[(\d+)\]$/)?.[1]);
      if (inodes.has(inode)) pids.push(Number(entry));
    } catch {
      // Exited meanwhile.
    }
  }
  return pids;
}

/** The machine's network namespaces, by name. */
export function listNamespaces(): string[] {
  const text = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return text
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter(Boolean);
}

/**
 * Removes the namespaces (and what runs in them) of runs whose process is gone: what a run
 * killed with SIGKILL leaves behind. Namespaces of live runs are left alone.
 */
export function removeStaleNamespaces(): string[] {
  const stale = listNamespaces().filter((name) => {
    const pid = name.match(NAMESPACE_PATTERN)?.[1];
    return pid !== undefined && Number(pid) !== process.pid && !alive(Number(pid));
  });
  for (const namespace of stale) removeNamespaceSync(namespace);
  // And their scratch folders (HAProxy's stats socket): `switchyard-<run id>-XXXXXX`.
  const runs = new Set(stale.map((name) => name.match(NAMESPACE_PATTERN)![0].slice(0, -1)));
  for (const entry of readdirSync(tmpdir())) {
    const run = entry.match(/^switchyard-(sy\d+-[0-9a-f]+)-/)?.[1];
    if (run && runs.has(run)) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
  }
  return stale;
}

/**
 * Why a topology cannot be built on this machine, or undefined if it can: it needs root, `ip`
 * with network namespaces (tried for real: a container may refuse them), and HAProxy.
 */
export function topologyUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  const probe = `${NAMESPACE_PREFIX}${process.pid}-${randomBytes(3).toString('hex')}-probe`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
  } catch (error) {
    return `cannot create a network namespace (ip netns add): ${firstLine(error)}`;
  }
  removeNamespaceSync(probe);
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'pipe' });
  } catch (error) {
    return `HAProxy is not installed (apt-get install haproxy): ${firstLine(error)}`;
  }
  return undefined;
}

function firstLine(error: unknown): string {
  const stderr = (error as { stderr?: Buffer | string }).stderr?.toString().trim();
  return (stderr || (error as Error).message).split('\n')[0]!;
}
