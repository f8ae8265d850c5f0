// A handler for backends behind a balancer: an echo, except that the request `switchyard:whoami`
// is answered with which backend took it and the client address it sees, as one JSON object:
// {"backend":"backend-1","remoteAddress":"10.77.0.10","remotePort":40312}. Behind a PROXY
// protocol balancer that address is the client's, not the balancer's. The backend's name comes
// from `--handler-options '{"name":"backend-1"}'`. No other request can be taken for it: the
// conformance suite's requests are echoed as usual.

export const WHOAMI = 'switchyard:whoami';

/**
 * @param {Buffer} request
 * @param {import('@switchyard/protocol').HandlerContext} context
 * @returns {Uint8Array}
 */
export default function whoami(request, context) {
  if (request.length !== WHOAMI.length || request.toString('latin1') !== WHOAMI) return request;
  const { remoteAddress, remotePort } = context;
  const backend = typeof context.options.name === 'string' ? context.options.name : 'unnamed';
  return Buffer.from(JSON.stringify({ backend, remoteAddress, remotePort }));
}
