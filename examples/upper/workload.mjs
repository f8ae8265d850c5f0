// The uppercase service as a workload: its codec, its handler, and what a good reply is. The
// conformance suite (`switchyard conformance --workload ./examples/upper/workload.mjs`) runs
// the handler on each strategy and checks every reply with `check`; paths are relative to this
// module.

/** @type {import('@switchyard/protocol').Workload} */
const upper = {
  name: 'upper',
  description: 'uppercases each line',
  codec: 'lines',
  handler: './handler.mjs',
  // Mixed case, digits and punctuation: a reply that changed only some of it is caught.
  request: (seq, connection) => `Hello, world: connection ${connection}, request ${seq}`,
  check(request, reply) {
    const expected = request.toString('utf8').toUpperCase();
    return reply.toString('utf8') === expected || `expected ${JSON.stringify(expected)}`;
  },
};

export default upper;
