import type { Workload } from '../workload.js';
import { randomPayload } from './payloads.js';

/** Streaming: 64 KiB chunks, eight in flight per connection, echoed over `raw`; ranked by MB/s. */
const bulk: Workload = {
  name: 'bulk',
  description: 'bulk streaming: large chunks, many in flight per connection, echoed',
  codec: 'raw',
  handler: 'echo',
  request: (seq, connection, cell) => randomPayload(cell.size ?? 64 * 1024, seq + connection),
  expect: (request) => request,
  bench: {
    unit: 'MB/s',
    sizes: [64 * 1024],
    connections: [1, 4],
    depth: 8,
    quick: { connections: [2] },
  },
};

export default bulk;
