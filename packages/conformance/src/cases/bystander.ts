import type { Codec } from '@switchyard/protocol';
import { wireFrame } from '../bytes.js';
import type { Client } from '../client.js';
import type { CaseContext, ServerUnderTest } from '../context.js';
import { roundTrip } from './conn.js';
import { WAIT_MS } from './define.js';

/**
 * An offender about to misbehave and a bystander that must not be affected by it, connected in
 * the order the target's `connections` capability allows:
 *
 * - `concurrent`: the bystander is served first (a round trip), then the offender connects; the
 *   bystander stays open and is served again while the offender is dealt with.
 * - `one-at-a-time`: the offender is served first (a round trip: it holds the turn), then the
 *   bystander connects and writes a request, which waits its turn. Once the offender is closed,
 *   the bystander must get that request's echo, then another round trip.
 */
export interface Bystanding {
  readonly offender: Client;
  readonly bystander: Client;
  /** One-at-a-time: the request the bystander wrote while waiting, not yet echoed. */
  readonly waiting: Buffer | undefined;
}

export function servesOneAtATime(ctx: CaseContext): boolean {
  return ctx.capabilities.connections === 'one-at-a-time';
}

/** Connects an offender and a bystander (labels end in `suffix`), in the target's order. */
export async function offenderAndBystander(
  ctx: CaseContext,
  server: ServerUnderTest,
  codec: Codec,
  prefix: string,
  suffix = '',
): Promise<Bystanding> {
  const label = (role: string) => `${prefix}${role}${suffix}`;
  if (servesOneAtATime(ctx)) {
    const offender = await ctx.connect(server, { label: label('offender') });
    await roundTrip(offender, codec, 'offender served first');
    const bystander = await ctx.connect(server, { label: label('bystander') });
    const waiting = wireFrame(codec, 'bystander waits its turn');
    await bystander.flush(waiting);
    return { offender, bystander, waiting };
  }
  const bystander = await ctx.connect(server, { label: label('bystander') });
  await roundTrip(bystander, codec, 'bystander before');
  const offender = await ctx.connect(server, { label: label('offender') });
  return { offender, bystander, waiting: undefined };
}

/**
 * The bystander is unaffected by the offender (already closed): one-at-a-time, it is served next,
 * its waiting request first; concurrently, it is still served while it stayed connected.
 */
export async function expectBystanderServed(
  { bystander, waiting }: Bystanding,
  codec: Codec,
): Promise<void> {
  if (waiting) {
    await bystander.expect(waiting, 'echo of its waiting request once the offender is closed', {
      timeoutMs: WAIT_MS,
    });
  }
  await roundTrip(bystander, codec, 'bystander after');
}

/**
 * One-at-a-time, the bystander now holds the turn: it ends, and the server's EOF shows its turn
 * is over, so the next offender is served. Concurrently it stays, to witness every offender.
 */
export async function releaseTurn({ bystander, waiting }: Bystanding): Promise<void> {
  if (!waiting) return;
  bystander.end();
  await bystander.expectEnd('the server ends the bystander once it has ended', {
    timeoutMs: WAIT_MS,
  });
}
