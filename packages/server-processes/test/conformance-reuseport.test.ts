import { describeConformance } from '@switchyard/conformance/vitest';
import { reusePortUnsupported } from '@switchyard/server-core';
import { describe, test } from 'vitest';
import { multiProcess } from '../src/index.js';
import { loopStrategy } from './fixtures/loop-strategy.js';

// reusePort shares a port from Node 22.12 (CI's Node 26 pass runs it).
const unsupported = reusePortUnsupported();
if (unsupported === undefined) {
  describeConformance(multiProcess(loopStrategy), {
    name: 'loop x2 (reuseport)',
    options: { processes: 2, distribution: 'reuseport' },
  });
} else {
  describe.skip(`conformance: loop x2 (reuseport): ${unsupported}`, () => {
    test('every case', () => {});
  });
}
