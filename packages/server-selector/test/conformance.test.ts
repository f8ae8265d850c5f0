import { describeConformance } from '@switchyard/conformance/vitest';
import { selectorStrategy } from '../src/index.js';

describeConformance(selectorStrategy);
describeConformance(selectorStrategy, { name: 'selector over TLS', tls: true });
// Behind a balancer passing TLS through: every client sends a PROXY header, then its handshake.
describeConformance(selectorStrategy, {
  name: 'selector over TLS behind a PROXY v2 balancer',
  options: { proxyProtocol: 'v2' },
  tls: true,
});
describeConformance(selectorStrategy, { name: 'selector on a Unix socket', unixSocket: true });
