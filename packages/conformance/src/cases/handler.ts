import { ErrorCode } from '@switchyard/protocol';
import { wireFrame } from '../bytes.js';
import { PARALLEL_REPLY } from '../handlers/parallel-probe.js';
import { testHandlers } from '../handlers.js';
import { check } from '../outcome.js';
import { expectBystanderServed, offenderAndBystander } from './bystander.js';
import { roundTrip } from './conn.js';
import { ALL_CODECS, defineCase, WAIT_MS } from './define.js';

export const handlerError = defineCase({
  id: 'handler.error',
  description:
    'a handler that throws closes that connection only, counted as SWITCHYARD_ERR_HANDLER_FAILED',
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ['lines', 'length-prefixed', 'raw'],
  needs: ['server-control'],
  async run(ctx) {
    const server = await ctx.server({
      handler: testHandlers['throw-on-marker'],
      handlerOptions: { marker: 'BOOM' },
    });
    // Concurrently the bystander is served before and after while staying connected; one at a
    // time it waits behind the offender and is served once the offender is closed.
    const scene = await offenderAndBystander(ctx, server, ctx.codec, '');
    const { offender } = scene;
    await roundTrip(offender, ctx.codec, 'a fine request');
    const before = offender.bytesReceived;
    offender.write(wireFrame(ctx.codec, Buffer.from('this one says BOOM')));
    await offender.expectGone('the server closes the connection whose handler threw', {
      timeoutMs: WAIT_MS,
    });
    check(offender.bytesReceived === before, 'the failed request got a reply');
    await expectBystanderServed(scene, ctx.codec);
    await ctx.untilStats(
      server,
      (stats) => stats.errors[ErrorCode.HANDLER_FAILED] === 1,
      `errors[${ErrorCode.HANDLER_FAILED}] === 1`,
    );
  },
});

export const handlerParallel = defineCase({
  id: 'handler.parallel',
  description:
    "two requests' handlers are observed running at the same time, through shared memory",
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ALL_CODECS,
  needs: ['server-control', 'parallel-handlers', 'this-process'],
  async run(ctx) {
    const probe = new SharedArrayBuffer(4);
    const server = await ctx.server({
      handler: testHandlers['parallel-probe'],
      handlerOptions: { probe, expect: 2, waitMs: WAIT_MS },
    });
    const clients = await Promise.all(
      [1, 2].map((index) => ctx.connect(server, { label: `client ${index}` })),
    );
    for (const client of clients) client.write(wireFrame(ctx.codec, 'probe'));
    await Promise.all(
      clients.map((client) =>
        client.expect(
          wireFrame(ctx.codec, Buffer.from(PARALLEL_REPLY)),
          'PARALLEL: both handler calls were running at once',
          { timeoutMs: WAIT_MS * 2 },
        ),
      ),
    );
  },
});
