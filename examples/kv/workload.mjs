// The key-value service as a workload, for the conformance suite
// (`switchyard conformance --workload ./examples/kv/workload.mjs`). Each connection works on keys
// of its own, in threes: SET a key, GET it back, DEL it. The reply to each follows from the
// request alone (the value is named after its key), so `check` needs no memory of what was sent;
// the GET proves the SET before it on the same connection was kept.

/**
 * A token for this process's keys, so that two runs against one server never share a key.
 * Letters and digits only: a key may not hold a space.
 */
const run = Math.random().toString(36).slice(2, 8);

/** @param {number} connection @param {number} index */
const keyOf = (connection, index) => `k${run}-${connection}-${index}`;
/** @param {string} key */
const valueFor = (key) => `value of ${key}`;

/** @type {import('@switchyard/protocol').Workload} */
const kv = {
  name: 'kv',
  description: 'SET, GET and DEL over lines, keys per connection',
  codec: 'lines',
  handler: './handler.mjs',
  request(seq, connection) {
    const key = keyOf(connection, Math.floor(seq / 3));
    if (seq % 3 === 0) return `SET ${key} ${valueFor(key)}`;
    return seq % 3 === 1 ? `GET ${key}` : `DEL ${key}`;
  },
  check(request, reply) {
    const [command = '', key = ''] = request.toString('utf8').split(' ');
    /** @type {Record<string, string>} */
    const replies = { SET: 'OK', GET: valueFor(key), DEL: '1' };
    const expected = replies[command];
    if (expected === undefined) return `not a request this workload makes: ${command}`;
    return reply.toString('utf8') === expected || `expected ${JSON.stringify(expected)}`;
  },
};

export default kv;
