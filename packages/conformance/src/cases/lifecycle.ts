import { wireFrame } from '../bytes.js';
import type { Client } from '../client.js';
import type { CaseContext, ServerUnderTest } from '../context.js';
import { Gate } from '../gate.js';
import { testHandlers } from '../handlers.js';
import { ConnectFailed, check } from '../outcome.js';
import { defineCase, WAIT_MS } from './define.js';

/** A server whose replies wait for a gate the case opens, so requests stay in flight. */
async function gatedServer(ctx: CaseContext) {
  const gate = await Gate.start();
  ctx.defer(() => gate.close());
  const server = await ctx.server({
    handler: testHandlers.gated,
    handlerOptions: { gate: gate.address },
  });
  const arrived = (count: number) =>
    ctx.until(
      () => gate.arrived >= count,
      () => `${count} requests to reach the handler (${gate.arrived} so far)`,
      { timeoutMs: WAIT_MS },
    );
  return { server, open: () => gate.open(), arrived };
}

/** Settles `promise` into a flag a case can check without awaiting it. */
function track(promise: Promise<void>) {
  const state = { settled: false, error: undefined as unknown };
  promise.then(
    () => (state.settled = true),
    (error) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

/** A client, or undefined when the connection was refused or reset before it was up. */
export async function connectUnlessRefused(
  ctx: CaseContext,
  server: ServerUnderTest,
  label: string,
): Promise<Client | undefined> {
  try {
    return await ctx.connect(server, { label });
  } catch (error) {
    if (error instanceof ConnectFailed) return undefined;
    throw error;
  }
}

/** A connection attempt after close/destroy: refused, or closed without a reply. */
async function expectNotServed(ctx: CaseContext, server: ServerUnderTest, what: string) {
  const late = await connectUnlessRefused(ctx, server, 'late client');
  if (!late) return;
  late.write(wireFrame(ctx.codec, 'too late'));
  await late.expectGone(what, { timeoutMs: WAIT_MS });
  check(late.bytesReceived === 0, `${what}: the late client got a reply`);
}

export const lifecycleGracefulClose = defineCase({
  id: 'lifecycle.graceful-close',
  description:
    'close() with requests in flight delivers every owed reply, refuses new connections, resolves, and is idempotent',
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ['lines', 'length-prefixed', 'raw'],
  needs: ['server-control'],
  async run(ctx) {
    const { server, open, arrived } = await gatedServer(ctx);
    const running = server.running!;
    const request = (client: Client) => wireFrame(ctx.codec, `${client.label} asks`);
    /** Clients owed replies when close() begins, with the bytes each is owed. */
    let owed: { client: Client; reply: Buffer }[];
    /** One-at-a-time: clients waiting their turn when close() begins, and what they wrote. */
    const waiting: { client: Client; request: Buffer }[] = [];
    if (ctx.capabilities.connections === 'one-at-a-time') {
      // One client is served: its first request is held in the handler, two more are pipelined
      // behind it and read by the server (its byte count shows it), so all three are owed. Two
      // more clients wait their turn with a request written.
      const served = await ctx.connect(server, { label: 'client 1' });
      const pipelined = [1, 2, 3].map((index) =>
        wireFrame(ctx.codec, `client 1 asks, request ${index}`),
      );
      served.write(pipelined[0]!);
      await arrived(1);
      const rest = Buffer.concat(pipelined.slice(1));
      await served.flush(rest);
      const total = served.proxyHeaderBytes + pipelined[0]!.length + rest.length;
      await ctx.untilStats(
        server,
        (stats) => stats.bytesIn === total,
        `bytesIn === ${total} (every request of client 1 was read)`,
      );
      owed = [{ client: served, reply: Buffer.concat(pipelined) }];
      for (const index of [2, 3]) {
        const client = await ctx.connect(server, { label: `waiting client ${index}` });
        await client.flush(request(client));
        waiting.push({ client, request: request(client) });
      }
      await ctx.untilStats(server, (stats) => stats.accepted === 3, 'accepted === 3');
    } else {
      const clients = await Promise.all(
        [1, 2, 3].map((index) => ctx.connect(server, { label: `client ${index}` })),
      );
      for (const client of clients) client.write(request(client));
      await arrived(clients.length);
      owed = clients.map((client) => ({ client, reply: request(client) }));
    }
    const closing = track(running.close());
    // Processes hear of close() over IPC: one that has not yet may accept a connection made in
    // that instant, and serve it in full. Once close() has resolved, none does.
    if (ctx.capabilities.runsIn !== 'child-processes') {
      await expectNotServed(ctx, server, 'a connection made after close() is not served');
    }
    check(!closing.settled, 'close() resolved while replies were still owed');
    open();
    await Promise.all([
      ...owed.map(async ({ client, reply }) => {
        await client.expect(reply, 'the reply owed when close() began', { timeoutMs: WAIT_MS });
        await client.expectGone('the server closes the connection after its last reply', {
          timeoutMs: WAIT_MS,
        });
      }),
      // None of their requests was read, so nothing is owed: closed unserved, or served in full.
      ...waiting.map(async ({ client, request }) => {
        await client.expectGone('close() closes a client still waiting its turn', {
          timeoutMs: WAIT_MS,
        });
        if (client.available === 0) return;
        await client.expect(request, 'a reply while closing');
        check(client.available === 0, `${client.label}: received bytes it never sent`);
      }),
    ]);
    await ctx.until(() => closing.settled, 'close() to resolve', { timeoutMs: WAIT_MS });
    check(closing.error === undefined, () => `close() rejected: ${String(closing.error)}`);
    await expectNotServed(ctx, server, 'a connection made after close() resolved is not served');
    await running.close();
    await running.destroy();
  },
});

export const lifecycleDestroy = defineCase({
  id: 'lifecycle.destroy',
  description:
    'destroy() with a request in flight closes every connection without waiting, resolves, and is idempotent',
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ['lines', 'length-prefixed', 'raw'],
  needs: ['server-control'],
  async run(ctx) {
    const { server, arrived } = await gatedServer(ctx);
    const running = server.running!;
    const client = await ctx.connect(server);
    client.write(wireFrame(ctx.codec, 'never answered'));
    await arrived(1);
    const destroying = track(running.destroy());
    // The gate is still shut: only an abort can close this connection now.
    await client.expectGone('destroy() closes the connection while its handler still runs', {
      timeoutMs: WAIT_MS,
    });
    check(client.bytesReceived === 0, 'destroy() delivered a reply: it waited for the handler');
    await ctx.until(() => destroying.settled, 'destroy() to resolve', { timeoutMs: WAIT_MS });
    check(destroying.error === undefined, () => `destroy() rejected: ${String(destroying.error)}`);
    await running.destroy();
    await running.close();
    await expectNotServed(ctx, server, 'a connection made after destroy() is not served');
  },
});
