// A handler for backends behind a balancer: an echo, except that the request `switchyard:whoami`
// is answered with which backend took it and who it sees at the other end, as one JSON object:
// {"backend":"backend-1","remoteAddress":"10.77.0.10","remotePort":40312,
//  "proxiedBy":{"address":"10.77.0.2","port":51870}}. Behind a balancer sending the PROXY
// protocol (`serve --proxy-protocol v2`), the remote address is the client's, named by the
// header, and `proxiedBy` the balancer's; without it, the remote address is the balancer's and
// there is no `proxiedBy`. The backend's name comes from `--handler-options '{"name":"backend-1"}'`.
// No other request is taken for it: the conformance suite's requests are echoed as usual.

export const WHOAMI = 'switchyard:whoami';

/**
 * @param {Buffer} request
 * @param {import('@switchyard/protocol').HandlerContext} context
 * @returns {Uint8Array}
 */
export default function whoami(request, context) {
  if (request.length !== WHOAMI.length || request.toString('latin1') !== WHOAMI) return request;
  const { remoteAddress, remotePort, proxiedBy } = context;
  const backend = typeof context.options.name === 'string' ? context.options.name : 'unnamed';
  return Buffer.from(JSON.stringify({ backend, remoteAddress, remotePort, proxiedBy }));
}
