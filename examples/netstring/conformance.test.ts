import { listCases, runSuite, type StrategyTarget } from '@switchyard/conformance';
import { describe, expect, test } from 'vitest';
import { exampleTargets } from '../support/strategies.js';

// The codec is named by module specifier, as a user names theirs: every thread that decodes
// (the worker pool's handoff workers too) imports this very module.
const codec = new URL('./codec.mjs', import.meta.url).href;

/** Time vitest allows beyond a case's own limit, for the suite's cleanup. */
const CLEANUP_MARGIN_MS = 10_000;

// The framing and stream cases build their frames with the codec's own encoder and take the
// malformed input it declares. Each must pass: a case skipped for this codec proves nothing.
const cases = listCases('framing,stream');

describe.each(exampleTargets)(
  'netstring on $name passes the conformance framing cases',
  (target) => {
    if (target.unsupported) {
      test.skip(target.unsupported);
      return;
    }
    const suiteTarget: StrategyTarget = {
      kind: 'strategy',
      strategy: target.strategy,
      name: target.name,
      options: { ...target.options, codec },
    };
    for (const info of cases) {
      test(
        info.id,
        async () => {
          const report = await runSuite(suiteTarget, { filter: info.id });
          const results = report.results.map(({ id, status, message }) => ({
            id,
            status,
            message,
          }));
          expect(results).toEqual([{ id: info.id, status: 'pass', message: undefined }]);
        },
        info.timeoutMs + CLEANUP_MARGIN_MS,
      );
    }
  },
);

test('the framing cases include the malformed-input case', () => {
  expect(cases.map((info) => info.id)).toContain('framing.malformed');
});
