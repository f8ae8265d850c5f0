import { describeConformance } from '@switchyard/conformance/vitest';
import { blockingStrategy } from '../src/index.js';

describeConformance(blockingStrategy);
