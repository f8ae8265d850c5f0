import type { CodecName } from '@switchyard/protocol';
import { bufferSource, pseudoRandomBytes, wireFrame, wireFrames } from '../bytes.js';
import { check } from '../outcome.js';
import { defineCase } from './define.js';

/** `count` distinct payloads of varied length; for `lines`, without a newline inside. */
function payloads(codec: CodecName, count: number, maxLength: number, seed: number): Buffer[] {
  const lengths = pseudoRandomBytes(count * 2, seed);
  return Array.from({ length: count }, (_, index) => {
    const length = 12 + (lengths.readUInt16LE(index * 2) % maxLength);
    const payload = pseudoRandomBytes(length, seed + index + 1);
    payload.write(`frame ${String(index).padStart(6, '0')}`, 0, 'latin1');
    if (codec === 'lines')
      for (let i = 0; i < length; i++) if (payload[i] === 0x0a) payload[i] = 0x20;
    return payload;
  });
}

export const streamFragmented = defineCase({
  id: 'stream.fragmented',
  description: 'frames written one byte at a time, then cut at random places, are reassembled',
  tier: 'MUST',
  codecs: ['length-prefixed', 'lines', 'raw'],
  needs: [],
  async run(ctx) {
    for (const codec of ctx.codecs) {
      const server = await ctx.server({ codec });
      const client = await ctx.connect(server, { label: `${codec} client` });
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
  codecs: ['length-prefixed', 'lines', 'raw'],
  needs: [],
  async run(ctx) {
    for (const codec of ctx.codecs) {
      const server = await ctx.server({ codec });
      const client = await ctx.connect(server, { label: `${codec} client` });
      const wire = wireFrames(codec, payloads(codec, PIPELINED_FRAMES, 200, 21));
      const echoed = client.expectStream(bufferSource(wire), `echo of ${PIPELINED_FRAMES} frames`);
      client.write(wire);
      await echoed;
    }
  },
});

export const streamEmptyFrames = defineCase({
  id: 'stream.empty-frames',
  description: 'empty frames (a bare newline, a zero length header) are echoed as empty frames',
  tier: 'MUST',
  codecs: ['length-prefixed', 'lines'],
  needs: [],
  async run(ctx) {
    for (const codec of ctx.codecs) {
      const server = await ctx.server({ codec });
      const client = await ctx.connect(server, { label: `${codec} client` });
      const empty = wireFrame(codec, Buffer.alloc(0));
      const wire = Buffer.concat([empty, wireFrame(codec, Buffer.from('between')), empty]);
      client.write(wire);
      await client.expect(wire, 'echo of empty, "between", empty');
      check(client.available === 0, `${client.label}: extra bytes after the replies`);
    }
  },
});
