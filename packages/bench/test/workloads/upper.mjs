// A user's service described as a workload: upper-cases each line. No `expect`: its oracle is a
// check, so replies are decoded as lines and judged one by one.
export default {
  name: 'upper',
  description: 'upper-cases each line',
  codec: 'lines',
  handler: './upper-handler.mjs',
  request: (seq, connection) => `hello from ${connection}, request ${seq}`,
  check: (request, reply) =>
    reply.toString() === request.toString().toUpperCase() || 'expected the request in upper case',
};
