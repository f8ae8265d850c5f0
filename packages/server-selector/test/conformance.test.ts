import { describeConformance } from '@switchyard/conformance/vitest';
import { selectorStrategy } from '../src/index.js';

describeConformance(selectorStrategy);
describeConformance(selectorStrategy, { name: 'selector over TLS', tls: true });
describeConformance(selectorStrategy, { name: 'selector on a Unix socket', unixSocket: true });
