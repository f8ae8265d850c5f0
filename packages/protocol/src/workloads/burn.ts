import type { Workload } from '../workload.js';
import { randomPayload } from './payloads.js';

/**
 * CPU-bound: the burn handler (about 200 us of SHA-256 per request) over `length-prefixed`; the
 * reply is the request, so it is checked byte for byte like an echo.
 */
const burn: Workload = {
  name: 'burn',
  description: 'burn handler (CPU-bound), length-prefixed codec',
  codec: 'length-prefixed',
  handler: 'burn',
  request: (seq, connection, cell) => randomPayload(cell.size ?? 1024, seq + connection),
  expect: (request) => request,
  bench: { sizes: [1024], connections: [1, 10], quick: { connections: [10] } },
};

export default burn;
