import {
  type CodecName,
  ErrorCode,
  LENGTH_PREFIX_BYTES,
  type ServerStats,
} from '@switchyard/protocol';
import { BlockSource, bufferSource, pseudoRandomBytes } from '../bytes.js';
import type { CaseContext, ServerUnderTest } from '../context.js';
import { check } from '../outcome.js';
import {
  type Bystanding,
  expectBystanderServed,
  offenderAndBystander,
  releaseTurn,
  servesOneAtATime,
} from './bystander.js';
import { roundTrip } from './conn.js';
import { defineCase, FRAMED_CODECS, WAIT_MS } from './define.js';

/** The frame limit the framing cases configure on strategy targets. */
export const FRAMING_LIMIT = 64 * 1024;

function errorCount(stats: ServerStats, code: ErrorCode): number {
  return stats.errors[code] ?? 0;
}

/** The framing cases' server: a small frame limit on strategy targets. */
function framingServer(ctx: CaseContext, codec: CodecName) {
  return ctx.server({ codec, maxFrameBytes: FRAMING_LIMIT });
}

/**
 * Starts a server with a small frame limit, an offender, and a bystander that must stay
 * unaffected, connected in the order the target serves them (see {@link offenderAndBystander}).
 */
async function setUp(ctx: CaseContext, codec: CodecName) {
  const server = await framingServer(ctx, codec);
  const pair = await offenderAndBystander(ctx, server, codec, `${codec} `);
  return { server, ...pair, limit: server.options.maxFrameBytes };
}

/** The offender is closed and got nothing back; the bystander is still served; stats counted it. */
async function expectContained(
  ctx: CaseContext,
  scene: Bystanding & { server: ServerUnderTest },
  codec: CodecName,
  code: ErrorCode,
  count: number,
  echoedBefore: number,
) {
  const { server, offender } = scene;
  await offender.expectGone('the server closes the offending connection', { timeoutMs: WAIT_MS });
  check(
    offender.bytesReceived === echoedBefore,
    () =>
      `${offender.label}: received ${offender.bytesReceived - echoedBefore} bytes after the bad input`,
  );
  await expectBystanderServed(scene, codec);
  if (server.running) {
    await ctx.untilStats(
      server,
      (stats) => errorCount(stats, code) === count,
      `errors[${code}] === ${count}`,
    );
  }
}

/** Bytes with no newline, long enough to pass `limit` as one unfinished line. */
function endlessLine(limit: number): BlockSource {
  const block = Buffer.alloc(64 * 1024, 0x61);
  return new BlockSource(Math.ceil((limit + 1) / block.length) + 1, block.length, () => block);
}

export const framingTooLarge = defineCase({
  id: 'framing.too-large',
  description:
    'a frame over maxFrameBytes closes that connection only, counted as SWITCHYARD_ERR_FRAME_TOO_LARGE',
  tier: 'MUST',
  codecs: FRAMED_CODECS,
  needs: [],
  timeoutMs: 20_000,
  async run(ctx) {
    for (const codec of ctx.codecs) {
      const setup = await setUp(ctx, codec);
      const { offender, limit } = setup;
      await roundTrip(offender, codec, 'offender before');
      const before = offender.bytesReceived;
      if (codec === 'length-prefixed') {
        const header = Buffer.alloc(LENGTH_PREFIX_BYTES);
        header.writeUInt32BE(Math.min(limit + 1, 0xffff_ffff));
        offender.write(Buffer.concat([header, Buffer.alloc(1024, 0x62)]));
      } else {
        offender.pump(endlessLine(limit));
      }
      await expectContained(ctx, setup, codec, ErrorCode.FRAME_TOO_LARGE, 1, before);
    }
  },
});

export const framingTruncated = defineCase({
  id: 'framing.truncated',
  description:
    'a client that ends mid-frame is closed, counted as SWITCHYARD_ERR_TRUNCATED_FRAME; others are unaffected',
  tier: 'MUST',
  codecs: FRAMED_CODECS,
  needs: [],
  async run(ctx) {
    for (const codec of ctx.codecs) {
      const partials =
        codec === 'lines'
          ? [Buffer.from('a line that never ends')]
          : [
              Buffer.concat([Buffer.from([0, 0, 0, 100]), Buffer.alloc(10, 0x63)]),
              Buffer.from([0, 0]),
            ];
      // The first offender sends half a payload; for length-prefixed a second sends half a header.
      // Concurrently, one bystander stays connected through both; one at a time, each offender
      // has its own bystander waiting behind it, which ends its turn before the next offender.
      const server = await framingServer(ctx, codec);
      let scene = await offenderAndBystander(ctx, server, codec, `${codec} `);
      for (const [index, partial] of partials.entries()) {
        if (index > 0) {
          const suffix = ` ${index + 1}`;
          if (servesOneAtATime(ctx)) {
            await releaseTurn(scene);
            scene = await offenderAndBystander(ctx, server, codec, `${codec} `, suffix);
          } else {
            const offender = await ctx.connect(server, { label: `${codec} offender${suffix}` });
            scene = { ...scene, offender };
          }
        }
        const before = scene.offender.bytesReceived;
        scene.offender.end(partial);
        await expectContained(
          ctx,
          { ...scene, server },
          codec,
          ErrorCode.TRUNCATED_FRAME,
          index + 1,
          before,
        );
      }
    }
  },
});

export const framingGarbage = defineCase({
  id: 'framing.garbage',
  description:
    'random bytes: arbitrary binary lines echo intact; a garbage header or an endless line closes that connection only, counted',
  tier: 'MUST',
  codecs: FRAMED_CODECS,
  needs: [],
  timeoutMs: 20_000,
  async run(ctx) {
    for (const codec of ctx.codecs) {
      const setup = await setUp(ctx, codec);
      const { offender, limit } = setup;
      if (codec === 'length-prefixed') {
        const garbage = pseudoRandomBytes(16 * 1024, 41);
        // Random, except that the first header declares at least 2 GiB: over any sane limit.
        garbage[0] = garbage[0]! | 0x80;
        if (garbage.readUInt32BE(0) <= limit)
          ctx.skip(`the target accepts frames of ${limit} bytes`);
        offender.write(garbage);
      } else {
        // Any bytes are a valid line up to the newline: NUL, CR, 0xff, invalid UTF-8 all echo.
        const binary = pseudoRandomBytes(32 * 1024, 42);
        binary[binary.length - 1] = 0x0a;
        const echoed = offender.expectStream(bufferSource(binary), 'echo of random binary lines');
        offender.write(binary);
        await echoed;
        offender.pump(
          new BlockSource(Math.ceil((limit + 1) / (64 * 1024)) + 1, 64 * 1024, (index) => {
            const block = pseudoRandomBytes(64 * 1024, 43 + index);
            for (let i = 0; i < block.length; i++) if (block[i] === 0x0a) block[i] = 0x0b;
            return block;
          }),
        );
      }
      await expectContained(
        ctx,
        setup,
        codec,
        ErrorCode.FRAME_TOO_LARGE,
        1,
        offender.bytesReceived,
      );
    }
  },
});
