import { type Codec, ErrorCode, type ServerStats } from '@switchyard/protocol';
import {
  BlockSource,
  bufferSource,
  formatBytes,
  pseudoRandomBytes,
  wireFrame,
  wireFrames,
  withoutForbidden,
} from '../bytes.js';
import type { Client } from '../client.js';
import type { CaseContext, ServerUnderTest } from '../context.js';
import { CaseFailure, check } from '../outcome.js';
import {
  type Bystanding,
  expectBystanderServed,
  offenderAndBystander,
  releaseTurn,
  servesOneAtATime,
} from './bystander.js';
import { roundTrip } from './conn.js';
import { defineCase, FRAMED_CODECS, WAIT_MS } from './define.js';
import { decodeLocally, describeDecoding, probingChunks } from './probe.js';
import { payloads } from './stream.js';

/** The frame limit the framing cases configure on strategy targets. */
export const FRAMING_LIMIT = 64 * 1024;
/** The largest frame limit `framing.too-large` builds a frame over (it holds it in memory). */
export const MAX_TOO_LARGE_LIMIT = 64 * 1024 * 1024;

function errorCount(stats: ServerStats, code: ErrorCode): number {
  return stats.errors[code] ?? 0;
}

/**
 * The framing cases' server: a small frame limit on strategy targets. They test the strategy
 * and the codec, and tell a frame that was served from one that was refused by its echo.
 */
function framingServer(ctx: CaseContext, codec: Codec) {
  return ctx.echoServer('it tells a frame served from a frame refused by its echo', {
    codec,
    maxFrameBytes: FRAMING_LIMIT,
  });
}

/** One piece of bad input: what it is, for messages, and how an offender sends it. */
interface Offence {
  readonly what: string;
  send(offender: Client): void;
}

/**
 * The offender is closed and got nothing back after its bad input; the bystander is still
 * served; stats counted it.
 */
async function expectContained(
  ctx: CaseContext,
  scene: Bystanding & { server: ServerUnderTest },
  codec: Codec,
  code: ErrorCode,
  count: number,
  echoedBefore: number,
  what: string,
) {
  const { server, offender } = scene;
  await ctx.until(
    () => {
      if (offender.bytesReceived > echoedBefore)
        throw new CaseFailure(
          `${offender.label}: received ${offender.bytesReceived - echoedBefore} bytes after ${what}`,
        );
      return offender.gone;
    },
    () => `${offender.label}: the server closes the connection after ${what} (still open)`,
    { timeoutMs: WAIT_MS },
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

/**
 * Each offence from an offender of its own, counted as `code`, on one server. Concurrently one
 * bystander stays connected through all of them; one at a time, each offender has its own
 * bystander waiting behind it, which ends its turn before the next offender. `prelude` runs on
 * each offender, after it was served once and before its offence.
 */
async function expectEachContained(
  ctx: CaseContext,
  codec: Codec,
  code: ErrorCode,
  offences: readonly Offence[],
  prelude?: (offender: Client) => Promise<void>,
) {
  const server = await framingServer(ctx, codec);
  const prefix = `${codec.name} `;
  let scene = await offenderAndBystander(ctx, server, codec, prefix);
  for (const [index, offence] of offences.entries()) {
    if (index > 0) {
      const suffix = ` ${index + 1}`;
      if (servesOneAtATime(ctx)) {
        await releaseTurn(scene);
        scene = await offenderAndBystander(ctx, server, codec, prefix, suffix);
      } else {
        const offender = await ctx.connect(server, { label: `${prefix}offender${suffix}` });
        scene = { ...scene, offender };
      }
    }
    const { offender } = scene;
    // One at a time the offender was served already: it had to hold the turn.
    if (!servesOneAtATime(ctx)) await roundTrip(offender, codec, 'offender before');
    await prelude?.(offender);
    const before = offender.bytesReceived;
    offence.send(offender);
    await expectContained(ctx, { ...scene, server }, codec, code, index + 1, before, offence.what);
  }
}

/** `wire` is echoed to `client`, verified as it arrives. */
async function echoes(client: Client, wire: Buffer, what: string): Promise<void> {
  const echoed = client.expectStream(bufferSource(wire), what);
  client.write(wire);
  await echoed;
}

/** The frame limit the case's server enforces: the one it configures, or the external one. */
async function limitOf(ctx: CaseContext): Promise<number> {
  if (ctx.controlled) return FRAMING_LIMIT;
  return (await framingServer(ctx, ctx.codec)).options.maxFrameBytes;
}

export const framingTooLarge = defineCase({
  id: 'framing.too-large',
  description:
    'a frame of exactly maxFrameBytes is echoed; one of maxFrameBytes + 1 closes that connection only (and so does the part of it by which the decoder can tell), counted as SWITCHYARD_ERR_FRAME_TOO_LARGE',
  tier: 'MUST',
  codecs: 'framed',
  defaultCodecs: FRAMED_CODECS,
  needs: [],
  timeoutMs: 20_000,
  async run(ctx) {
    const limit = await limitOf(ctx);
    if (limit >= MAX_TOO_LARGE_LIMIT)
      ctx.skip(`the target's frame limit is ${formatBytes(limit)}: too large a frame to build`);
    for (const codec of ctx.codecs) {
      const payload = withoutForbidden(codec, pseudoRandomBytes(limit + 1, 0x70));
      // The limit is on the frame as the handler sees it, not on its bytes on the wire.
      const atLimit = wireFrame(codec, payload.subarray(0, limit));
      const accepted = decodeLocally(codec, limit, [atLimit]);
      check(
        accepted.frames === 1,
        () =>
          `codec ${codec.name}: its own decoder, with maxFrameBytes ${limit}, gave ` +
          `${describeDecoding(accepted)} for a frame of exactly ${limit} bytes, not the frame`,
      );
      const wire = wireFrame(codec, payload);
      // Where the codec's own decoder refuses it: often before the end (a header says it all).
      const local = decodeLocally(codec, limit, probingChunks(wire, 64));
      check(
        local.error?.code === ErrorCode.FRAME_TOO_LARGE,
        () =>
          `codec ${codec.name}: its own decoder, with maxFrameBytes ${limit}, gave ` +
          `${describeDecoding(local)} for a frame of ${limit + 1} bytes, not ${ErrorCode.FRAME_TOO_LARGE}`,
      );
      const offences: Offence[] = [
        {
          what: `a frame of ${limit + 1} bytes`,
          send: (offender) => offender.pump(bufferSource(wire)),
        },
      ];
      if (local.pushed < wire.length) {
        const part = wire.subarray(0, local.pushed);
        offences.push({
          what: `the first ${part.length} of its ${wire.length} bytes, enough to tell`,
          send: (offender) => offender.pump(bufferSource(part)),
        });
      }
      await expectEachContained(ctx, codec, ErrorCode.FRAME_TOO_LARGE, offences, (offender) =>
        echoes(offender, atLimit, `echo of a frame of exactly ${limit} bytes`),
      );
    }
  },
});

export const framingTruncated = defineCase({
  id: 'framing.truncated',
  description:
    'a client that ends mid-frame (a frame without its last byte, then only its first byte) is closed, counted as SWITCHYARD_ERR_TRUNCATED_FRAME; others are unaffected',
  tier: 'MUST',
  codecs: 'framed',
  defaultCodecs: FRAMED_CODECS,
  needs: [],
  async run(ctx) {
    const limit = await limitOf(ctx);
    for (const codec of ctx.codecs) {
      const wire = wireFrame(codec, 'a frame that never ends');
      const partials = [wire.subarray(0, -1)];
      if (wire.length > 2) partials.push(wire.subarray(0, 1));
      for (const partial of partials) {
        const local = decodeLocally(codec, limit, [partial], { end: true });
        check(
          local.error?.code === ErrorCode.TRUNCATED_FRAME,
          () =>
            `codec ${codec.name}: its own decoder gave ${describeDecoding(local)} for the first ` +
            `${partial.length} of ${wire.length} bytes of a frame then the end, not ${ErrorCode.TRUNCATED_FRAME}`,
        );
      }
      await expectEachContained(
        ctx,
        codec,
        ErrorCode.TRUNCATED_FRAME,
        partials.map((partial) => ({
          what: `the first ${partial.length} of a frame's ${wire.length} bytes, then the end`,
          send: (offender) => offender.end(partial),
        })),
      );
    }
  },
});

/** Bytes per block of garbage. */
const GARBAGE_BLOCK = 64 * 1024;
/** Seeds tried for garbage that the codec refuses before it makes a frame of it. */
const GARBAGE_SEEDS = 8;

/**
 * Random bytes (of those the codec allows in a frame), past the frame limit, that the codec's own
 * decoder refuses before it completes a frame, and the error it refuses them with.
 */
function garbageFor(codec: Codec, limit: number) {
  const blocks = Math.ceil((limit + 1) / GARBAGE_BLOCK) + 1;
  for (let attempt = 0; attempt < GARBAGE_SEEDS; attempt++) {
    const source = new BlockSource(blocks, GARBAGE_BLOCK, (index) =>
      withoutForbidden(codec, pseudoRandomBytes(GARBAGE_BLOCK, 43 + attempt * 0x10000 + index)),
    );
    const all = function* () {
      for (let index = 0; index < blocks; index++) yield source.block(index);
    };
    const local = decodeLocally(codec, limit, all());
    const code = local.error?.code;
    if (code === ErrorCode.FRAME_TOO_LARGE || code === ErrorCode.MALFORMED_FRAME)
      return { source, code };
  }
  return undefined;
}

export const framingGarbage = defineCase({
  id: 'framing.garbage',
  description:
    'random bytes: frames of random binary payloads echo intact; random bytes past the frame limit, which the codec refuses, close that connection only, counted',
  tier: 'MUST',
  codecs: 'framed',
  defaultCodecs: FRAMED_CODECS,
  needs: [],
  timeoutMs: 20_000,
  async run(ctx) {
    const limit = await limitOf(ctx);
    for (const codec of ctx.codecs) {
      const garbage = garbageFor(codec, limit);
      if (!garbage)
        return ctx.skip(
          `codec ${codec.name} makes frames of random bytes (${GARBAGE_SEEDS} seeds tried)`,
        );
      const { source, code } = garbage;
      // Any payload bytes the codec allows echo, NUL, CR, 0xff and invalid UTF-8 among them.
      const binary = wireFrames(codec, payloads(codec, 16, 4096, 42));
      await expectEachContained(
        ctx,
        codec,
        code,
        [
          {
            what: `${formatBytes(source.length)} of random bytes (refused as ${code})`,
            send: (offender) => offender.pump(source),
          },
        ],
        (offender) => echoes(offender, binary, 'echo of random binary frames'),
      );
    }
  },
});

export const framingMalformed = defineCase({
  id: 'framing.malformed',
  description:
    "each of the codec's malformedExamples closes that connection only, counted as SWITCHYARD_ERR_MALFORMED_FRAME",
  tier: 'MUST',
  codecs: 'malformed-examples',
  defaultCodecs: [],
  needs: [],
  async run(ctx) {
    const limit = await limitOf(ctx);
    for (const codec of ctx.codecs) {
      const examples = (codec.malformedExamples ?? []).map((example) => Buffer.from(example));
      for (const [index, example] of examples.entries()) {
        const local = decodeLocally(codec, limit, [example]);
        check(
          local.error?.code === ErrorCode.MALFORMED_FRAME,
          () =>
            `codec ${codec.name}: its own decoder gave ${describeDecoding(local)} for ` +
            `malformedExamples[${index}], not ${ErrorCode.MALFORMED_FRAME}`,
        );
      }
      await expectEachContained(
        ctx,
        codec,
        ErrorCode.MALFORMED_FRAME,
        examples.map((example, index) => ({
          what: `malformedExamples[${index}] (${example.length} bytes)`,
          send: (offender) => offender.write(example),
        })),
      );
    }
  },
});
