import { InvalidOptionError } from './errors.js';

/**
 * What a strategy says about itself beyond the common `ServerOptions`, so a tool (the CLI, a
 * benchmark, a test matrix) can offer, check and document its options and modes without
 * knowing the strategy. The strategy's own option resolver uses the same descriptions, so a bad
 * value is refused with the same `SWITCHYARD_ERR_INVALID_OPTION` from code and from a CLI.
 */

/** The kind of value an option takes, which is also how a CLI turns its text into a value. */
export type StrategyOptionValue =
  /** A whole number in `[min, max]`. */
  | { readonly type: 'integer'; readonly min: number; readonly max?: number }
  /** One of a fixed list of strings. */
  | { readonly type: 'choice'; readonly choices: readonly string[] };

/** One option a strategy takes beyond the common ones. */
export interface StrategyOption<Value = unknown> {
  /** The `listen` option, camelCase (`maxQueuedRequests`); a CLI derives `--max-queued-requests`. */
  readonly key: string;
  /** One line for `--help`. */
  readonly description: string;
  readonly value: StrategyOptionValue;
  /** The default, as text for help (`4096`, `unlimited`, `one per core`). */
  readonly defaultText: string;
  /**
   * Returns `value` if the option accepts it; otherwise throws `SWITCHYARD_ERR_INVALID_OPTION`
   * naming `name` (the key by default; a CLI passes its flag).
   */
  validate(value: unknown, name?: string): Value;
}

/** One way a strategy can run; each is measured and tested on its own. */
export interface StrategyMode<Name extends string = string> {
  readonly name: Name;
  /** One line for tables and `--help`. */
  readonly description: string;
  /**
   * Why the running Node cannot run this mode, or `undefined` when it can. A method, so a
   * strategy probes the runtime only when asked. Absent: every Node runs it.
   */
  unsupported?(): string | undefined;
}

/**
 * The modes of a strategy that has more than one way to run. The strategy takes the one to run
 * as its `mode` option (a mode's name, or `auto`); {@link defineModeOption} describes that option.
 */
export interface StrategyModes<Name extends string = string> {
  readonly choices: readonly StrategyMode<Name>[];
  /** The mode `auto` picks on the running Node. */
  auto(): Name;
}

/**
 * Where a strategy can be imported from in another process: a module (a `file:` URL or a
 * package specifier any process resolves alike) and the name it is exported under. A package's
 * entry module says `{ module: import.meta.url, export: 'myStrategy' }`.
 */
export interface StrategyImport {
  readonly module: string;
  readonly export: string;
}

/** The modes of `modes` that the running Node can run, in their order. */
export function supportedModes<Name extends string>(
  modes: StrategyModes<Name>,
): StrategyMode<Name>[] {
  return modes.choices.filter((mode) => mode.unsupported?.() === undefined);
}

/** How a value is shown in an error: strings quoted, as a user typed them. */
function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** `a whole number >= 1`, `a whole number 0-65535`: the accepted range, for errors and help. */
export function describeOptionValue(value: StrategyOptionValue): string {
  if (value.type === 'choice') return `one of ${value.choices.join(', ')}`;
  return value.max === undefined
    ? `a whole number >= ${value.min}`
    : `a whole number ${value.min}-${value.max}`;
}

export interface IntegerOptionSpec<Key extends string> {
  readonly key: Key;
  readonly description: string;
  readonly defaultText: string;
  /** Default 0. */
  readonly min?: number;
  readonly max?: number;
  /** Code may also pass `Infinity` for "no limit" (a CLI leaves the option out instead). */
  readonly acceptsInfinity?: boolean;
}

/** An option whose value is a whole number within bounds. */
export function defineIntegerOption<Key extends string>(
  spec: IntegerOptionSpec<Key>,
): StrategyOption<number> & { readonly key: Key } {
  const value: StrategyOptionValue = {
    type: 'integer',
    min: spec.min ?? 0,
    ...(spec.max !== undefined && { max: spec.max }),
  };
  const { min, max = Number.MAX_SAFE_INTEGER } = value;
  return {
    key: spec.key,
    description: spec.description,
    defaultText: spec.defaultText,
    value,
    validate(candidate, name = spec.key) {
      if (spec.acceptsInfinity && candidate === Number.POSITIVE_INFINITY) return candidate;
      if (
        typeof candidate !== 'number' ||
        !Number.isSafeInteger(candidate) ||
        candidate < min ||
        candidate > max
      ) {
        throw new InvalidOptionError(
          name,
          `expected ${describeOptionValue(value)}, got ${shown(candidate)}`,
        );
      }
      return candidate;
    },
  };
}

export interface ChoiceOptionSpec<Key extends string, Choice extends string> {
  readonly key: Key;
  readonly description: string;
  readonly defaultText: string;
  readonly choices: readonly Choice[];
}

/** An option whose value is one of a fixed list of strings. */
export function defineChoiceOption<Key extends string, const Choice extends string>(
  spec: ChoiceOptionSpec<Key, Choice>,
): StrategyOption<Choice> & { readonly key: Key } {
  const value: StrategyOptionValue = { type: 'choice', choices: spec.choices };
  return {
    key: spec.key,
    description: spec.description,
    defaultText: spec.defaultText,
    value,
    validate(candidate, name = spec.key) {
      if (!spec.choices.includes(candidate as Choice)) {
        throw new InvalidOptionError(
          name,
          `expected ${describeOptionValue(value)}, got ${shown(candidate)}`,
        );
      }
      return candidate as Choice;
    },
  };
}

/** The `mode` option of a strategy with `modes`: `auto` (the default) or one of their names. */
export function defineModeOption<Name extends string>(
  modes: StrategyModes<Name>,
  description = 'how it runs; auto picks the best mode this Node supports',
): StrategyOption<Name | 'auto'> & { readonly key: 'mode' } {
  return defineChoiceOption({
    key: 'mode',
    description,
    defaultText: 'auto',
    choices: ['auto', ...modes.choices.map((mode) => mode.name)] as (Name | 'auto')[],
  });
}
