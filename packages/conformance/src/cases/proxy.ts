import {
  ErrorCode,
  encodeProxyHeader,
  PROXY_V2_SIGNATURE,
  type ProxyProtocolVersion,
} from '@switchyard/protocol';
import { wireFrame } from '../bytes.js';
import type { Client } from '../client.js';
import type { CaseContext, CaseServerOptions, ServerUnderTest } from '../context.js';
import { peerReply, type SeenPeer } from '../handlers/peer-address.js';
import { testHandlers } from '../handlers.js';
import { expectReplies, isEcho, nextRequests } from '../oracle.js';
import { check } from '../outcome.js';
import { roundTrip } from './conn.js';
import { ALL_CODECS, defineCase, WAIT_MS } from './define.js';

// Addresses a header names are from the documentation ranges (RFC 5737, RFC 3849): nothing is
// ever sent to them, they only travel inside headers.
const CLIENT4 = { address: '203.0.113.7', port: 56324 };
const FRONTEND4 = { address: '192.0.2.10', port: 7000 };
const CLIENT6 = { address: '2001:db8::7', port: 40000 };
const FRONTEND6 = { address: '2001:db8::10', port: 7000 };

/** The frame limit's worth of deadline the `proxy.timeout` case gives a header. */
export const PROXY_TIMEOUT_MS = 300;

/**
 * The server a `proxy.*` case talks to. A strategy is started taking `accept`, with the case's
 * options or else the built-in echo (the refusals test the strategy, whatever the service); an
 * external target is used as it is, its replies checked by its oracle, and the case skips unless
 * it takes `accept`.
 */
async function proxyServer(
  ctx: CaseContext,
  accept: ProxyProtocolVersion,
  options: CaseServerOptions = {},
): Promise<ServerUnderTest> {
  if (ctx.controlled)
    return ctx.server({ handler: 'echo', handlerOptions: {}, ...options, proxyProtocol: accept });
  const server = await ctx.server();
  const declared = server.options.proxyProtocol;
  if (accept !== 'any' && declared !== 'any' && declared !== accept)
    ctx.skip(`sends PROXY ${accept} headers; the target declares it takes ${declared} only`);
  return server;
}

/** A server whose handler replies with whom it sees, on strategies; the target itself otherwise. */
function addressServer(ctx: CaseContext, accept: ProxyProtocolVersion, codec = ctx.codec) {
  return proxyServer(ctx, accept, { codec, handler: testHandlers['peer-address'] });
}

/** Whom the handler must see: the client the header names, relayed by this very socket. */
function proxiedAs(endpoint: { address: string; port: number }) {
  return (client: Client): SeenPeer => ({
    remoteAddress: endpoint.address,
    remotePort: endpoint.port,
    proxiedBy: { address: client.socket.localAddress ?? '', port: client.socket.localPort ?? 0 },
  });
}

/** Whom the handler must see for a header that names no client: the socket's own peer. */
function asItself(client: Client): SeenPeer {
  return {
    remoteAddress: client.socket.localAddress ?? '',
    remotePort: client.socket.localPort ?? 0,
  };
}

/**
 * Sends `pieces` (a header, cut as the case likes) on a connection of its own, each handed to the
 * kernel before the next, with a request in the last one: the codec's first bytes arrive in the
 * read that completes the header. Over TLS the pieces go first, in the clear, one write each,
 * then the handshake, and the request inside it, as a balancer that passes TLS through sends
 * them. On a strategy the handler replies with whom it sees, which must be `seen`; an external
 * service answers the request as its oracle (or echo) says.
 */
async function expectSeen(
  ctx: CaseContext,
  server: ServerUnderTest,
  label: string,
  pieces: readonly Buffer[],
  seen: (client: Client) => SeenPeer,
): Promise<void> {
  const tls = server.tls !== undefined;
  const nonEmpty = pieces.filter((piece) => piece.length > 0);
  const client = await ctx.connect(server, { label, proxyHeader: tls ? nonEmpty : false });
  if (!tls) for (const piece of pieces.slice(0, -1)) await client.flush(piece);
  const last = tls ? Buffer.alloc(0) : pieces.at(-1)!;
  if (ctx.controlled) {
    await client.flush(Buffer.concat([last, wireFrame(server.codec, 'whom do you see?')]));
    const reply = wireFrame(server.codec, peerReply(seen(client)));
    await client.expect(reply, `the handler sees ${reply.toString('latin1')}`, {
      timeoutMs: WAIT_MS,
    });
  } else if (isEcho(client)) {
    const wire = wireFrame(server.codec, `a request in the read that ends ${label}`);
    await client.flush(Buffer.concat([last, wire]));
    await client.expect(wire, `echo of the request after ${label}`, { timeoutMs: WAIT_MS });
  } else {
    await client.flush(Buffer.concat([last, nextRequests(client, 1).wire]));
    await expectReplies(client, `the reply to the request after ${label}`, { timeoutMs: WAIT_MS });
  }
  client.end();
  await client.expectEnd(`${label}: the server ends once the client has`, { timeoutMs: WAIT_MS });
  // A server that took the header for requests answers them too: more than the one reply.
  const extra = client.take();
  check(
    extra.length === 0,
    () =>
      `${label}: ${extra.length} bytes came after the one reply (${extra.toString('latin1').slice(0, 60)})`,
  );
}

export const proxyV1 = defineCase({
  id: 'proxy.v1',
  description:
    "after a PROXY v1 line (TCP4, TCP6) the handler sees the client it names and the balancer as proxiedBy; after UNKNOWN, the real peer; the bytes after the line are the codec's",
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ['lines', 'length-prefixed', 'raw'],
  needs: ['proxy-protocol'],
  async run(ctx) {
    const server = await addressServer(ctx, 'v1');
    const tcp4 = encodeProxyHeader(1, { source: CLIENT4, destination: FRONTEND4 });
    const tcp6 = encodeProxyHeader(1, { source: CLIENT6, destination: FRONTEND6 });
    await expectSeen(ctx, server, 'a v1 TCP4 line', [tcp4], proxiedAs(CLIENT4));
    await expectSeen(ctx, server, 'a v1 TCP6 line', [tcp6], proxiedAs(CLIENT6));
    await expectSeen(ctx, server, 'a v1 UNKNOWN line', [encodeProxyHeader(1)], asItself);
  },
});

export const proxyV2 = defineCase({
  id: 'proxy.v2',
  description:
    "after a PROXY v2 header (TCP over IPv4, over IPv6 with TLVs) the handler sees the client it names and the balancer as proxiedBy; the bytes after it are the codec's",
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ['lines', 'length-prefixed', 'raw'],
  needs: ['proxy-protocol'],
  async run(ctx) {
    const server = await addressServer(ctx, 'v2');
    const tcp4 = encodeProxyHeader(2, { source: CLIENT4, destination: FRONTEND4 });
    const tcp6 = encodeProxyHeader(2, {
      source: CLIENT6,
      destination: FRONTEND6,
      tlvs: [
        { type: 0x05, value: Buffer.from('unique-connection-id') },
        { type: 0x04, value: Buffer.alloc(5) },
      ],
    });
    await expectSeen(ctx, server, 'a v2 TCP4 header', [tcp4], proxiedAs(CLIENT4));
    await expectSeen(ctx, server, 'a v2 TCP6 header with TLVs', [tcp6], proxiedAs(CLIENT6));
  },
});

export const proxyV2Local = defineCase({
  id: 'proxy.v2-local',
  description:
    "a PROXY v2 LOCAL header (a balancer's health check) is accepted, with or without an address block, and the connection is served as the real peer's",
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ['lines', 'length-prefixed', 'raw'],
  needs: ['proxy-protocol'],
  async run(ctx) {
    const server = await addressServer(ctx, 'v2');
    const bare = encodeProxyHeader(2, { command: 'local' });
    // "Receivers ... must not assume zero is presented for LOCAL connections."
    const withBlock = encodeProxyHeader(2, { source: CLIENT4, destination: FRONTEND4 });
    withBlock[12] = 0x20;
    await expectSeen(ctx, server, 'a v2 LOCAL header', [bare], asItself);
    await expectSeen(ctx, server, 'a v2 LOCAL header with addresses', [withBlock], asItself);
  },
});

/** A header cut at every byte, at its middle, and whole but apart from the request. */
function cuts(header: Buffer): [string, Buffer[]][] {
  const middle = Math.floor(header.length / 2);
  return [
    ['one byte per write', [...header].map((byte) => Buffer.from([byte]))],
    ['in two halves', [header.subarray(0, middle), header.subarray(middle)]],
    ['whole, the request in a write of its own', [header, Buffer.alloc(0)]],
  ];
}

export const proxySplit = defineCase({
  id: 'proxy.split',
  description:
    'a PROXY header (v1 and v2) that arrives split across writes, at every byte or in halves, is read whole and the request after it is served',
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ALL_CODECS,
  needs: ['proxy-protocol'],
  timeoutMs: 30_000,
  async run(ctx) {
    for (const codec of ctx.codecs) {
      const server = await addressServer(ctx, 'any', codec);
      const taken = server.options.proxyProtocol;
      const headers: [string, Buffer, ProxyProtocolVersion][] = [
        ['v1', encodeProxyHeader(1, { source: CLIENT4, destination: FRONTEND4 }), 'v1'],
        ['v2', encodeProxyHeader(2, { source: CLIENT6, destination: FRONTEND6 }), 'v2'],
      ];
      for (const [name, header, version] of headers) {
        if (taken !== 'any' && taken !== version) continue;
        const client = version === 'v1' ? CLIENT4 : CLIENT6;
        for (const [how, pieces] of cuts(header)) {
          const label = `${codec.name}: a ${name} header ${how}`;
          await expectSeen(ctx, server, label, pieces, proxiedAs(client));
        }
      }
    }
  },
});

interface Offense {
  readonly label: string;
  readonly bytes: Buffer;
}

/**
 * Each offense on a connection of its own, which the server must close without a reply and
 * count, while a bystander with a good header is served: before and after, staying connected,
 * where connections are served concurrently; after them where one at a time (an offender holds
 * the line until it is closed).
 */
async function refusedAlone(
  ctx: CaseContext,
  server: ServerUnderTest,
  offenses: readonly Offense[],
  closeWithinMs = WAIT_MS,
): Promise<void> {
  let bystander: Client | undefined;
  if (ctx.capabilities.connections === 'concurrent') {
    bystander = await ctx.connect(server, { label: 'bystander' });
    await roundTrip(bystander, server.codec, 'bystander before');
  }
  for (const { label, bytes } of offenses) {
    // In the clear on a TLS server too: the header is refused before any handshake.
    const offender = await ctx.connect(server, { label, proxyHeader: false, plaintext: true });
    if (bytes.length > 0) offender.write(bytes);
    await offender.expectGone(`the server closes the connection that sent ${label}`, {
      timeoutMs: closeWithinMs,
    });
    check(offender.bytesReceived === 0, `${label}: ${offender.bytesReceived} bytes came back`);
  }
  bystander ??= await ctx.connect(server, { label: 'bystander' });
  await roundTrip(bystander, server.codec, 'bystander after');
  if (server.running) {
    await ctx.untilStats(
      server,
      (stats) => stats.errors[ErrorCode.PROXY_HEADER] === offenses.length,
      `errors[${ErrorCode.PROXY_HEADER}] === ${offenses.length}`,
    );
  }
}

/** A v2 header with the given version-and-command and family bytes and address block. */
function v2Header(verCmd: number, family: number, block: Buffer): Buffer {
  const fixed = Buffer.from([verCmd, family, block.length >> 8, block.length & 0xff]);
  return Buffer.concat([PROXY_V2_SIGNATURE, fixed, block]);
}

export const proxyGarbage = defineCase({
  id: 'proxy.garbage',
  description:
    'a connection that starts without a PROXY header, or with a malformed one (v1 or v2), is closed without a reply and counted as SWITCHYARD_ERR_PROXY_HEADER; another connection keeps working',
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ['lines', 'length-prefixed', 'raw'],
  needs: ['proxy-protocol'],
  async run(ctx) {
    const server = await proxyServer(ctx, 'any');
    const request = wireFrame(server.codec, 'a request with no header before it');
    await refusedAlone(ctx, server, [
      { label: 'a request with no header (a client that bypassed the balancer)', bytes: request },
      {
        label: 'a v1 line with an address out of range',
        bytes: Buffer.concat([Buffer.from('PROXY TCP4 256.0.0.1 192.0.2.10 1 2\r\n'), request]),
      },
      {
        label: 'a v2 header with an unassigned command',
        bytes: Buffer.concat([v2Header(0x23, 0x11, Buffer.alloc(12)), request]),
      },
      {
        label: 'a v2 header whose address block is shorter than its family',
        bytes: Buffer.concat([v2Header(0x21, 0x11, Buffer.alloc(4)), request]),
      },
    ]);
  },
});

export const proxyTooLong = defineCase({
  id: 'proxy.too-long',
  description:
    'a v1 line with no CRLF in its first 107 bytes, or a v2 header declaring more than the server takes, is closed as soon as that is known (without waiting for the rest), counted as SWITCHYARD_ERR_PROXY_HEADER; another connection keeps working',
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ['lines', 'length-prefixed', 'raw'],
  needs: ['proxy-protocol'],
  async run(ctx) {
    const server = await proxyServer(ctx, 'any');
    await refusedAlone(ctx, server, [
      {
        label: 'a v1 line of 200 bytes without CRLF',
        bytes: Buffer.from(`PROXY UNKNOWN ${'f'.repeat(186)}`),
      },
      {
        // Only the fixed 16 bytes are sent: a server that waited for the 64 KiB declared would
        // keep the connection open.
        label: 'a v2 header declaring a 65535-byte block',
        bytes: Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x21, 0x11, 0xff, 0xff])]),
      },
    ]);
  },
});

export const proxyTimeout = defineCase({
  id: 'proxy.timeout',
  description: `a PROXY header not complete within frameTimeoutMs (${PROXY_TIMEOUT_MS} ms) of the connection's start, half sent or not begun, closes that connection, counted as SWITCHYARD_ERR_PROXY_HEADER; another connection keeps working`,
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ['lines', 'length-prefixed', 'raw'],
  needs: ['server-control', 'proxy-protocol'],
  async run(ctx) {
    const server = await proxyServer(ctx, 'any', { frameTimeoutMs: PROXY_TIMEOUT_MS });
    const header = encodeProxyHeader(2, { source: CLIENT4, destination: FRONTEND4 });
    await refusedAlone(
      ctx,
      server,
      [
        { label: 'half a v2 header, then nothing', bytes: header.subarray(0, 14) },
        { label: 'nothing at all', bytes: Buffer.alloc(0) },
      ],
      PROXY_TIMEOUT_MS + WAIT_MS,
    );
  },
});
