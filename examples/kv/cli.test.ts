import { describe } from 'vitest';
import { testServiceFromCli } from '../support/cli.js';

describe('the key-value service from the command line (every GET checked)', () => {
  testServiceFromCli('./kv/workload.mjs');
});
