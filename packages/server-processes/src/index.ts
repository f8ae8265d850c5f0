import { InvalidOptionError, ReusePortUnsupportedError, type Strategy } from '@switchyard/protocol';
import { probeReusePort } from '@switchyard/server-core';
import { type ProcessesOptions, processesOptions, resolveProcessesOptions } from './options.js';
import { MultiProcessServer, type MultiProcessStats } from './server.js';

export { EMPTY_STATS, retired, sumStats } from './aggregate.js';
export {
  type Distribution,
  distributions,
  type ProcessesOptions,
  type ProcessesPlan,
  processesOptions,
  resolveProcessesOptions,
} from './options.js';
export { afterDeath, DEFAULT_RESPAWN_POLICY, type RespawnPolicy } from './respawn.js';
export {
  CONNECTION_ID_STRIDE,
  MultiProcessServer,
  type MultiProcessStats,
  type ProcessState,
  type ProcessStats,
} from './server.js';
export { importStrategy } from './strategy-import.js';

/** True for the stats of a multi-process server, which carry each process's own. */
export function isMultiProcessStats(stats: object): stats is MultiProcessStats {
  return Array.isArray((stats as { processes?: unknown }).processes);
}

/** A strategy in processes: its running server tells each process's stats as well. */
export interface MultiProcessStrategy extends Strategy<ProcessesOptions> {
  listen(options?: ProcessesOptions): Promise<MultiProcessServer>;
}

/**
 * `strategy` run in N processes that share one port, as one strategy: `listen` takes the
 * strategy's own options plus `processes` and `distribution`, and resolves once every process
 * listens. Each process imports the strategy from where it says (`strategy.importFrom`), and
 * the handler and codec by reference. Throws `SWITCHYARD_ERR_INVALID_OPTION` for a strategy that
 * does not say where to import it from.
 */
export function multiProcess(strategy: Strategy): MultiProcessStrategy {
  const { importFrom } = strategy;
  if (importFrom === undefined) {
    throw new InvalidOptionError(
      'strategy',
      `${strategy.name} cannot run in child processes: it does not say where another process can import it from (Strategy.importFrom)`,
    );
  }
  const clash = strategy.options?.find((option) => Object.hasOwn(processesOptions, option.key));
  if (clash !== undefined) {
    throw new InvalidOptionError(
      clash.key,
      `${strategy.name} has an option of its own named ${clash.key}, which the processes take`,
    );
  }
  return {
    name: `${strategy.name} in processes`,
    description: `${strategy.description}; in several processes sharing one port`,
    capabilities: { ...strategy.capabilities, runsIn: 'child-processes' },
    ...(strategy.modes !== undefined && { modes: strategy.modes }),
    options: [...(strategy.options ?? []), ...Object.values(processesOptions)],
    async listen(options) {
      const plan = resolveProcessesOptions(strategy, options);
      if (plan.distribution === 'reuseport') {
        // Tried for real before any process starts: a kernel or Node that would not share the
        // port is one clear error here, not an EADDRINUSE from the second process.
        const host = typeof plan.options.host === 'string' ? plan.options.host : '127.0.0.1';
        const why = await probeReusePort(host);
        if (why !== undefined) throw new ReusePortUnsupportedError(why);
      }
      return MultiProcessServer.start(plan, importFrom);
    },
  };
}
