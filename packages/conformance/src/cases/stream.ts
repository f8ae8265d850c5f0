import type { Codec } from '@switchyard/protocol';
import {
  bufferSource,
  pseudoRandomBytes,
  wireFrame,
  wireFrames,
  withoutForbidden,
  writeAllowedNumber,
} from '../bytes.js';
import type { Client } from '../client.js';
import { expectReplies, nextRequests } from '../oracle.js';
import { check } from '../outcome.js';
import { defineCase } from './define.js';

/**
 * `count` distinct payloads of varied length, of bytes the codec allows in a frame, each
 * starting with its index.
 */
export function payloads(codec: Codec, count: number, maxLength: number, seed: number): Buffer[] {
  const lengths = pseudoRandomBytes(count * 2, seed);
  return Array.from({ length: count }, (_, index) => {
    const length = 12 + (lengths.readUInt16LE(index * 2) % maxLength);
    const payload = withoutForbidden(codec, pseudoRandomBytes(length, seed + index + 1));
    writeAllowedNumber(codec, payload, 0, index);
    return payload;
  });
}

/** Writes `wire` one byte at a time; awaiting each write keeps the pieces apart on the way out. */
async function writeByteByByte(client: Client, wire: Buffer): Promise<void> {
  for (let i = 0; i < wire.length; i++) await client.flush(wire.subarray(i, i + 1));
}

/** Writes `wire` in pieces of pseudo-random length (1 to 766 bytes), each awaited. */
async function writeCutRandomly(client: Client, wire: Buffer): Promise<void> {
  const cuts = pseudoRandomBytes(wire.length, 13);
  for (let offset = 0, i = 0; offset < wire.length; i++) {
    const end = Math.min(wire.length, offset + 1 + cuts[i]! * 3);
    await client.flush(wire.subarray(offset, end));
    offset = end;
  }
}

export const streamFragmented = defineCase({
  id: 'stream.fragmented',
  description:
    'requests written one byte at a time, then cut at random places, are reassembled and answered in order',
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ['length-prefixed', 'lines', 'raw'],
  needs: [],
  async run(ctx) {
    for (const codec of ctx.codecs) {
      const server = await ctx.server({ codec });
      const client = await ctx.connect(server, { label: `${codec.name} client` });
      if (!ctx.oracle.echo) {
        await writeByteByByte(client, nextRequests(client, 3).wire);
        await writeCutRandomly(client, nextRequests(client, 60).wire);
        await expectReplies(client, 'replies to fragmented requests');
        continue;
      }
      const byteByByte = wireFrames(codec, payloads(codec, 3, 40, 11));
      const cutRandomly = wireFrames(codec, payloads(codec, 60, 3000, 12));
      const echoed = client.expectStream(
        bufferSource(Buffer.concat([byteByByte, cutRandomly])),
        'echo of fragmented frames',
      );
      // The client has Nagle off, so each awaited write leaves as its own segment.
      await writeByteByByte(client, byteByByte);
      await writeCutRandomly(client, cutRandomly);
      await echoed;
    }
  },
});

export const PIPELINED_FRAMES = 1000;

export const streamPipelined = defineCase({
  id: 'stream.pipelined',
  description: `${PIPELINED_FRAMES} requests written back to back before reading: every reply arrives, in order`,
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ['length-prefixed', 'lines', 'raw'],
  needs: [],
  async run(ctx) {
    for (const codec of ctx.codecs) {
      const server = await ctx.server({ codec });
      const client = await ctx.connect(server, { label: `${codec.name} client` });
      if (!ctx.oracle.echo) {
        client.write(nextRequests(client, PIPELINED_FRAMES).wire);
        await expectReplies(client, `replies to ${PIPELINED_FRAMES} pipelined requests`);
        continue;
      }
      const wire = wireFrames(codec, payloads(codec, PIPELINED_FRAMES, 200, 21));
      const echoed = client.expectStream(bufferSource(wire), `echo of ${PIPELINED_FRAMES} frames`);
      client.write(wire);
      await echoed;
    }
  },
});

export const streamEmptyFrames = defineCase({
  id: 'stream.empty-frames',
  description:
    'empty frames, as the codec encodes them (a bare newline, a zero length header), are echoed as empty frames',
  tier: 'MUST',
  codecs: 'framed',
  defaultCodecs: ['length-prefixed', 'lines'],
  needs: [],
  async run(ctx) {
    ctx.requireEcho('it checks that empty frames come back as empty frames');
    for (const codec of ctx.codecs) {
      const server = await ctx.server({ codec });
      const client = await ctx.connect(server, { label: `${codec.name} client` });
      const empty = wireFrame(codec, Buffer.alloc(0));
      const wire = Buffer.concat([empty, wireFrame(codec, 'between'), empty]);
      client.write(wire);
      await client.expect(wire, 'echo of empty, "between", empty');
      check(client.available === 0, `${client.label}: extra bytes after the replies`);
    }
  },
});
