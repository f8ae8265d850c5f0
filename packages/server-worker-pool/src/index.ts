import { availableParallelism } from 'node:os';
import {
  HandoffUnsupportedError,
  InvalidOptionError,
  type ResolvedServerOptions,
  resolveServerOptions,
  type ServerOptions,
  type Strategy,
} from '@switchyard/protocol';
import { canTransferSockets, HandoffServer } from './handoff.js';
import type { PoolMode } from './messages.js';
import { OffloadServer } from './offload.js';

export { canTransferSockets, HandoffServer } from './handoff.js';
export type { PoolMode } from './messages.js';
export { type OffloadInit, OffloadServer } from './offload.js';

/** Default bound on requests handed to workers and not yet answered (offload). */
export const DEFAULT_MAX_QUEUED_REQUESTS = 4096;

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
   * Offload: requests handed to workers and not yet answered, over the whole pool. At the bound
   * every connection stops reading until the queue is half empty. Default 4096.
   */
  maxQueuedRequests?: number;
}

/** {@link WorkerPoolOptions} with every default filled in and `auto` decided. */
export interface ResolvedWorkerPoolOptions {
  readonly server: ResolvedServerOptions;
  readonly workers: number;
  readonly mode: PoolMode;
  readonly maxQueuedRequests: number;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidOptionError(name, `expected a positive integer, got ${String(value)}`);
  }
  return value;
}

/**
 * Fills in defaults, validates (`SWITCHYARD_ERR_INVALID_OPTION`) and picks the mode; asking for
 * `handoff` on a Node that cannot transfer sockets throws `SWITCHYARD_ERR_HANDOFF_UNSUPPORTED`.
 */
export function resolveWorkerPoolOptions(
  options: WorkerPoolOptions = {},
): ResolvedWorkerPoolOptions {
  const { workers, mode = 'auto', maxQueuedRequests, ...serverOptions } = options;
  if (mode !== 'auto' && mode !== 'offload' && mode !== 'handoff') {
    throw new InvalidOptionError('mode', `expected auto, offload or handoff, got ${String(mode)}`);
  }
  const server = resolveServerOptions(serverOptions);
  const handoff = canTransferSockets();
  if (mode === 'handoff' && !handoff) {
    throw new HandoffUnsupportedError(`Node ${process.version} cannot transfer a net.Socket`);
  }
  return {
    server,
    workers: positiveInteger('workers', workers, availableParallelism()),
    mode: mode === 'auto' ? (handoff ? 'handoff' : 'offload') : mode,
    maxQueuedRequests: positiveInteger(
      'maxQueuedRequests',
      maxQueuedRequests,
      DEFAULT_MAX_QUEUED_REQUESTS,
    ),
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
  async listen(options) {
    const { server, workers, mode, maxQueuedRequests } = resolveWorkerPoolOptions(options);
    const running =
      mode === 'handoff'
        ? new HandoffServer({ options: server, workers })
        : new OffloadServer({ options: server, workers, maxQueuedRequests });
    return running.start();
  },
};
