import { ListenFailedError, type Strategy, type StrategyImport } from '@switchyard/protocol';

/** True for a value with what every strategy has: a name, capabilities and `listen`. */
function isStrategy(value: unknown): value is Strategy {
  const candidate = value as Partial<Strategy> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.name === 'string' &&
    typeof candidate.listen === 'function' &&
    typeof candidate.capabilities === 'object'
  );
}

/**
 * The strategy `reference` names, imported in this process. Rejects with
 * `SWITCHYARD_ERR_LISTEN_FAILED` (the loader's error as `cause`) when the module cannot be
 * imported or does not export a strategy under that name: this process cannot serve.
 */
export async function importStrategy(reference: StrategyImport): Promise<Strategy> {
  let mod: Record<string, unknown>;
  try {
    mod = await import(reference.module);
  } catch (error) {
    throw new ListenFailedError(
      `cannot import the strategy from ${reference.module}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const strategy = mod[reference.export];
  if (!isStrategy(strategy)) {
    throw new ListenFailedError(
      `${reference.module} has no strategy exported as ${reference.export}`,
    );
  }
  return strategy;
}
