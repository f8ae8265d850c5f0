import type { Codec } from '@switchyard/protocol';
import {
  bufferSource,
  pseudoRandomBytes,
  wireFrame,
  wireFrames,
  withoutForbidden,
  writeAllowedNumber,
} from '../bytes.js';
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

export const streamFragmented = defineCase({
  id: 'stream.fragmented',
  description: 'frames written one byte at a time, then cut at random places, are reassembled',
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ['length-prefixed', 'lines', 'raw'],
  needs: [],
  async run(ctx) {
    for (const codec of ctx.codecs) {
      const server = await ctx.server({ codec });
      const client = await ctx.connect(server, { label: `${codec.name} client` });
      const byteByByte = wireFrames(codec, payloads(codec, 3, 40, 11));
      const cutRandomly = wireFrames(codec, payloads(codec, 60, 3000, 12));
      const echoed = client.expectStream(
        bufferSource(Buffer.concat([byteByByte, cutRandomly])),
        'echo of fragmented frames',
      );
      // Awaiting each write keeps the pieces apart on the way out (the client has Nagle off).
      for (let i = 0; i < byteByByte.length; i++) await client.flush(byteByByte.subarray(i, i + 1));
      const cuts = pseudoRandomBytes(cutRandomly.length, 13);
      for (let offset = 0, i = 0; offset < cutRandomly.length; i++) {
        const end = Math.min(cutRandomly.length, offset + 1 + cuts[i]! * 3);
        await client.flush(cutRandomly.subarray(offset, end));
        offset = end;
      }
      await echoed;
    }
  },
});

export const PIPELINED_FRAMES = 1000;

export const streamPipelined = defineCase({
  id: 'stream.pipelined',
  description: `${PIPELINED_FRAMES} frames written back to back before reading: every reply arrives, in order`,
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ['length-prefixed', 'lines', 'raw'],
  needs: [],
  async run(ctx) {
    for (const codec of ctx.codecs) {
      const server = await ctx.server({ codec });
      const client = await ctx.connect(server, { label: `${codec.name} client` });
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
