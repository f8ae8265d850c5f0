import { describeConformance } from '@switchyard/conformance/vitest';
import { multiProcess } from '../src/index.js';
import { loopStrategy } from './fixtures/loop-strategy.js';

describeConformance(multiProcess(loopStrategy), {
  name: 'loop x2 (rr)',
  options: { processes: 2, distribution: 'rr' },
});
