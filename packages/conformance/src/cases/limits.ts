import { ErrorCode } from '@switchyard/protocol';
import { wireFrame } from '../bytes.js';
import { check } from '../outcome.js';
import { roundTrip } from './conn.js';
import { ALL_CODECS, defineCase, WAIT_MS } from './define.js';
import { connectUnlessRefused } from './lifecycle.js';

export const limitsMaxConnections = defineCase({
  id: 'limits.max-connections',
  description:
    'the connection over maxConnections is refused promptly and counted; a freed slot admits the next',
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ALL_CODECS,
  needs: ['server-control', 'this-process'],
  async run(ctx) {
    const server = await ctx.server({ maxConnections: 2 });
    const first = await ctx.connect(server, { label: 'first' });
    await roundTrip(first, ctx.codec, 'first is served');
    await ctx.connect(server, { label: 'second' });
    await ctx.untilStats(server, (stats) => stats.accepted === 2, 'accepted === 2');
    // Refused: reset during or right after the handshake, or closed unserved.
    const over = await connectUnlessRefused(ctx, server, 'over the limit');
    if (over) {
      over.write(wireFrame(ctx.codec, 'over the limit'));
      await over.expectGone('the server closes the connection over the limit', {
        timeoutMs: WAIT_MS,
      });
      check(over.bytesReceived === 0, 'the connection over the limit was served');
    }
    await ctx.untilStats(
      server,
      (stats) =>
        stats.refused === 1 &&
        stats.accepted === 2 &&
        stats.errors[ErrorCode.CONNECTION_REFUSED] === 1,
      `refused === 1, accepted === 2, errors[${ErrorCode.CONNECTION_REFUSED}] === 1`,
    );
    await roundTrip(first, ctx.codec, 'first is still served');
    first.destroy();
    await ctx.untilStats(server, (stats) => stats.active === 1, 'active === 1 after one left');
    await ctx.connect(server, { label: 'next' });
    await ctx.untilStats(
      server,
      (stats) => stats.accepted === 3 && stats.refused === 1,
      'the next connection is admitted (accepted === 3, refused === 1)',
    );
  },
});

export const IDLE_TIMEOUT_MS = 300;

export const limitsIdleTimeout = defineCase({
  id: 'limits.idle-timeout',
  description:
    'a connection idle past idleTimeoutMs is closed (not before), counted as SWITCHYARD_ERR_IDLE_TIMEOUT',
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ALL_CODECS,
  needs: ['server-control'],
  async run(ctx) {
    const server = await ctx.server({ idleTimeoutMs: IDLE_TIMEOUT_MS });
    const client = await ctx.connect(server);
    await roundTrip(client, ctx.codec, 'last words');
    const repliedAt = performance.now();
    await client.expectGone('the server closes the idle connection', {
      timeoutMs: IDLE_TIMEOUT_MS + WAIT_MS,
    });
    const idleFor = performance.now() - repliedAt;
    // A lower bound only: a loaded machine makes the close later, never earlier. Half the timeout
    // leaves room for the reply's own trip after the server's clock started.
    check(
      idleFor >= IDLE_TIMEOUT_MS / 2,
      `closed after ${idleFor.toFixed(0)} ms idle; idleTimeoutMs is ${IDLE_TIMEOUT_MS}`,
    );
    await ctx.untilStats(
      server,
      (stats) => stats.errors[ErrorCode.IDLE_TIMEOUT] === 1 && stats.active === 0,
      `errors[${ErrorCode.IDLE_TIMEOUT}] === 1 and active === 0`,
    );
  },
});
