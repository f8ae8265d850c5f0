import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import {
  connectTarget,
  type Handler,
  resolveServerOptions,
  type ServerOptions,
} from '@switchyard/protocol';
import { loadService } from '@switchyard/server-core';
import { SelectorServer, selectorStrategy } from '@switchyard/server-selector';
import { describe, expect, onTestFinished, test } from 'vitest';

async function start(handler: Handler, options: ServerOptions = {}): Promise<SelectorServer> {
  const resolved = resolveServerOptions({ ...options, handler });
  const server = new SelectorServer(resolved, await loadService(resolved));
  onTestFinished(() => server.destroy());
  return server.listen();
}

async function client(server: SelectorServer): Promise<Socket> {
  const socket = connect(connectTarget(server.address));
  onTestFinished(() => {
    socket.destroy();
  });
  await once(socket, 'connect');
  return socket;
}

describe('selector strategy', () => {
  test('declares concurrent connections and handlers that never run in parallel', () => {
    expect(selectorStrategy.name).toBe('selector');
    expect(selectorStrategy.capabilities).toEqual({
      connections: 'concurrent',
      parallelHandlers: false,
    });
  });

  test('a slow async reply on one connection does not hold up another', async () => {
    let releaseSlow!: () => void;
    const slowReleased = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    const server = await start(
      async (request) => {
        if (request.toString() === 'slow\n') await slowReleased;
        return request;
      },
      { codec: 'lines' },
    );
    const slow = await client(server);
    const fast = await client(server);
    slow.write('slow\n');
    fast.write('fast\n');
    const [reply] = await once(fast, 'data');
    expect(String(reply)).toBe('fast\n');

    releaseSlow();
    const [slowReply] = await once(slow, 'data');
    expect(String(slowReply)).toBe('slow\n');
  });

  test('listen() through the strategy loads the handler by name and serves', async () => {
    const server = await selectorStrategy.listen({ handler: 'echo', codec: 'length-prefixed' });
    onTestFinished(() => server.destroy());
    const socket = connect(connectTarget(server.address));
    onTestFinished(() => {
      socket.destroy();
    });
    const frame = Buffer.from([0, 0, 0, 2, 0x68, 0x69]);
    socket.end(frame);
    const [reply] = await once(socket, 'data');
    expect(reply).toEqual(frame);
    await server.close();
    expect(server.stats()).toMatchObject({ accepted: 1, framesIn: 1, framesOut: 1, active: 0 });
  });
});
