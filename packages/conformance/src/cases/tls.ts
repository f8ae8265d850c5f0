import { ErrorCode } from '@switchyard/protocol';
import { wireFrame } from '../bytes.js';
import type { Client } from '../client.js';
import type { CaseContext, ServerUnderTest } from '../context.js';
import { check } from '../outcome.js';
import { roundTrip } from './conn.js';
import { defineCase, WAIT_MS } from './define.js';

/** The frame limit's worth of deadline the `tls.handshake-timeout` case gives a handshake. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 300;

/**
 * Each offender on a connection of its own, which the server must close without a plaintext
 * reply and count as a failed handshake, while a TLS bystander is served: before and after,
 * staying connected, where connections are served concurrently; after them where one at a time.
 */
async function refusedAlone(
  ctx: CaseContext,
  server: ServerUnderTest,
  offenders: readonly { label: string; bytes: Buffer }[],
  closeWithinMs = WAIT_MS,
): Promise<void> {
  let bystander: Client | undefined;
  if (ctx.capabilities.connections === 'concurrent') {
    bystander = await ctx.connect(server, { label: 'TLS bystander' });
    await roundTrip(bystander, server.codec, 'bystander before');
  }
  for (const { label, bytes } of offenders) {
    const offender = await ctx.connect(server, { label, plaintext: true });
    if (bytes.length > 0) offender.write(bytes);
    await offender.expectGone(`the server closes the connection of ${label}`, {
      timeoutMs: closeWithinMs,
    });
    // A TLS alert may come back; the request in the clear must not.
    const received = offender.take();
    check(
      bytes.length === 0 || !received.includes(bytes),
      `${label}: the server answered in the clear (${received.length} bytes came back)`,
    );
  }
  bystander ??= await ctx.connect(server, { label: 'TLS bystander' });
  await roundTrip(bystander, server.codec, 'bystander after');
  if (server.running) {
    await ctx.untilStats(
      server,
      (stats) => stats.errors[ErrorCode.TLS_HANDSHAKE] === offenders.length && stats.framesIn >= 1,
      `errors[${ErrorCode.TLS_HANDSHAKE}] === ${offenders.length}`,
    );
  }
}

export const tlsPlaintextRefused = defineCase({
  id: 'tls.plaintext-refused',
  description:
    'a plaintext client of a TLS server is closed without a reply in the clear and counted as SWITCHYARD_ERR_TLS_HANDSHAKE; TLS clients are served before and after it',
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ['lines', 'length-prefixed', 'raw'],
  needs: ['tls'],
  async run(ctx) {
    const server = await ctx.server();
    await refusedAlone(ctx, server, [
      { label: 'a plaintext client', bytes: wireFrame(server.codec, 'hello in the clear') },
    ]);
  },
});

export const tlsHandshakeTimeout = defineCase({
  id: 'tls.handshake-timeout',
  description: `a client that does not finish its TLS handshake within frameTimeoutMs (${TLS_HANDSHAKE_TIMEOUT_MS} ms) of connecting is closed, counted as SWITCHYARD_ERR_TLS_HANDSHAKE; TLS clients are served before and after it`,
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ['lines'],
  needs: ['tls', 'server-control'],
  async run(ctx) {
    const server = await ctx.server({ frameTimeoutMs: TLS_HANDSHAKE_TIMEOUT_MS });
    await refusedAlone(
      ctx,
      server,
      [{ label: 'a client that sends nothing', bytes: Buffer.alloc(0) }],
      TLS_HANDSHAKE_TIMEOUT_MS + WAIT_MS,
    );
  },
});
