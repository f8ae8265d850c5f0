import { type BenchContender, baselineContender, parseExternal } from '@switchyard/bench';
import type { Strategy } from '@switchyard/protocol';
import { type Contender, selectContenders, strategies } from './registry.js';
import { selfCommand } from './self.js';

/** Which servers a bench compares, as the CLI's flags give them. */
export interface ContenderSelection {
  /** `all`, or a comma-separated list of strategy / contender names, as `serve --strategy`. */
  readonly strategies: string;
  /** The bare `net` echo server (measured where the workload is echo over raw). */
  readonly baseline: boolean;
  /** `NAME=COMMAND` with `{port}` where the port goes (see `parseExternal`). */
  readonly externals: readonly string[];
}

/**
 * A registry contender as a bench contender: `switchyard serve` in a process of its own, told
 * each workload's codec, handler and handler options.
 */
export function strategyContender(contender: Contender): BenchContender {
  return {
    name: contender.name,
    kind: 'strategy',
    readiness: 'stdout',
    command(service, host) {
      const self = selfCommand();
      const args = [
        ...self.args,
        'serve',
        ...contender.serveArgs,
        '--host',
        host,
        '--port',
        '0',
        '--codec',
        service.codec,
        '--handler',
        service.handler,
      ];
      if (Object.keys(service.handlerOptions).length > 0) {
        args.push('--handler-options', JSON.stringify(service.handlerOptions));
      }
      return { command: self.command, args };
    },
  };
}

/** Every registry contender in `selection` (as `serve --strategy` takes it) as a bench contender. */
export function strategyContenders(
  selection: string,
  list: readonly Strategy[] = strategies,
): BenchContender[] {
  return selectContenders(selection, list).map(strategyContender);
}

/** The baseline (when asked for), the selected strategies, then the external commands. */
export function benchContenders(
  selection: ContenderSelection,
  list: readonly Strategy[] = strategies,
): BenchContender[] {
  return [
    ...(selection.baseline ? [baselineContender()] : []),
    ...strategyContenders(selection.strategies, list),
    ...selection.externals.map((spec) => parseExternal(spec)),
  ];
}
