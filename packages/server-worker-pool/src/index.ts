import { availableParallelism } from 'node:os';
import {
  defineChoiceOption,
  defineIntegerOption,
  defineModeOption,
  HandoffUnsupportedError,
  InvalidOptionError,
  loadCodec,
  type ResolvedServerOptions,
  resolveServerOptions,
  type ServerOptions,
  type Strategy,
  type StrategyModes,
} from '@switchyard/protocol';
import type { Affinity } from './balance.js';
import { canTransferSockets, HandoffServer } from './handoff.js';
import type { PoolMode } from './messages.js';
import { OffloadServer } from './offload.js';

export { POOL_REQUEST_OVERHEAD_BYTES } from './admission.js';
export type { Affinity } from './balance.js';
export { canTransferSockets, HandoffServer } from './handoff.js';
export type { PoolMode } from './messages.js';
export { type OffloadInit, OffloadServer } from './offload.js';

/** Default size of the pool's queue, shared fairly among connections (offload). */
export const DEFAULT_MAX_QUEUED_REQUESTS = 4096;

/** The pool's two ways to run; `auto` picks handoff wherever this Node can transfer sockets. */
export const workerPoolModes: StrategyModes<PoolMode> = {
  choices: [
    {
      name: 'offload',
      description: 'this thread owns sockets and codecs; workers run the handlers',
    },
    {
      name: 'handoff',
      description: 'each connection moves to a worker that runs all of it',
      unsupported: () =>
        canTransferSockets() ? undefined : `Node ${process.version} cannot transfer a net.Socket`,
    },
  ],
  auto: () => (canTransferSockets() ? 'handoff' : 'offload'),
};

/** The pool's own options, as the CLI offers them and {@link resolveWorkerPoolOptions} checks them. */
export const workerPoolOptions = {
  workers: defineIntegerOption({
    key: 'workers',
    description: 'worker threads',
    defaultText: 'os.availableParallelism()',
    min: 1,
  }),
  mode: defineModeOption(workerPoolModes),
  affinity: defineChoiceOption({
    key: 'affinity',
    description:
      'offload: connection (every request of a connection runs in one worker, so per-worker state stays consistent) or request (spread for parallelism); handoff is per connection by nature',
    defaultText: 'connection',
    choices: ['connection', 'request'],
  }),
  maxQueuedRequests: defineIntegerOption({
    key: 'maxQueuedRequests',
    description:
      "offload: the pool's queue of requests not yet answered, shared fairly: a connection past its share (the queue divided among the connections using it) is paused alone",
    defaultText: String(DEFAULT_MAX_QUEUED_REQUESTS),
    min: 1,
  }),
} as const;

/** Options of the worker-pool strategy: the common {@link ServerOptions} plus the pool's. */
export interface WorkerPoolOptions extends ServerOptions {
  /** Worker threads. Default `os.availableParallelism()`. */
  workers?: number;
  /**
   * `offload`: this thread owns sockets and codecs, workers run handlers (every Node).
   * `handoff`: each connection moves to a worker that runs all of it (Node that can transfer
   * sockets; elsewhere `SWITCHYARD_ERR_HANDOFF_UNSUPPORTED`).
   * `auto` (default): `handoff` where this Node supports it, else `offload`.
   */
  mode?: PoolMode | 'auto';
  /**
   * Offload: the pool's queue, requests handed to workers and not yet answered. Each connection
   * may hold its share (the queue divided among the connections with requests in it, at least
   * one); a connection past its share waits and is paused alone. Default 4096.
   */
  maxQueuedRequests?: number;
  /**
   * Offload: `connection` (default) runs every request of a connection in the same worker, so a
   * handler's module state (per worker) and `context.state` see that connection's own writes;
   * `request` spreads a connection's requests over the workers, for parallelism within one
   * connection. Handoff runs whole connections in one worker whatever this says.
   */
  affinity?: Affinity;
}

/** {@link WorkerPoolOptions} with every default filled in and `auto` decided. */
export interface ResolvedWorkerPoolOptions {
  readonly server: ResolvedServerOptions;
  readonly workers: number;
  readonly mode: PoolMode;
  readonly maxQueuedRequests: number;
  readonly affinity: Affinity;
}

/**
 * Fills in defaults, validates (`SWITCHYARD_ERR_INVALID_OPTION`) and picks the mode; asking for
 * `handoff` on a Node that cannot transfer sockets throws `SWITCHYARD_ERR_HANDOFF_UNSUPPORTED`.
 */
export function resolveWorkerPoolOptions(
  options: WorkerPoolOptions = {},
): ResolvedWorkerPoolOptions {
  const { workers, mode = 'auto', maxQueuedRequests, affinity, ...serverOptions } = options;
  const asked = workerPoolOptions.mode.validate(mode);
  const server = resolveServerOptions(serverOptions, Object.keys(workerPoolOptions));
  // Node moves TCP handles between threads, not a Unix socket's (26.10 refuses one that was
  // accepted: ERR_WORKER_HANDLE_NOT_TRANSFERABLE): a server on a path serves in offload mode.
  const onPath = server.path !== undefined;
  const chosen = asked === 'auto' ? (onPath ? 'offload' : workerPoolModes.auto()) : asked;
  const unsupported =
    chosen === 'handoff' && onPath
      ? 'a Unix domain socket cannot be transferred to a worker thread (use offload)'
      : workerPoolModes.choices.find((candidate) => candidate.name === chosen)?.unsupported?.();
  if (unsupported !== undefined) throw new HandoffUnsupportedError(unsupported);
  return {
    server,
    workers:
      workers === undefined ? availableParallelism() : workerPoolOptions.workers.validate(workers),
    mode: chosen,
    maxQueuedRequests:
      maxQueuedRequests === undefined
        ? DEFAULT_MAX_QUEUED_REQUESTS
        : workerPoolOptions.maxQueuedRequests.validate(maxQueuedRequests),
    affinity: affinity === undefined ? 'connection' : workerPoolOptions.affinity.validate(affinity),
  };
}

/**
 * The worker-pool strategy: handlers run on a pool of worker threads, so CPU-bound handlers use
 * every core. Connections are served concurrently and handler calls run in parallel.
 */
export const workerPoolStrategy: Strategy<WorkerPoolOptions> = {
  name: 'worker-pool',
  description:
    'a pool of worker threads runs the handlers (offload) or whole connections (handoff)',
  capabilities: { connections: 'concurrent', parallelHandlers: true },
  importFrom: { module: import.meta.url, export: 'workerPoolStrategy' },
  modes: workerPoolModes,
  options: Object.values(workerPoolOptions),
  async listen(options) {
    const { server, workers, mode, maxQueuedRequests, affinity } =
      resolveWorkerPoolOptions(options);
    if (typeof server.handler !== 'string') {
      throw new InvalidOptionError(
        'handler',
        'the worker pool runs handlers on worker threads, which load them by module specifier: pass a path or package specifier whose default export is the handler',
      );
    }
    if (mode === 'handoff' && typeof server.codec !== 'string') {
      throw new InvalidOptionError(
        'codec',
        'handoff workers decode on their own threads, which load the codec by module specifier: pass a path or package specifier whose default export is the codec',
      );
    }
    const codec = await loadCodec(server.codec);
    const running =
      mode === 'handoff'
        ? new HandoffServer({ options: server, codec, workers })
        : new OffloadServer({ options: server, codec, workers, maxQueuedRequests, affinity });
    return running.start();
  },
};
