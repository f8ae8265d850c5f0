import { networkInterfaces } from 'node:os';
import {
  ErrorCode,
  formatServerAddress,
  type HandlerTimeHistogram,
  isSwitchyardError,
} from '@switchyard/protocol';
import { pseudoRandomBytes, wireFrame, withoutForbidden } from '../bytes.js';
import type { Client } from '../client.js';
import type { CaseContext, ServerUnderTest } from '../context.js';
import { exchange, expectReplies, nextRequests } from '../oracle.js';
import { check } from '../outcome.js';
import { roundTrip } from './conn.js';
import { ALL_CODECS, defineCase, WAIT_MS } from './define.js';

export const NO_DELAY_ROUND_TRIPS = 20;
/** A Nagle plus delayed-ACK stall costs about 40 ms on loopback; the median must be half that. */
export const NO_DELAY_MEDIAN_LIMIT_MS = 20;

export const socketNoDelay = defineCase({
  id: 'socket.no-delay',
  description: `${NO_DELAY_ROUND_TRIPS} request/replies on one connection (echo: of 100 KiB) do not stall on Nagle and delayed ACK (median under ${NO_DELAY_MEDIAN_LIMIT_MS} ms)`,
  tier: 'SHOULD',
  codecs: 'any',
  defaultCodecs: ALL_CODECS,
  needs: [],
  async run(ctx) {
    const server = await ctx.server();
    const client = await ctx.connect(server, { noDelay: true });
    const payload = withoutForbidden(ctx.codec, pseudoRandomBytes(100 * 1024, 51));
    const wire = wireFrame(ctx.codec, payload);
    const timings: number[] = [];
    for (let round = 0; round < NO_DELAY_ROUND_TRIPS + 2; round++) {
      const started = performance.now();
      if (!ctx.oracle.echo) {
        await exchange(client, 1, `reply ${round + 1}`, { timeoutMs: WAIT_MS });
      } else {
        client.write(wire);
        await client.expect(wire, `100 KiB reply ${round + 1}`, { timeoutMs: WAIT_MS });
      }
      // The first two warm the connection up (slow start, JIT) and are not counted.
      if (round >= 2) timings.push(performance.now() - started);
    }
    timings.sort((a, b) => a - b);
    const median = timings[Math.floor(timings.length / 2)]!;
    check(
      median < NO_DELAY_MEDIAN_LIMIT_MS,
      () =>
        `median round trip ${median.toFixed(1)} ms (fastest ${timings[0]!.toFixed(1)} ms, ` +
        `slowest ${timings.at(-1)!.toFixed(1)} ms): replies stall, as with Nagle and delayed ACK`,
    );
  },
});

function hasIpv6Loopback(): boolean {
  return Object.values(networkInterfaces()).some((addresses) =>
    addresses?.some((address) => address.family === 'IPv6' && address.internal),
  );
}

export const netIpv6 = defineCase({
  id: 'net.ipv6',
  description: 'the same request/reply works over ::1 where the host has IPv6',
  tier: 'SHOULD',
  codecs: 'any',
  defaultCodecs: ALL_CODECS,
  needs: ['server-control'],
  async run(ctx) {
    if (!hasIpv6Loopback()) ctx.skip('this host has no IPv6 loopback address');
    let server: ServerUnderTest;
    try {
      server = await ctx.server({ host: '::1' });
    } catch (error) {
      if (isSwitchyardError(error, ErrorCode.LISTEN_FAILED))
        ctx.skip(`cannot listen on ::1 here: ${error.message}`);
      throw error;
    }
    const bound = server.running!.address;
    check(bound.family === 'IPv6', `the server bound ${formatServerAddress(bound)}`);
    const client = await ctx.connect(server);
    await roundTrip(client, ctx.codec, 'Hello, world');
  },
});

export const statsCounters = defineCase({
  id: 'stats.counters',
  description:
    'stats count connections, bytes and frames in and out and handler calls timed exactly, and active returns to zero',
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ['lines', 'length-prefixed', 'raw'],
  needs: ['server-control'],
  async run(ctx) {
    const server = await ctx.server();
    if (!ctx.oracle.echo) return countsServiceTraffic(ctx, server);
    const wire = Buffer.concat(
      Array.from({ length: 10 }, (_, index) => wireFrame(ctx.codec, `frame number ${index}`)),
    );
    const clients = await Promise.all(
      [1, 2].map((index) => ctx.connect(server, { label: `client ${index}` })),
    );
    // Concurrently both stay connected while each is served in turn. One at a time, client 2
    // waits (accepted, not yet served) until client 1 has ended, then is served.
    const oneAtATime = ctx.capabilities.connections === 'one-at-a-time';
    for (const client of clients) {
      // One write per frame where every read is a frame (`raw`): there, count reads.
      if (ctx.codec.frameIsChunk) await roundTrip(client, ctx.codec, 'frame number 0');
      else {
        client.write(wire);
        await client.expect(wire, 'echo of 10 frames', { timeoutMs: WAIT_MS });
      }
      if (oneAtATime) client.end();
    }
    const chunked = ctx.codec.frameIsChunk === true;
    const bytes = (chunked ? wireFrame(ctx.codec, 'frame number 0').length : wire.length) * 2;
    const frameCount = chunked ? 2 : 20;
    if (!oneAtATime) for (const client of clients) client.end();
    const bytesIn = bytes + headerBytes(clients);
    await untilCounted(ctx, server, { bytesIn, bytesOut: bytes, frames: frameCount });
  },
});

/** Waits until the stats show two finished connections that carried exactly this traffic. */
function untilCounted(
  ctx: CaseContext,
  server: ServerUnderTest,
  { bytesIn, bytesOut, frames }: { bytesIn: number; bytesOut: number; frames: number },
) {
  const bytes =
    bytesIn === bytesOut ? `bytes in/out ${bytesIn}` : `bytes in ${bytesIn}, bytes out ${bytesOut}`;
  return ctx.untilStats(
    server,
    (stats) =>
      stats.accepted === 2 &&
      stats.active === 0 &&
      stats.refused === 0 &&
      stats.bytesIn === bytesIn &&
      stats.bytesOut === bytesOut &&
      stats.framesIn === frames &&
      stats.framesOut === frames &&
      stats.bufferedBytes === 0 &&
      timedEveryCall(stats.handlerTime, frames),
    `accepted 2, active 0, refused 0, ${bytes}, frames in/out ${frames}, bufferedBytes 0, handler calls timed ${frames}`,
  );
}

/**
 * One handler call per request, each in exactly one bucket of the histogram. A server that
 * keeps no histogram (one written before it was in the contract) fails here, not with a throw.
 */
function timedEveryCall(handlerTime: HandlerTimeHistogram | undefined, calls: number): boolean {
  if (handlerTime === undefined) return false;
  const bucketed = handlerTime.counts.reduce((sum, count) => sum + count, 0);
  return handlerTime.count === calls && bucketed === calls && handlerTime.sum >= 0;
}

/** Frames each client of `stats.counters` sends to a service that is not echo. */
const STATS_REQUESTS = 10;

/**
 * `stats.counters` against a service checked by an oracle: bytes in are the requests' wire
 * bytes, bytes out what the clients received, one frame out per request. Where every read is a
 * frame (`frameIsChunk`), each client sends one request, so reads are frames.
 */
async function countsServiceTraffic(ctx: CaseContext, server: ServerUnderTest): Promise<void> {
  const clients = await Promise.all(
    [1, 2].map((index) => ctx.connect(server, { label: `client ${index}` })),
  );
  const oneAtATime = ctx.capabilities.connections === 'one-at-a-time';
  const perClient = ctx.codec.frameIsChunk ? 1 : STATS_REQUESTS;
  let bytesIn = 0;
  for (const client of clients) {
    const { wire } = nextRequests(client, perClient);
    bytesIn += wire.length;
    client.write(wire);
    await expectReplies(client, `replies to ${perClient} requests`, { timeoutMs: WAIT_MS });
    client.end();
    if (oneAtATime) await client.expectEnd('the server ends its turn', { timeoutMs: WAIT_MS });
  }
  if (!oneAtATime)
    for (const client of clients) await client.expectEnd('the server ends', { timeoutMs: WAIT_MS });
  const bytesOut = clients.reduce((sum, client) => sum + client.bytesReceived, 0);
  bytesIn += headerBytes(clients);
  await untilCounted(ctx, server, { bytesIn, bytesOut, frames: perClient * 2 });
}

/** What the clients' PROXY headers added to the bytes in, where the server takes them. */
function headerBytes(clients: readonly Client[]): number {
  return clients.reduce((sum, client) => sum + client.proxyHeaderBytes, 0);
}
