import type { Strategy } from '@switchyard/protocol';
import { blockingStrategy } from '@switchyard/server-blocking';
import { selectorStrategy } from '@switchyard/server-selector';
import { canTransferSockets, workerPoolStrategy } from '@switchyard/server-worker-pool';

/** A strategy as the examples run it: its documented defaults, plus what picks a mode. */
export interface ExampleTarget {
  readonly name: string;
  readonly strategy: Strategy;
  readonly options: Readonly<Record<string, unknown>>;
  /** Why this Node cannot run it, if it cannot. */
  readonly unsupported?: string;
}

/** Every strategy and worker-pool mode; two workers, so that a pool has threads to differ. */
export const exampleTargets: readonly ExampleTarget[] = [
  { name: 'blocking', strategy: blockingStrategy as Strategy, options: {} },
  { name: 'selector', strategy: selectorStrategy, options: {} },
  {
    name: 'worker-pool offload',
    strategy: workerPoolStrategy as Strategy,
    options: { mode: 'offload', workers: 2 },
  },
  {
    name: 'worker-pool handoff',
    strategy: workerPoolStrategy as Strategy,
    options: { mode: 'handoff', workers: 2 },
    ...(!canTransferSockets() && {
      unsupported: `Node ${process.version} cannot transfer sockets to worker threads`,
    }),
  },
];
