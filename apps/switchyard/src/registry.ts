import { type Strategy, supportedModes, UnknownStrategyError } from '@switchyard/protocol';
import { blockingStrategy } from '@switchyard/server-blocking';
import {
  type Distribution,
  distributions,
  multiProcess,
  processesOptions,
} from '@switchyard/server-processes';
import { selectorStrategy } from '@switchyard/server-selector';
import { workerPoolStrategy } from '@switchyard/server-worker-pool';
import { flagOf } from './options.js';

/**
 * Every strategy the app knows, in the order tables show them. The one place to add a strategy:
 * `serve` flags, contenders, the conformance matrix and the bench all come from what each
 * strategy says about itself (`modes`, `options`, `capabilities`, `importFrom`). Every function
 * below takes the list, so a test can hand it one more strategy.
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
 * its modes if it has them (each mode is a different way to run, and costs something different),
 * in one process or in several.
 */
export interface Contender {
  /** `selector`, `worker-pool:offload` in a mode, `selector×2:rr` in two processes. */
  readonly name: string;
  readonly strategy: Strategy;
  /** Strategy-specific options to merge into the options given to `listen`: mode, processes. */
  readonly options: Readonly<Record<string, string | number>>;
  /** The `switchyard serve` arguments that run this contender (without codec, handler or port). */
  readonly serveArgs: readonly string[];
  /** For a contender in several processes: the one it runs in each, how many, how they share. */
  readonly processes?: {
    readonly inner: Contender;
    readonly count: number;
    readonly distribution: Distribution;
  };
}

/** How many processes the multi-process contenders of the matrix and the bench run. */
export const CONTENDER_PROCESSES = 2;

/**
 * The distributions `all` includes (where this Node runs them); `os` is opt-in by name
 * (`selector×2:os`): the kernel's split is uneven enough that its figures vary run to run.
 */
export const DEFAULT_DISTRIBUTIONS: readonly Distribution[] = ['rr', 'reuseport'];

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

/** One wrapper per strategy, so every contender of it holds the same `Strategy` object. */
const inProcesses = new WeakMap<Strategy, Strategy>();

/** `inner` run in `count` processes sharing one port by `distribution`: `selector×2:rr`. */
export function processesContender(
  inner: Contender,
  count: number,
  distribution: Distribution,
): Contender {
  let strategy = inProcesses.get(inner.strategy);
  if (!strategy) {
    strategy = multiProcess(inner.strategy);
    inProcesses.set(inner.strategy, strategy);
  }
  return {
    name: `${inner.name}×${count}:${distribution}`,
    strategy,
    options: { ...inner.options, processes: count, distribution },
    serveArgs: [
      ...inner.serveArgs,
      flagOf('processes'),
      String(count),
      flagOf('distribution'),
      distribution,
    ],
    processes: { inner, count, distribution },
  };
}

/**
 * Whether `all` runs a strategy in several processes too: one that serves concurrently on one
 * thread (several processes are how it uses more cores) and says where another process can
 * import it from. Decided by what it declares, never by its name.
 */
export function runsInProcessesByDefault(strategy: Strategy): boolean {
  const { connections, parallelHandlers } = strategy.capabilities;
  return strategy.importFrom !== undefined && connections === 'concurrent' && !parallelHandlers;
}

/** The contenders of one strategy: one per mode this Node supports, or the one. */
function ownContenders(strategy: Strategy): Contender[] {
  return strategy.modes === undefined
    ? [contender(strategy)]
    : supportedModes(strategy.modes).map((mode) => contender(strategy, mode.name));
}

/** `inner` in `count` processes, once per distribution this Node runs, of `names` (or all). */
function acrossDistributions(
  inner: Contender,
  count: number,
  names: readonly Distribution[] = distributions.choices.map((choice) => choice.name),
): Contender[] {
  return supportedModes(distributions)
    .filter((mode) => names.includes(mode.name))
    .map((mode) => processesContender(inner, count, mode.name));
}

/**
 * Every contender this Node can run, in table order: one per strategy (one per mode it
 * supports, for a strategy with modes), each followed by its multi-process contenders where
 * {@link runsInProcessesByDefault} (`selector×2:rr`, and `selector×2:reuseport` where this Node
 * shares ports).
 */
export function contenders(list: readonly Strategy[] = strategies): Contender[] {
  return list.flatMap((strategy) => {
    const own = ownContenders(strategy);
    if (!runsInProcessesByDefault(strategy)) return own;
    return own.flatMap((inner) => [
      inner,
      ...acrossDistributions(inner, CONTENDER_PROCESSES, DEFAULT_DISTRIBUTIONS),
    ]);
  });
}

/** Every contender name this Node can run, for error messages and `--help`. */
export function contenderNames(list: readonly Strategy[] = strategies): string[] {
  return contenders(list).map((candidate) => candidate.name);
}

/** `selector×2:rr` (or `selectorx2:rr`, typed without the ×) into its parts. */
function parseProcessesName(
  name: string,
): { inner: string; count: number; distribution?: string } | undefined {
  const match = /^(.+?)[×x](\d+)(?::([\w-]+))?$/.exec(name);
  if (!match) return undefined;
  return {
    inner: match[1]!,
    count: Number(match[2]),
    ...(match[3] !== undefined && { distribution: match[3] }),
  };
}

/**
 * Looks up a strategy name (`selector`), a contender name (`worker-pool:offload`) or a
 * multi-process one (`selector×2:rr`, any count and distribution; `selector×2` is rr).
 * Throws `SWITCHYARD_ERR_UNKNOWN_STRATEGY` listing the known names, and
 * `SWITCHYARD_ERR_INVALID_OPTION` for a process count or distribution that is not one.
 */
export function getContender(name: string, list: readonly Strategy[] = strategies): Contender {
  const found = contenders(list).find((candidate) => candidate.name === name);
  if (found) return found;
  const parsed = parseProcessesName(name);
  const innerKnown =
    parsed && list.some((strategy) => parsed.inner.split(':')[0] === strategy.name);
  if (!parsed || !innerKnown) {
    const [strategyName = '', mode] = name.split(':', 2);
    const strategy = list.find((candidate) => candidate.name === strategyName);
    if (!strategy) throw new UnknownStrategyError(name, strategyNames(list));
    // A mode this Node cannot run, or no such mode: the strategy's own checks say why.
    return contender(strategy, mode);
  }
  const count = processesOptions.processes.validate(parsed.count, '--strategy');
  const distribution = processesOptions.distribution.validate(
    parsed.distribution ?? distributions.auto(),
    '--strategy',
  );
  return processesContender(getContender(parsed.inner, list), count, distribution);
}

/**
 * Picks contenders from a `--strategy` value: `all`, or a comma-separated list of strategy or
 * contender names (a bare strategy name with modes selects all its modes; `selector×2` without
 * a distribution selects every one this Node runs).
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
      (candidate) =>
        candidate.name === name || (!candidate.processes && candidate.strategy.name === name),
    );
    const parsed = parseProcessesName(name);
    const wanted =
      matching.length > 0
        ? matching
        : parsed && parsed.distribution === undefined
          ? selectContenders(parsed.inner, list).flatMap((inner) =>
              acrossDistributions(inner, processesOptions.processes.validate(parsed.count)),
            )
          : [getContender(name, list)];
    for (const candidate of wanted) {
      if (!picked.some((already) => already.name === candidate.name)) picked.push(candidate);
    }
  }
  return picked;
}
