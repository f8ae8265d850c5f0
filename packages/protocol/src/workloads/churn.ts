import type { Workload } from '../workload.js';
import { randomPayload } from './payloads.js';

/** Connection churn: connect, one 64 B echo request, close, again; ranked by connections/s. */
const churn: Workload = {
  name: 'churn',
  description: 'echo handler, raw codec: a new connection for every request',
  codec: 'raw',
  handler: 'echo',
  request: (seq, connection, cell) => randomPayload(cell.size ?? 64, seq + connection),
  expect: (request) => request,
  bench: {
    pattern: 'churn',
    unit: 'conn/s',
    sizes: [64],
    connections: [1, 10],
    quick: { connections: [10] },
  },
};

export default churn;
