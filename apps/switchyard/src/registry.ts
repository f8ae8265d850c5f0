import { type Strategy, UnknownStrategyError } from '@switchyard/protocol';
import { selectorStrategy } from '@switchyard/server-selector';

/** Every strategy the app knows, in the order tables show them. The one place to add a strategy. */
export const strategies: readonly Strategy[] = [selectorStrategy];

/** Looks a strategy up by name; throws `SWITCHYARD_ERR_UNKNOWN_STRATEGY` listing the known ones. */
export function getStrategy(name: string): Strategy {
  const strategy = strategies.find((candidate) => candidate.name === name);
  if (!strategy) throw new UnknownStrategyError(name, strategyNames());
  return strategy;
}

export function strategyNames(): string[] {
  return strategies.map((strategy) => strategy.name);
}
