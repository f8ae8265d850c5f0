import { isIP } from 'node:net';
import { ipBytes } from './ip-text.js';
import { PROXY_V2_SIGNATURE, type SocketEndpoint } from './proxy-header.js';

/** What a header to write says (the sending side: a balancer, a test client). */
export interface ProxyHeaderFields {
  /** Default `proxy`. `local` exists in v2 only. */
  readonly command?: 'local' | 'proxy';
  /**
   * The client and the address it connected to, of one family. Both absent: v1 `UNKNOWN`, or a
   * v2 header with family `UNSPEC` (the receiver uses the connection's real endpoints).
   */
  readonly source?: SocketEndpoint;
  readonly destination?: SocketEndpoint;
  /** v2 only: type-length-value entries after the addresses (receivers may skip them). */
  readonly tlvs?: readonly { readonly type: number; readonly value: Uint8Array }[];
}

/**
 * The bytes of a PROXY protocol header, version 1 (text) or 2 (binary), as a balancer writes
 * them before the client's first byte. Throws a `TypeError` for fields the version cannot carry.
 */
export function encodeProxyHeader(version: 1 | 2, fields: ProxyHeaderFields = {}): Buffer {
  const { command = 'proxy', source, destination } = fields;
  if ((source === undefined) !== (destination === undefined))
    throw new TypeError('a PROXY header names both endpoints or neither');
  const family = source && familyOf(source.address);
  if (destination && family !== familyOf(destination.address))
    throw new TypeError('the endpoints of a PROXY header are of one address family');
  if (version === 1) {
    if (command === 'local') throw new TypeError('PROXY v1 has no LOCAL command');
    if (fields.tlvs?.length) throw new TypeError('PROXY v1 carries no TLVs');
    if (!source || !destination) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
    const line = `PROXY TCP${family} ${source.address} ${destination.address} ${source.port} ${destination.port}\r\n`;
    return Buffer.from(line, 'latin1');
  }
  const addresses =
    source && destination && command === 'proxy'
      ? Buffer.concat([
          ipBytes(source.address),
          ipBytes(destination.address),
          port(source.port),
          port(destination.port),
        ])
      : Buffer.alloc(0);
  const tlvs = (fields.tlvs ?? []).map(({ type, value }) =>
    Buffer.concat([Buffer.from([type, value.length >> 8, value.length & 0xff]), value]),
  );
  const block = Buffer.concat([addresses, ...tlvs]);
  const fixed = Buffer.alloc(4);
  fixed[0] = command === 'local' ? 0x20 : 0x21;
  // TCP over IPv4 (0x11) or IPv6 (0x21), or UNSPEC (0x00) when no address is carried.
  fixed[1] = addresses.length === 0 ? 0x00 : family === 4 ? 0x11 : 0x21;
  fixed.writeUInt16BE(block.length, 2);
  return Buffer.concat([PROXY_V2_SIGNATURE, fixed, block]);
}

function familyOf(address: string): 4 | 6 {
  const family = isIP(address);
  if (family === 0) throw new TypeError(`not an IP address: ${address}`);
  return family as 4 | 6;
}

function port(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value);
  return bytes;
}
