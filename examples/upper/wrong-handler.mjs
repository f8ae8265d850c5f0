// A deliberately wrong uppercase service: it answers in lower case. The conformance suite,
// given ./workload.mjs, must fail every case that checks this service's replies, and say which
// request got which reply.

/** @param {Buffer} request */
export default function lower(request) {
  return Buffer.from(request.toString('utf8').toLowerCase());
}
