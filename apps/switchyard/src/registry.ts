import { type Strategy, UnknownStrategyError } from '@switchyard/protocol';
import { blockingStrategy } from '@switchyard/server-blocking';
import { selectorStrategy } from '@switchyard/server-selector';
import { canTransferSockets, workerPoolStrategy } from '@switchyard/server-worker-pool';

/** Every strategy the app knows, in the order tables show them. The one place to add a strategy. */
export const strategies: readonly Strategy[] = [
  blockingStrategy,
  selectorStrategy,
  workerPoolStrategy,
];

/**
 * Strategies that run in distinct modes, and the modes the running Node supports. Each mode is
 * its own contender, because each is a different way to run (and costs something different).
 */
function modesOf(strategy: Strategy): readonly string[] {
  if (strategy === workerPoolStrategy) {
    return canTransferSockets() ? ['offload', 'handoff'] : ['offload'];
  }
  return [];
}

/** Looks a strategy up by name; throws `SWITCHYARD_ERR_UNKNOWN_STRATEGY` listing the known ones. */
export function getStrategy(name: string): Strategy {
  const strategy = strategies.find((candidate) => candidate.name === name);
  if (!strategy) throw new UnknownStrategyError(name, strategyNames());
  return strategy;
}

export function strategyNames(): string[] {
  return strategies.map((strategy) => strategy.name);
}

/**
 * One column of the conformance matrix and one contender of the bench: a strategy, plus the
 * strategy-specific options that make it a distinct way of running (a worker-pool mode).
 */
export interface Contender {
  /** `selector`, or `worker-pool:offload` for a strategy run in one of its modes. */
  readonly name: string;
  readonly strategy: Strategy;
  /** Strategy-specific options to merge into the options given to `listen`. */
  readonly options: Readonly<Record<string, unknown>>;
  /** The `switchyard serve` arguments that run this contender (without codec, handler or port). */
  readonly serveArgs: readonly string[];
}

function contender(strategy: Strategy, mode?: string): Contender {
  return {
    name: mode ? `${strategy.name}:${mode}` : strategy.name,
    strategy,
    options: mode ? { mode } : {},
    serveArgs: mode ? ['--strategy', strategy.name, '--mode', mode] : ['--strategy', strategy.name],
  };
}

/**
 * Strategy-specific options `serve` accepts, by strategy name. Others are refused, so a flag that
 * would be silently ignored is an error instead.
 */
export const strategySpecificOptions: Readonly<Record<string, readonly string[]>> = {
  [workerPoolStrategy.name]: ['workers', 'mode'],
  [blockingStrategy.name]: ['maxWaiting'],
};

/**
 * Every contender this Node can run, in table order: one per strategy, except that a strategy
 * with modes gets one per mode the running Node supports.
 */
export function contenders(): Contender[] {
  return strategies.flatMap((strategy) => {
    const modes = modesOf(strategy);
    return modes.length === 0
      ? [contender(strategy)]
      : modes.map((mode) => contender(strategy, mode));
  });
}

/** Every contender name this Node can run, for error messages and `--help`. */
export function contenderNames(): string[] {
  return contenders().map((candidate) => candidate.name);
}

/**
 * Looks up a strategy name (`selector`) or a contender name (`worker-pool:offload`).
 * Throws `SWITCHYARD_ERR_UNKNOWN_STRATEGY` listing the known names.
 */
export function getContender(name: string): Contender {
  const found = contenders().find((candidate) => candidate.name === name);
  if (found) return found;
  const [strategyName, mode] = name.split(':', 2);
  const strategy = strategies.find((candidate) => candidate.name === strategyName);
  if (!strategy) throw new UnknownStrategyError(name, strategyNames());
  // A mode this Node cannot run: let the strategy say why when it is started.
  return mode ? contender(strategy, mode) : contender(strategy);
}

/**
 * Picks contenders from a `--strategy` value: `all`, or a comma-separated list of strategy or
 * contender names (a bare strategy name with modes selects all its modes).
 */
export function selectContenders(selection: string): Contender[] {
  const all = contenders();
  if (selection.trim() === 'all') return all;
  const picked: Contender[] = [];
  for (const name of selection
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const matching = all.filter(
      (candidate) => candidate.name === name || candidate.strategy.name === name,
    );
    for (const candidate of matching.length > 0 ? matching : [getContender(name)]) {
      if (!picked.some((already) => already.name === candidate.name)) picked.push(candidate);
    }
  }
  return picked;
}
