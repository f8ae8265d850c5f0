import { describeConformance } from '@switchyard/conformance/vitest';
import { blockingStrategy } from '../src/index.js';

describeConformance(blockingStrategy);

// Behind a balancer: every client of every case sends a PROXY header first. A waiting client's
// bytes are read ahead and handed back at its turn, header and all.
describeConformance(blockingStrategy, {
  name: 'blocking behind a PROXY v2 balancer',
  options: { proxyProtocol: 'v2' },
});

// Waiting clients' ClientHellos are read ahead like any bytes; the handshake is done at their turn.
describeConformance(blockingStrategy, { name: 'blocking over TLS', tls: true });
// A waiting client's header and ClientHello are read ahead together; at its turn the header is
// read off the socket and the rest goes to the TLS layer.
describeConformance(blockingStrategy, {
  name: 'blocking over TLS behind a PROXY v1 balancer',
  options: { proxyProtocol: 'v1' },
  tls: true,
});
describeConformance(blockingStrategy, { name: 'blocking on a Unix socket', unixSocket: true });
