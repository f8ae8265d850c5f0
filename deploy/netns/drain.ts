// A backend's graceful close behind the balancer, with clients on: clients.ts runs on the client
// host (new connections every few ms, long-lived ones talking), backend-1 gets SIGTERM, HAProxy
// takes it out of rotation, it is started again, and HAProxy and the clients see it back.

import { join } from 'node:path';
import type { ServerStat } from './haproxy-stats.js';
import type { Exit, HostProcess } from './host-process.js';
import { BACKEND_NAMES, type BackendName, REPOSITORY, type Topology } from './topology.js';

export const CLIENTS_PROGRAM = join(REPOSITORY, 'deploy/netns/clients.ts');

export interface DrainOptions {
  /** The backend that is stopped and started again. */
  readonly backend?: BackendName;
  /** A new connection every this many ms. */
  readonly everyMs?: number;
  /** Long-lived connections. */
  readonly longLived?: number;
  /** Each long-lived connection sends a line this often. */
  readonly talkEveryMs?: number;
  /** Longest any one step may take (start, HAProxy noticing, a visit reaching the backend). */
  readonly stepTimeoutMs?: number;
  /**
   * Take the backend out of rotation at the balancer (`set server ... state drain`) before the
   * SIGTERM, and back in (`state ready`) once it listens again: what an operator's deploy does.
   * Without it, the SIGTERM comes while new connections are still being sent to the backend.
   */
  readonly balancerDrainFirst?: boolean;
}

/** What clients.ts printed last. */
export interface ClientsSummary {
  readonly seconds: number;
  /** Every client address the backends reported (whoami): the client host's, through PROXY v2. */
  readonly addresses: string[];
  /** Who relayed them, by the backends' `proxiedBy` (`none` without a PROXY header). */
  readonly proxiedBy: string[];
  readonly visits: {
    readonly attempted: number;
    readonly ok: number;
    readonly failed: number;
    readonly failures: string[];
    readonly byBackend: Record<string, number>;
  };
  readonly talkers: {
    readonly connections: number;
    readonly requests: number;
    readonly replies: number;
    readonly wrong: number;
    readonly lost: number;
    readonly resent: number;
    readonly closedByServer: number;
    readonly failures: string[];
    readonly byBackend: Record<string, number>;
  };
}

export interface DrainReport {
  readonly backend: BackendName;
  /** How the stopped backend's first process exited (a graceful close exits 0). */
  readonly exit: Exit;
  /** What that process printed on stderr (its start-up line, failures, the shutdown summary). */
  readonly backendStderr: string;
  readonly clients: ClientsSummary;
  /** How the clients program exited: 0 when nothing failed. */
  readonly clientsExit: Exit;
  /** HAProxy's view of each server at the end. */
  readonly stats: ServerStat[];
  /** Milliseconds from the SIGTERM to each step. */
  readonly timeline: {
    readonly exited: number;
    readonly markedDown: number;
    readonly listening: number;
    readonly markedUp: number;
    readonly visited: number;
  };
}

/** Runs the clients, drains and restarts `backend`, and reports what everyone saw. */
export async function drain(topology: Topology, options: DrainOptions = {}): Promise<DrainReport> {
  const backend = options.backend ?? 'backend-1';
  const stepTimeoutMs = options.stepTimeoutMs ?? 20_000;
  const first = topology.backend(backend);
  if (!first?.running) throw new Error(`${backend} is not running`);

  const clients = topology.spawn(
    'client',
    [
      process.execPath,
      '--import',
      'tsx',
      CLIENTS_PROGRAM,
      '--target',
      topology.balancer,
      '--every-ms',
      String(options.everyMs ?? 20),
      '--long-lived',
      String(options.longLived ?? 8),
      '--talk-every-ms',
      String(options.talkEveryMs ?? 10),
      // A ceiling only: the run stops when this function closes the program's stdin.
      '--max-seconds',
      String(Math.ceil((stepTimeoutMs * 6) / 1000)),
    ],
    { label: 'client: clients.ts', stdin: 'pipe' },
  );
  try {
    await clients.waitForStdout(/^\{"event":"ready"\}$/m, stepTimeoutMs);
    // Both backends in rotation before one is stopped.
    for (const name of BACKEND_NAMES) {
      await clients.waitForStdout(new RegExp(`"backend":"${name}"`), stepTimeoutMs);
    }

    if (options.balancerDrainFirst) {
      await topology.setServerState(backend, 'drain');
      // Connections already on their way to it arrive; the next new one goes elsewhere.
      const other = BACKEND_NAMES.find((name) => name !== backend)!;
      const from = clients.stdoutLength;
      await clients.waitForStdout(new RegExp(`"backend":"${other}"`), stepTimeoutMs, from);
    }
    const start = performance.now();
    const since = () => Math.round(performance.now() - start);
    const exit = await first.stop('SIGTERM');
    const exited = since();
    await topology.waitForServer(backend, (status) => status === 'DOWN', stepTimeoutMs);
    const markedDown = since();
    await topology.startBackend(backend, stepTimeoutMs);
    const listening = since();
    if (options.balancerDrainFirst) await topology.setServerState(backend, 'ready');
    await topology.waitForServer(backend, (status) => status === 'UP', stepTimeoutMs);
    const markedUp = since();
    const offset = clients.stdoutLength;
    await clients.waitForStdout(new RegExp(`"backend":"${backend}"`), stepTimeoutMs, offset);
    const visited = since();

    clients.child.stdin!.end();
    const clientsExit = await clients.exited;
    return {
      backend,
      exit,
      backendStderr: first.stderr(),
      clients: readSummary(clients),
      clientsExit,
      stats: await topology.serverStats(),
      timeline: { exited, markedDown, listening, markedUp, visited },
    };
  } finally {
    await clients.terminate(3_000);
  }
}

function readSummary(clients: HostProcess): ClientsSummary {
  const line = clients
    .stdout()
    .split('\n')
    .find((text) => text.startsWith('{"event":"summary"'));
  if (!line) throw new Error(`the clients printed no summary\n${clients.describe()}`);
  return JSON.parse(line) as ClientsSummary;
}
