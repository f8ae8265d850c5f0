import { availableParallelism } from 'node:os';
import { serialize } from 'node:v8';
import {
  assertKnownKeys,
  defineChoiceOption,
  defineIntegerOption,
  InvalidOptionError,
  ReusePortUnsupportedError,
  resolveCodecSpecifier,
  resolveHandlerSpecifier,
  resolveServerOptions,
  type ServerOptions,
  type Strategy,
  type StrategyModes,
  serverOptionKeys,
} from '@switchyard/protocol';
import { reusePortUnsupported } from '@switchyard/server-core';

/** How connections reach the processes. */
export type Distribution = 'rr' | 'os' | 'reuseport';

/**
 * The three ways to share one port between processes, as modes a tool can list: each says
 * whether this Node can run it (`unsupported()`), so a tool offers `reuseport` only where it works.
 */
export const distributions: StrategyModes<Distribution> = {
  choices: [
    {
      name: 'rr',
      description:
        "Node's cluster round-robin: one process accepts and hands each connection to the next",
    },
    {
      name: 'os',
      description:
        'cluster with SCHED_NONE: every process accepts from one shared socket, as the kernel wakes them (often unevenly)',
    },
    {
      name: 'reuseport',
      description:
        'each process binds the port with SO_REUSEPORT; the kernel spreads connections by a hash of their addresses',
      unsupported: () => reusePortUnsupported(),
    },
  ],
  auto: () => 'rr',
};

/** The options this package adds to the strategy it runs, as a CLI offers them. */
export const processesOptions = {
  processes: defineIntegerOption({
    key: 'processes',
    description: 'server processes, each running the strategy on the shared port',
    defaultText: 'os.availableParallelism()',
    min: 1,
  }),
  distribution: defineChoiceOption({
    key: 'distribution',
    description:
      'how connections reach the processes: rr (cluster round-robin), os (the kernel, one shared socket), reuseport (SO_REUSEPORT, Node >= 22.12)',
    defaultText: 'rr',
    choices: distributions.choices.map((choice) => choice.name),
  }),
} as const;

/** Options of N processes of a strategy: the strategy's own, plus how many and how they share. */
export type ProcessesOptions = ServerOptions & {
  /** Server processes. Default `os.availableParallelism()`. */
  processes?: number;
  /** How connections reach them. Default `rr`. */
  distribution?: Distribution;
} & Record<string, unknown>;

/** What the processes are started with, checked before any of them starts. */
export interface ProcessesPlan {
  readonly processes: number;
  readonly distribution: Distribution;
  /**
   * What each process's strategy listens with: the options given, with the handler and codec as
   * specifiers any process resolves alike. Defaults are left to each process (its heap, its
   * budget).
   */
  readonly options: Readonly<Record<string, unknown>>;
}

/**
 * Checks everything a child process would refuse, before any starts: this package's options,
 * the common ones, the strategy's own (with its `validate`), a handler and codec that are
 * references (a child imports them), handler options a process boundary can carry, and
 * `reuseport` on a Node that would ignore it. Throws `SWITCHYARD_ERR_INVALID_OPTION` or
 * `SWITCHYARD_ERR_REUSEPORT_UNSUPPORTED`.
 */
export function resolveProcessesOptions(
  strategy: Strategy,
  options: ProcessesOptions = {},
): ProcessesPlan {
  const { processes, distribution = 'rr', ...given } = options;
  const chosen = processesOptions.distribution.validate(distribution);
  const count =
    processes === undefined
      ? availableParallelism()
      : processesOptions.processes.validate(processes);
  const own = strategy.options ?? [];
  assertKnownKeys(given, [...serverOptionKeys, ...own.map((option) => option.key)]);
  if (given.reusePort !== undefined) {
    throw new InvalidOptionError(
      'reusePort',
      'the distribution decides how processes share the port: use distribution reuseport',
    );
  }
  const common = Object.fromEntries(
    Object.entries(given).filter(([key]) => serverOptionKeys.includes(key)),
  ) as ServerOptions;
  resolveServerOptions(common);
  for (const option of own) {
    if (given[option.key] !== undefined) option.validate(given[option.key]);
  }
  const { handler = 'echo', codec = 'raw', handlerOptions } = given;
  if (typeof handler !== 'string') {
    throw new InvalidOptionError(
      'handler',
      'child processes load the handler by module specifier: pass echo, burn, a path or a package specifier whose default export is the handler',
    );
  }
  if (typeof codec !== 'string') {
    throw new InvalidOptionError(
      'codec',
      'child processes load the codec by name or module specifier: pass raw, lines, length-prefixed, a path or a package specifier whose default export is the codec',
    );
  }
  assertCrossesProcesses(handlerOptions);
  if (chosen === 'reuseport') {
    const why = reusePortUnsupported();
    if (why !== undefined) throw new ReusePortUnsupportedError(why);
  }
  return {
    processes: count,
    distribution: chosen,
    options: {
      ...given,
      handler: resolveHandlerSpecifier(handler),
      codec: resolveCodecSpecifier(codec),
    },
  };
}

/** Handler options reach each process as a structured clone over IPC: no shared memory, no functions. */
function assertCrossesProcesses(handlerOptions: unknown): void {
  if (handlerOptions === undefined) return;
  try {
    serialize(handlerOptions);
  } catch (error) {
    throw new InvalidOptionError(
      'handlerOptions',
      `must be serializable to reach child processes (no SharedArrayBuffer, no functions): ${(error as Error).message}`,
    );
  }
}
