import { describeConformance } from '@switchyard/conformance/vitest';
import { test } from 'vitest';
import { exampleTargets } from './strategies.js';

/**
 * The whole conformance suite on every strategy, for the service a workload module describes:
 * its handler on each strategy, its codec, every reply checked by its oracle.
 */
export function describeWorkloadConformance(workload: string): void {
  for (const target of exampleTargets) {
    if (target.unsupported) {
      test.skip(`${target.name}: ${target.unsupported}`);
      continue;
    }
    describeConformance(target.strategy, {
      name: target.name,
      options: { ...target.options },
      workload,
    });
  }
}
