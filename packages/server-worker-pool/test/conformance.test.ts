import { describeConformance } from '@switchyard/conformance/vitest';
import { canTransferSockets, workerPoolStrategy } from '../src/index.js';

describeConformance(workerPoolStrategy, {
  name: 'worker-pool (offload)',
  options: { mode: 'offload', workers: 2 },
});

describeConformance(workerPoolStrategy, {
  name: 'worker-pool (offload) over TLS',
  options: { mode: 'offload', workers: 2 },
  tls: true,
});

// The main thread reads the PROXY header, then shakes hands, before the connection is the pool's.
describeConformance(workerPoolStrategy, {
  name: 'worker-pool (offload) over TLS behind a PROXY v2 balancer',
  options: { mode: 'offload', workers: 2, proxyProtocol: 'v2' },
  tls: true,
});

describeConformance(workerPoolStrategy, {
  name: 'worker-pool (offload) on a Unix socket',
  options: { mode: 'offload', workers: 2 },
  unixSocket: true,
});

// Handoff needs a Node that can transfer sockets to threads (CI's Node 26 pass runs it).
if (canTransferSockets()) {
  describeConformance(workerPoolStrategy, {
    name: 'worker-pool (handoff)',
    options: { mode: 'handoff', workers: 2 },
  });
  // Behind a balancer: every client of every case sends a PROXY header first, which the worker
  // that adopted the socket reads.
  describeConformance(workerPoolStrategy, {
    name: 'worker-pool (handoff) behind a PROXY v1 balancer',
    options: { mode: 'handoff', workers: 2, proxyProtocol: 'v1' },
  });
  // The raw socket moves to the worker, which does the handshake: TLS work spreads over threads.
  describeConformance(workerPoolStrategy, {
    name: 'worker-pool (handoff) over TLS',
    options: { mode: 'handoff', workers: 2 },
    tls: true,
  });
  // The worker reads the PROXY header off the raw socket it adopted, then shakes hands.
  describeConformance(workerPoolStrategy, {
    name: 'worker-pool (handoff) over TLS behind a PROXY v2 balancer',
    options: { mode: 'handoff', workers: 2, proxyProtocol: 'v2' },
    tls: true,
  });
}
