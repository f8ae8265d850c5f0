/**
 * Replies to every request with the client its context names, as one line of JSON:
 * `{"remoteAddress":"203.0.113.7","remotePort":56324,"proxiedBy":{"address":"10.0.0.2","port":51000}}`
 * (`proxiedBy` only when a PROXY protocol header named the client). The `proxy.*` cases check
 * what a handler sees through a balancer with it; a topology can serve it to see the same.
 */
export interface SeenPeer {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly proxiedBy?: { readonly address: string; readonly port: number };
}

/** The reply for `peer`, exactly as the handler writes it. */
export function peerReply({ remoteAddress, remotePort, proxiedBy }: SeenPeer): Buffer {
  const seen: SeenPeer = {
    remoteAddress,
    remotePort,
    ...(proxiedBy && { proxiedBy: { address: proxiedBy.address, port: proxiedBy.port } }),
  };
  return Buffer.from(JSON.stringify(seen));
}

export default function peerAddress(_request: Buffer, context: SeenPeer): Buffer {
  return peerReply(context);
}
