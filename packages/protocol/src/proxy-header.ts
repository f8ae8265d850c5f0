import { isIPv6 } from 'node:net';
import { formatIpv4, formatIpv6 } from './ip-text.js';

/**
 * The HAProxy PROXY protocol (doc/proxy-protocol.txt in HAProxy's repository): a balancer that
 * relays a TCP connection writes one header before the client's first byte, naming the client.
 * Version 1 is a line of text, version 2 a binary block; a receiver is configured for the
 * versions it takes and never guesses whether a header is there.
 */

/** The header versions a server takes. `any`: either, told apart by the first byte. */
export type ProxyProtocolVersion = 'v1' | 'v2' | 'any';

/** The `proxyProtocol` server option: `off` (no header expected), or the versions taken. */
export type ProxyProtocol = 'off' | ProxyProtocolVersion;

export const proxyProtocolChoices: readonly ProxyProtocol[] = Object.freeze([
  'off',
  'v1',
  'v2',
  'any',
]);

/** One end of a TCP connection: an IP address as text, and a port. */
export interface SocketEndpoint {
  readonly address: string;
  readonly port: number;
}

/** What a header said. */
export interface ProxyHeader {
  readonly version: 1 | 2;
  /**
   * `proxy`: relayed on behalf of a client. `local`: the balancer's own connection (v2 `LOCAL`,
   * its health checks); the connection's real endpoints apply.
   */
  readonly command: 'local' | 'proxy';
  /**
   * The client, and the address it connected to. Absent for `local`, and where the header names
   * no TCP endpoint (v1 `UNKNOWN`; v2 `UNSPEC`, UDP or UNIX): the spec then has the receiver use
   * the connection's real endpoints.
   */
  readonly source?: SocketEndpoint;
  readonly destination?: SocketEndpoint;
  /** Bytes the header took on the wire. */
  readonly length: number;
}

/** Where reading a header stands after the bytes received so far. */
export type ProxyHeaderRead =
  /** Every byte so far can begin a header of an accepted version: read more. */
  | { readonly state: 'incomplete' }
  /** A header, and the bytes after it (a view, possibly empty), which belong to the codec. */
  | { readonly state: 'complete'; readonly header: ProxyHeader; readonly rest: Buffer }
  /** Not a header of an accepted version, malformed, or longer than allowed. */
  | { readonly state: 'invalid'; readonly reason: string };

/** The longest v1 line, CRLF included (the spec's worst case, `PROXY UNKNOWN` with IPv6 fields). */
export const PROXY_V1_MAX_BYTES = 107;
/**
 * The longest v2 header accepted, TLVs included. The format allows 16 + 65 535 bytes; what
 * balancers send is the address block (at most 216 bytes) and a few short TLVs (HAProxy's, AWS's
 * and Azure's are tens of bytes), so a longer one is refused rather than held.
 */
export const PROXY_V2_MAX_BYTES = 4096;

export const PROXY_V2_SIGNATURE: Buffer = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);
/** Signature, version and command, family and transport, address length. */
export const PROXY_V2_FIXED_BYTES = 16;
const V1_SIGNATURE = Buffer.from('PROXY ', 'latin1');
const CR = 0x0d;
const LF = 0x0a;

const INCOMPLETE: ProxyHeaderRead = Object.freeze({ state: 'incomplete' });

function invalid(reason: string): ProxyHeaderRead {
  return { state: 'invalid', reason };
}

function complete(bytes: Buffer, header: ProxyHeader): ProxyHeaderRead {
  return { state: 'complete', header, rest: bytes.subarray(header.length) };
}

/** True when `bytes` (however few) could be the start of `signature`. */
function startsLike(bytes: Buffer, signature: Buffer): boolean {
  const length = Math.min(bytes.length, signature.length);
  return bytes.compare(signature, 0, length, 0, length) === 0;
}

/**
 * Reads a PROXY protocol header from the first bytes of a connection: every byte received so far,
 * however the stream was cut. Pure: call it again with more bytes while it says `incomplete`. It
 * refuses as soon as the bytes cannot begin a header of an accepted version (`accept`), so a client
 * that sends anything else is told at its first byte, and never holds more than a header's limit
 * ({@link PROXY_V1_MAX_BYTES}, {@link PROXY_V2_MAX_BYTES}).
 */
export function readProxyHeader(bytes: Buffer, accept: ProxyProtocolVersion): ProxyHeaderRead {
  if (accept !== 'v1' && startsLike(bytes, PROXY_V2_SIGNATURE)) return readV2(bytes);
  if (accept !== 'v2' && startsLike(bytes, V1_SIGNATURE)) return readV1(bytes);
  const expected = accept === 'any' ? 'v1 or v2' : accept;
  return invalid(
    `expected a PROXY protocol ${expected} header, got ${describeStart(bytes)} (is a client connecting directly, not through the balancer?)`,
  );
}

function describeStart(bytes: Buffer): string {
  const start = bytes.subarray(0, 16);
  const printable = start.every((byte) => byte >= 0x20 && byte < 0x7f);
  return printable ? JSON.stringify(start.toString('latin1')) : `bytes ${start.toString('hex')}`;
}

const V2_COMMANDS: Readonly<Record<number, ProxyHeader['command']>> = { 0: 'local', 1: 'proxy' };

function readV2(bytes: Buffer): ProxyHeaderRead {
  if (bytes.length > 12) {
    const version = bytes[12]! >> 4;
    if (version !== 2) return invalid(`v2 signature followed by version ${version}, not 2`);
    if (V2_COMMANDS[bytes[12]! & 0x0f] === undefined)
      return invalid(`v2 command ${bytes[12]! & 0x0f} is neither LOCAL (0) nor PROXY (1)`);
  }
  if (bytes.length > 13 && (bytes[13]! >> 4 > 3 || (bytes[13]! & 0x0f) > 2))
    return invalid(`v2 family and transport byte 0x${bytes[13]!.toString(16)} is not defined`);
  if (bytes.length < PROXY_V2_FIXED_BYTES) return INCOMPLETE;
  const length = PROXY_V2_FIXED_BYTES + bytes.readUInt16BE(14);
  if (length > PROXY_V2_MAX_BYTES)
    return invalid(
      `v2 header of ${length} bytes is longer than the ${PROXY_V2_MAX_BYTES} accepted`,
    );
  if (bytes.length < length) return INCOMPLETE;
  const command = V2_COMMANDS[bytes[12]! & 0x0f]!;
  // LOCAL: "the receiver must use the real connection endpoints and discard the protocol block".
  if (command === 'local') return complete(bytes, { version: 2, command, length });
  const family = bytes[13]!;
  // TCP over IPv4 (0x11) or IPv6 (0x21). Anything else is relayed for a protocol this server
  // does not serve (UNSPEC, UDP, UNIX): the spec has the receiver fall back to the real
  // endpoints. TLVs after the addresses are skipped: the length covers them.
  const addressBytes = family === 0x11 ? 4 : family === 0x21 ? 16 : 0;
  if (addressBytes === 0) return complete(bytes, { version: 2, command, length });
  const needed = addressBytes * 2 + 4;
  if (length - PROXY_V2_FIXED_BYTES < needed)
    return invalid(
      `v2 address block of ${length - PROXY_V2_FIXED_BYTES} bytes is shorter than the ${needed} of TCP over ${addressBytes === 4 ? 'IPv4' : 'IPv6'}`,
    );
  const format = addressBytes === 4 ? formatIpv4 : formatIpv6;
  const at = PROXY_V2_FIXED_BYTES;
  const ports = at + addressBytes * 2;
  return complete(bytes, {
    version: 2,
    command,
    source: { address: format(bytes, at), port: bytes.readUInt16BE(ports) },
    destination: { address: format(bytes, at + addressBytes), port: bytes.readUInt16BE(ports + 2) },
    length,
  });
}

function readV1(bytes: Buffer): ProxyHeaderRead {
  // The CR must come early enough for the line, CRLF included, to fit the limit.
  const lastCr = PROXY_V1_MAX_BYTES - 2;
  const scan = Math.min(bytes.length, lastCr + 1);
  for (let i = V1_SIGNATURE.length; i < scan; i++) {
    const byte = bytes[i]!;
    if (byte === CR) {
      if (i + 1 === bytes.length) return INCOMPLETE;
      if (bytes[i + 1] !== LF) return invalid('v1 line has a CR not followed by LF');
      return readV1Line(bytes, bytes.toString('latin1', 0, i), i + 2);
    }
    if (byte === LF) return invalid('v1 line ends in LF without CR');
    if (byte < 0x20 || byte > 0x7e)
      return invalid(`v1 line has a byte that is not printable US-ASCII (0x${byte.toString(16)})`);
  }
  if (bytes.length > lastCr)
    return invalid(`v1 line has no CRLF within its first ${PROXY_V1_MAX_BYTES} bytes`);
  return INCOMPLETE;
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const PORT = /^(?:0|[1-9]\d{0,4})$/;

function readV1Line(bytes: Buffer, line: string, length: number): ProxyHeaderRead {
  const fields = line.split(' ');
  const protocol = fields[1];
  // "For UNKNOWN, the rest of the line before the CRLF may be omitted by the sender, and the
  // receiver must ignore anything presented before the CRLF is found."
  if (protocol === 'UNKNOWN') return complete(bytes, { version: 1, command: 'proxy', length });
  if (protocol !== 'TCP4' && protocol !== 'TCP6')
    return invalid(`v1 protocol ${JSON.stringify(protocol)} is not TCP4, TCP6 or UNKNOWN`);
  if (fields.length !== 6)
    return invalid(
      `v1 ${protocol} line has ${fields.length - 2} fields separated by single spaces, not 4: ${JSON.stringify(line)}`,
    );
  const [, , source, destination, sourcePort, destinationPort] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const isAddress =
    protocol === 'TCP4'
      ? (text: string) => IPV4.test(text)
      : (text: string) => isIPv6(text) && !text.includes('%');
  for (const address of [source, destination]) {
    if (!isAddress(address))
      return invalid(`v1 ${protocol} address ${JSON.stringify(address)} is not valid`);
  }
  for (const port of [sourcePort, destinationPort]) {
    if (!PORT.test(port) || Number(port) > 65535)
      return invalid(`v1 port ${JSON.stringify(port)} is not 0-65535 without leading zeros`);
  }
  const normal = (text: string) => (protocol === 'TCP6' ? text.toLowerCase() : text);
  return complete(bytes, {
    version: 1,
    command: 'proxy',
    source: { address: normal(source), port: Number(sourcePort) },
    destination: { address: normal(destination), port: Number(destinationPort) },
    length,
  });
}
