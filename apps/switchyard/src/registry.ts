import { type Strategy, supportedModes, UnknownStrategyError } from '@switchyard/protocol';
import { blockingStrategy } from '@switchyard/server-blocking';
import { selectorStrategy } from '@switchyard/server-selector';
import { workerPoolStrategy } from '@switchyard/server-worker-pool';
import { flagOf } from './options.js';

/**
 * Every strategy the app knows, in the order tables show them. The one place to add a strategy:
 * `serve` flags, contenders, the conformance matrix and the bench all come from what each
 * strategy says about itself (`modes`, `options`). Every function below takes the list, so a test
 * can hand it one more strategy.
 */
export const strategies: readonly Strategy[] = [
  blockingStrategy,
  selectorStrategy,
  workerPoolStrategy,
];

/** Looks a strategy up by name; throws `SWITCHYARD_ERR_UNKNOWN_STRATEGY` listing the known ones. */
export function getStrategy(name: string, list: readonly Strategy[] = strategies): Strategy {
  const strategy = list.find((candidate) => candidate.name === name);
  if (!strategy) throw new UnknownStrategyError(name, strategyNames(list));
  return strategy;
}

export function strategyNames(list: readonly Strategy[] = strategies): string[] {
  return list.map((strategy) => strategy.name);
}

/**
 * One column of the conformance matrix and one contender of the bench: a strategy, in one of
 * its modes if it has them (each mode is a different way to run, and costs something different).
 */
export interface Contender {
  /** `selector`, or `worker-pool:offload` for a strategy run in one of its modes. */
  readonly name: string;
  readonly strategy: Strategy;
  /** Strategy-specific options to merge into the options given to `listen`: the mode, if any. */
  readonly options: Readonly<Record<string, string>>;
  /** The `switchyard serve` arguments that run this contender (without codec, handler or port). */
  readonly serveArgs: readonly string[];
}

function contender(strategy: Strategy, mode?: string): Contender {
  const options: Record<string, string> = mode === undefined ? {} : { mode };
  return {
    name: mode === undefined ? strategy.name : `${strategy.name}:${mode}`,
    strategy,
    options,
    serveArgs: [
      '--strategy',
      strategy.name,
      ...Object.entries(options).flatMap(([key, value]) => [flagOf(key), value]),
    ],
  };
}

/**
 * Every contender this Node can run, in table order: one per strategy, except that a strategy
 * with modes gets one per mode the running Node supports.
 */
export function contenders(list: readonly Strategy[] = strategies): Contender[] {
  return list.flatMap((strategy) =>
    strategy.modes === undefined
      ? [contender(strategy)]
      : supportedModes(strategy.modes).map((mode) => contender(strategy, mode.name)),
  );
}

/** Every contender name this Node can run, for error messages and `--help`. */
export function contenderNames(list: readonly Strategy[] = strategies): string[] {
  return contenders(list).map((candidate) => candidate.name);
}

/**
 * Looks up a strategy name (`selector`) or a contender name (`worker-pool:offload`).
 * Throws `SWITCHYARD_ERR_UNKNOWN_STRATEGY` listing the known names.
 */
export function getContender(name: string, list: readonly Strategy[] = strategies): Contender {
  const found = contenders(list).find((candidate) => candidate.name === name);
  if (found) return found;
  const [strategyName = '', mode] = name.split(':', 2);
  const strategy = list.find((candidate) => candidate.name === strategyName);
  if (!strategy) throw new UnknownStrategyError(name, strategyNames(list));
  // A mode this Node cannot run, or no such mode: the strategy's own checks say why.
  return contender(strategy, mode);
}

/**
 * Picks contenders from a `--strategy` value: `all`, or a comma-separated list of strategy or
 * contender names (a bare strategy name with modes selects all its modes).
 */
export function selectContenders(
  selection: string,
  list: readonly Strategy[] = strategies,
): Contender[] {
  const all = contenders(list);
  if (selection.trim() === 'all') return all;
  const picked: Contender[] = [];
  for (const name of selection
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const matching = all.filter(
      (candidate) => candidate.name === name || candidate.strategy.name === name,
    );
    for (const candidate of matching.length > 0 ? matching : [getContender(name, list)]) {
      if (!picked.some((already) => already.name === candidate.name)) picked.push(candidate);
    }
  }
  return picked;
}
