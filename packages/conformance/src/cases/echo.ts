import { frameStream, wireFrame, withoutForbidden } from '../bytes.js';
import { exchange, expectNoMoreReplies, expectReplies, nextRequests } from '../oracle.js';
import { check } from '../outcome.js';
import { ALL_CODECS, defineCase } from './define.js';

export const echoHello = defineCase({
  id: 'echo.hello',
  description:
    'one request gets a good reply, however TCP splits it (echo: "Hello, world" comes back exactly)',
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ALL_CODECS,
  needs: [],
  async run(ctx) {
    const server = await ctx.server();
    const client = await ctx.connect(server);
    if (!ctx.oracle.echo) return exchange(client, 1, 'a good reply to one request');
    const wire = wireFrame(ctx.codec, 'Hello, world');
    client.write(wire);
    await client.expect(wire, 'echo of "Hello, world"');
  },
});

/** Many connections at once, each sending the same two messages and expecting their 44 bytes. */
export const MULTICONN_CONNECTIONS = 10;
const MESSAGES = ['Message 1 from client.', 'Message 2 from client.'];

export const echoMulticonn = defineCase({
  id: 'echo.multiconn',
  description: `${MULTICONN_CONNECTIONS} connections each send two requests and get good replies, only their own (echo: their 44 bytes)`,
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ALL_CODECS,
  needs: [],
  async run(ctx) {
    const server = await ctx.server();
    const clients = await Promise.all(
      Array.from({ length: MULTICONN_CONNECTIONS }, (_, index) =>
        ctx.connect(server, { label: `connection ${index + 1}` }),
      ),
    );
    if (!ctx.oracle.echo) {
      for (const client of clients) client.write(nextRequests(client, 2).wire);
      await Promise.all(
        clients.map(async (client) => {
          await expectReplies(client, 'replies to both requests');
          expectNoMoreReplies(client, 'after the replies to both requests');
          client.end();
        }),
      );
      return;
    }
    const wire = MESSAGES.map((message) => wireFrame(ctx.codec, message));
    for (const client of clients) for (const message of wire) client.write(message);
    await Promise.all(
      clients.map(async (client) => {
        await client.expect(Buffer.concat(wire), 'echo of both messages');
        check(
          client.available === 0,
          `${client.label}: ${client.available} bytes more than the messages sent`,
        );
        client.end();
      }),
    );
  },
});

export const LARGE_BYTES = 16 * 1024 * 1024;
const BLOCK = 64 * 1024;

export const echoLarge = defineCase({
  id: 'echo.large',
  description: '16 MiB of pseudo-random bytes on one connection come back identical',
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ALL_CODECS,
  needs: [],
  timeoutMs: 30_000,
  async run(ctx) {
    ctx.requireEcho('it checks that 16 MiB of pseudo-random bytes come back identical');
    const server = await ctx.server();
    const client = await ctx.connect(server);
    const blocks = LARGE_BYTES / BLOCK;
    const echoed = client.expectStream(
      frameStream(ctx.codec, blocks, BLOCK, 0x1a2e),
      'echo of 16 MiB',
    );
    const pump = client.pump(frameStream(ctx.codec, blocks, BLOCK, 0x1a2e));
    await Promise.all([echoed, pump.done]);
  },
});

/** 256 rows of all 256 byte values, each row rotated by one: every value at every offset. */
export function everyByteEverywhere(): Buffer {
  const bytes = Buffer.alloc(256 * 256);
  for (let row = 0; row < 256; row++)
    for (let column = 0; column < 256; column++) bytes[row * 256 + column] = (row + column) & 0xff;
  return bytes;
}

export const echoBinary = defineCase({
  id: 'echo.binary',
  description:
    'all 256 byte values (those the codec allows in a frame), in every position, survive the round trip',
  tier: 'MUST',
  codecs: 'any',
  defaultCodecs: ALL_CODECS,
  needs: [],
  async run(ctx) {
    ctx.requireEcho('it checks that every byte value comes back at every position');
    const server = await ctx.server();
    const client = await ctx.connect(server);
    const wire = wireFrame(ctx.codec, withoutForbidden(ctx.codec, everyByteEverywhere()));
    client.write(wire);
    await client.expect(wire, 'echo of every byte value at every position');
  },
});
