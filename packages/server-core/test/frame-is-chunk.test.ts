import { once } from 'node:events';
import type { Codec, Decoder } from '@switchyard/protocol';
import { describe, expect, test } from 'vitest';
import { collect, connectTo, startServer } from './helpers.js';

/** A codec of the test's own that passes chunks through and records what the server asks of it. */
function passThroughCodec(declares: boolean) {
  const calls = { createDecoder: 0, push: 0 };
  const codec: Codec = {
    // The name is a built-in's on purpose: what decides the read path is the declaration.
    name: declares ? 'lines' : 'raw',
    ...(declares ? { frameIsChunk: true as const } : {}),
    createDecoder(): Decoder {
      calls.createDecoder++;
      return {
        push(chunk) {
          calls.push++;
          return chunk.length === 0 ? [] : [chunk];
        },
        end() {},
        bufferedBytes: 0,
      };
    },
    encode: (frame) => Buffer.from(frame),
  };
  return { codec, calls };
}

describe('a codec whose frame is the chunk as it arrived', () => {
  test('when it declares frameIsChunk, each chunk goes to the handler without a decoder', async () => {
    const { codec, calls } = passThroughCodec(true);
    const server = await startServer({ codecObject: codec });
    const client = await connectTo(server);
    client.write('ping');
    const [echo] = await once(client, 'data');
    expect(String(echo)).toBe('ping');
    const received = collect(client);
    client.end();
    await received;
    expect(calls).toEqual({ createDecoder: 0, push: 0 });
    expect(server.stats()).toMatchObject({ framesIn: 1, framesOut: 1, errors: {} });
  });

  test('when it does not, the server goes through its decoder, whatever its name', async () => {
    const { codec, calls } = passThroughCodec(false);
    const server = await startServer({ codecObject: codec });
    const client = await connectTo(server);
    client.write('ping');
    const [echo] = await once(client, 'data');
    expect(String(echo)).toBe('ping');
    expect(calls).toEqual({ createDecoder: 1, push: 1 });
  });
});
