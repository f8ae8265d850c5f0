import type { Workload } from '../workload.js';
import { randomPayload } from './payloads.js';

/** Echo over `raw`: random payloads of the cell's size; every reply is the request, byte for byte. */
const echo: Workload = {
  name: 'echo',
  description: 'echo handler, raw codec: every reply is the request, byte for byte',
  codec: 'raw',
  handler: 'echo',
  request: (seq, connection, cell) => randomPayload(cell.size ?? 64, seq + connection),
  expect: (request) => request,
  bench: {
    sizes: [64, 1024, 10 * 1024, 100 * 1024],
    connections: [1, 10, 100],
    quick: { sizes: [64, 10 * 1024], connections: [1, 10] },
  },
};

export default echo;
