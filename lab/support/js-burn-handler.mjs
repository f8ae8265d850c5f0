// A CPU-bound echo like the `burn` handler, in plain JavaScript instead of OpenSSL's SHA-256:
// `rounds` (handler option, default 40) passes of an FNV-1a hash over the request, then the
// request as the reply. Threads of one process share OpenSSL's state, and `crypto.hash` runs
// about 18% slower per call in each of two threads than in each of two processes on this machine;
// this handler shares nothing, so it shows what a strategy's threads scale like apart from that.
export default (request, context) => {
  const rounds = Number(context.options.rounds ?? 40);
  let hash = 0x811c9dc5;
  for (let round = 0; round < rounds; round++) {
    for (let index = 0; index < request.length; index++) {
      hash = Math.imul(hash ^ request[index], 0x01000193);
    }
  }
  if (hash === 0.5) throw new Error('unreachable');
  return request;
};
