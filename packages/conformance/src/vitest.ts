import type { Strategy } from '@switchyard/protocol';
import { describe, test as vitestTest } from 'vitest';
import { type PreparedTarget, prepareTarget } from './prepare.js';
import { planCase, runCase, selectCases } from './runner.js';
import type { StrategyTarget, TargetWorkload } from './types.js';

/** Time vitest allows a case beyond its own limit, for cleanup (destroying servers). */
const CLEANUP_MARGIN_MS = 10_000;

export interface DescribeConformanceOptions {
  /** Name shown in the describe block. Default: the strategy's name. */
  name?: string;
  /**
   * Passed to every `listen` (a case's own options win). `codec` pins a codec: a built-in name,
   * a module specifier, or a `Codec`.
   */
  options?: Record<string, unknown>;
  /**
   * What a good reply is: a workload (a built-in name, a module specifier, or the value), whose
   * codec and handler the servers then run, or an oracle (`{ request, check }`) for the handler
   * in `options`. Absent: replies are echoes.
   */
  workload?: TargetWorkload;
  /** Case ids to run, as in `runSuite` (a pattern that matches no case throws). */
  filter?: string;
  /** Serve and speak TLS (see {@link StrategyTarget.tls}). */
  tls?: boolean;
  /** Listen on Unix domain sockets (see {@link StrategyTarget.unixSocket}). */
  unixSocket?: boolean;
}

/**
 * Declares one vitest test per conformance case for `strategy`. A case that does not apply
 * (capabilities, codec) or skips itself is shown as skipped with the reason; a failure throws
 * the case's message (what differed).
 */
export function describeConformance(
  strategy: Strategy,
  { name, options, workload, filter, tls, unixSocket }: DescribeConformanceOptions = {},
): void {
  const target: StrategyTarget = {
    kind: 'strategy',
    strategy,
    ...(options ? { options } : {}),
    ...(workload === undefined ? {} : { workload }),
    ...(name ? { name } : {}),
    ...(tls ? { tls } : {}),
    ...(unixSocket ? { unixSocket } : {}),
  };
  const selected = selectCases(filter);
  // Loaded once, by the first test that runs; a codec or workload that fails to load fails every
  // test with the loader's error.
  let prepared: Promise<PreparedTarget> | undefined;
  describe(`conformance: ${name ?? strategy.name}`, () => {
    for (const definition of selected) {
      const title = `${definition.id} (${definition.tier}): ${definition.description}`;
      vitestTest(
        title,
        async (context) => {
          prepared ??= prepareTarget(target);
          const ready = await prepared;
          const plan = planCase(ready, definition);
          if ('skip' in plan) context.skip(plan.skip);
          const result = await runCase(ready, definition);
          if (result.status === 'skip') context.skip(result.message);
          if (result.status === 'fail') throw new Error(`${definition.id}: ${result.message}`);
        },
        definition.timeoutMs + CLEANUP_MARGIN_MS,
      );
    }
  });
}
