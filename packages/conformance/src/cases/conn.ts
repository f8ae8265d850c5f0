import type { Codec } from '@switchyard/protocol';
import {
  bufferSource,
  frameStream,
  pseudoRandomBytes,
  wireFrame,
  withoutForbidden,
} from '../bytes.js';
import type { Client } from '../client.js';
import { exchange, expectNoMoreReplies, expectReplies, isEcho, nextRequests } from '../oracle.js';
import { check } from '../outcome.js';
import { ALL_CODECS, defineCase, WAIT_MS } from './define.js';

/**
 * One request/reply on `client`: against echo, `text` echoed byte for byte; against another
 * service, its oracle's next request and a reply the oracle accepts (`text` says what for).
 */
export async function roundTrip(client: Client, codec: Codec, text: string) {
  if (!isEcho(client)) {
    await exchange(client, 1, `a good reply (${text})`, { timeoutMs: WAIT_MS });
    return;
  }
  const wire = wireFrame(codec, text);
  client.write(wire);
  await client.expect(wire, `echo of "${text}"`, { timeoutMs: WAIT_MS });
}

/** Awaits the reply to a request already sent. */
type Reply = (what: string, options?: { timeoutMs?: number }) => Promise<void>;

/** Writes one request (against echo, `text`) and hands back how to await its reply. */
async function sendOne(client: Client, codec: Codec, text: string): Promise<Reply> {
  if (!isEcho(client)) {
    await client.flush(nextRequests(client, 1).wire);
    return (what, options) => expectReplies(client, what, options);
  }
  const wire = wireFrame(codec, text);
  await client.flush(wire);
  return (what, options) => client.expect(wire, what, options);
}

/** Requests a service's oracle makes for half-close: a few, then a burst of pipelined ones. */
const HALF_CLOSE_REQUESTS = 200;
/** Most requests the resetting client sends mid-stream when they are the oracle's. */
const RESET_REQUESTS = 20_000;
const RESET_BYTES = 16 * 64 * 1024;

/** What the resetting client leaves in flight: 1 MiB of requests (or as many as allowed). */
function midStream(client: Client, codec: Codec): Buffer {
  if (isEcho(client)) return frameStream(codec, 16, 64 * 1024, 32).slice(0, RESET_BYTES);
  const parts: Buffer[] = [];
  for (let bytes = 0, sent = 0; bytes < RESET_BYTES && sent < RESET_REQUESTS; sent += 100) {
    const { wire } = nextRequests(client, 100);
    parts.push(wire);
    bytes += wire.length;
  }
  return Buffer.concat(parts);
}

export const connHalfClose = defineCase({
  id: 'conn.half-close',
  description:
    'after the client ends its write side, the server still answers every request sent, then ends its side',
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ALL_CODECS,
  needs: [],
  async run(ctx) {
    const server = await ctx.server();
    const client = await ctx.connect(server);
    if (!ctx.oracle.echo) {
      client.end(nextRequests(client, HALF_CLOSE_REQUESTS).wire);
      await expectReplies(
        client,
        `replies to the ${HALF_CLOSE_REQUESTS} requests sent before the FIN`,
      );
      await client.expectEnd('server ends its side after the half-close', { timeoutMs: WAIT_MS });
      return;
    }
    const bulk = withoutForbidden(ctx.codec, pseudoRandomBytes(64 * 1024, 31));
    const wire = Buffer.concat([
      wireFrame(ctx.codec, 'first'),
      wireFrame(ctx.codec, 'second'),
      wireFrame(ctx.codec, bulk),
    ]);
    const echoed = client.expectStream(bufferSource(wire), 'echo of what was sent before the FIN');
    client.end(wire);
    await echoed;
    await client.expectEnd('server ends its side after the half-close', { timeoutMs: WAIT_MS });
  },
});

export const connReset = defineCase({
  id: 'conn.reset',
  description:
    'a client that resets mid-stream does not disturb the server; the active count returns to zero',
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ALL_CODECS,
  needs: [],
  async run(ctx) {
    const server = await ctx.server();
    const resetter = await ctx.connect(server, { label: 'resetting client', paused: true });
    resetter.resume();
    await roundTrip(resetter, ctx.codec, 'before the reset');
    const bystander = await ctx.connect(server, { label: 'bystander' });
    // Mid-stream: a MiB in flight in both directions, unread, when the RST goes out.
    resetter.write(midStream(resetter, ctx.codec));
    resetter.reset();
    await roundTrip(bystander, ctx.codec, 'after the other client reset');
    await roundTrip(bystander, ctx.codec, 'and once more');
    if (server.running) {
      bystander.destroy();
      await ctx.untilStats(server, (stats) => stats.active === 0, 'active returns to 0');
    }
  },
});

export const CONCURRENT_CONNECTIONS = 200;

export const connConcurrent = defineCase({
  id: 'conn.concurrent',
  description: `${CONCURRENT_CONNECTIONS} simultaneous connections with interleaved traffic each get their own replies`,
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ALL_CODECS,
  needs: ['concurrent-connections'],
  timeoutMs: 30_000,
  async run(ctx) {
    const server = await ctx.server();
    const clients = await Promise.all(
      Array.from({ length: CONCURRENT_CONNECTIONS }, (_, index) =>
        ctx.connect(server, { label: `connection ${index}` }),
      ),
    );
    const part = (index: number, round: number) => {
      const payload = pseudoRandomBytes(200, index * 2 + round + 1);
      payload.write(`connection ${index} part ${round} `, 0, 'latin1');
      return wireFrame(ctx.codec, withoutForbidden(ctx.codec, payload));
    };
    // Every connection stays open through both rounds: all of them are served at once.
    if (!ctx.oracle.echo) {
      for (const round of [1, 2]) {
        for (const client of clients) client.write(nextRequests(client, 1).wire);
        await Promise.all(
          clients.map((client) =>
            expectReplies(client, `the reply of round ${round}`, { timeoutMs: WAIT_MS }),
          ),
        );
      }
      for (const client of clients) expectNoMoreReplies(client, 'after both rounds');
      return;
    }
    for (const round of [1, 2]) {
      for (const [index, client] of clients.entries()) client.write(part(index, round));
      await Promise.all(
        clients.map((client, index) =>
          client.expect(part(index, round), `echo of part ${round}`, { timeoutMs: WAIT_MS }),
        ),
      );
    }
    for (const client of clients)
      check(client.available === 0, `${client.label}: received bytes it never sent`);
  },
});

export const WAITING_CLIENTS = 5;

export const connOneAtATime = defineCase({
  id: 'conn.one-at-a-time',
  description: `while A is connected B is not answered; B is served after A closes; ${WAITING_CLIENTS} waiting clients are served in arrival order`,
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ALL_CODECS,
  needs: ['one-at-a-time-connections'],
  timeoutMs: 20_000,
  async run(ctx) {
    const server = await ctx.server();
    const a = await ctx.connect(server, { label: 'A' });
    await roundTrip(a, ctx.codec, 'A first');
    const b = await ctx.connect(server, { label: 'B' });
    const replyToB = await sendOne(b, ctx.codec, 'B waits its turn');
    // B's bytes were on the wire before each of these requests from A: a server that serves both
    // at once would have echoed B by the time A's third reply is back.
    for (const round of [1, 2, 3]) {
      await roundTrip(a, ctx.codec, `A round ${round}`);
      check(b.bytesReceived === 0, `B was answered while A was still connected (round ${round})`);
    }
    const waiting: { client: Client; reply: Reply }[] = [];
    for (let index = 1; index <= WAITING_CLIENTS; index++) {
      const client = await ctx.connect(server, { label: `waiting client ${index}` });
      waiting.push({ client, reply: await sendOne(client, ctx.codec, `client ${index}`) });
    }
    const servedOrder: number[] = [];
    const served = waiting.map(async ({ client, reply }, index) => {
      await reply('its reply');
      servedOrder.push(index + 1);
      client.end();
    });
    a.end();
    await replyToB('its reply once A has closed');
    check(servedOrder.length === 0, `waiting client ${servedOrder[0]} was served before B ended`);
    b.end();
    await Promise.all(served);
    check(
      servedOrder.every((value, index) => value === index + 1),
      () =>
        `waiting clients were served in the order ${servedOrder.join(', ')}, not their arrival order`,
    );
  },
});
