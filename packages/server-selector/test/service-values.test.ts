import { once } from 'node:events';
import { connect } from 'node:net';
import type { Codec, RunningServer } from '@switchyard/protocol';
import { connectTarget } from '@switchyard/protocol';
import { selectorStrategy } from '@switchyard/server-selector';
import { describe, expect, onTestFinished, test } from 'vitest';

async function listen(options: Parameters<typeof selectorStrategy.listen>[0]) {
  const server = await selectorStrategy.listen(options);
  onTestFinished(() => server.destroy());
  return server;
}

async function ask(server: RunningServer, wire: string, replyBytes: number): Promise<string> {
  const socket = connect(connectTarget(server.address));
  onTestFinished(() => {
    socket.destroy();
  });
  await once(socket, 'connect');
  socket.write(wire);
  let received = '';
  for await (const chunk of socket) {
    received += chunk;
    if (received.length >= replyBytes) break;
  }
  return received;
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('handlers as values', () => {
  test('a function handler serves, with lines frames that carry no newline', async () => {
    const server = await listen({
      codec: 'lines',
      handler: (request) => Buffer.from(request.toString() === 'who' ? 'switchyard' : 'unknown'),
    });
    expect(await ask(server, 'who\n', 11)).toBe('switchyard\n');
  });

  test('an object handler: setup runs before listen resolves, teardown after close', async () => {
    const calls: string[] = [];
    const server = await listen({
      codec: 'lines',
      handlerOptions: { greeting: 'hi' },
      handler: {
        greeting: '',
        async setup(options) {
          calls.push('setup');
          this.greeting = String(options.greeting);
        },
        handle(request) {
          return Buffer.from(`${this.greeting} ${request}`);
        },
        teardown() {
          calls.push('teardown');
        },
      } as { greeting: string } & import('@switchyard/protocol').HandlerObject,
    });
    expect(calls).toEqual(['setup']);
    expect(await ask(server, 'you\n', 7)).toBe('hi you\n');
    await server.close();
    expect(calls).toEqual(['setup', 'teardown']);
  });

  test('a failing setup rejects listen with HANDLER_SETUP_FAILED, its message and cause', async () => {
    const cause = new Error('cannot reach the database');
    const error = await rejectionOf(
      selectorStrategy.listen({
        handler: {
          handle: (request) => request,
          setup() {
            throw cause;
          },
        },
      }),
    );
    expect(error).toMatchObject({ code: 'SWITCHYARD_ERR_HANDLER_SETUP_FAILED', cause });
    expect((error as Error).message).toContain('cannot reach the database');
  });
});

describe('codecs as values and modules', () => {
  test('a codec object serves', async () => {
    const dots: Codec = {
      name: 'dots',
      createDecoder() {
        let pending = '';
        return {
          push(chunk) {
            const parts = (pending + chunk.toString()).split('.');
            pending = parts.pop()!;
            return parts.map((part) => Buffer.from(part));
          },
          end() {},
          get bufferedBytes() {
            return pending.length;
          },
        };
      },
      encode: (frame) => Buffer.from(`${Buffer.from(frame).toString().toUpperCase()}.`),
    };
    const server = await listen({ codec: dots });
    expect(await ask(server, 'ab.cd.', 6)).toBe('AB.CD.');
  });

  test('a codec module that does not exist rejects listen with the loader message', async () => {
    const error = await rejectionOf(selectorStrategy.listen({ codec: './no-such-codec.mjs' }));
    expect(error).toMatchObject({ code: 'SWITCHYARD_ERR_CODEC_NOT_FOUND' });
    expect((error as Error).message).toContain('no-such-codec.mjs');
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});

test('an unknown option key is refused, naming it', async () => {
  const error = await rejectionOf(selectorStrategy.listen({ hanlder: 'echo' } as never));
  expect(error).toMatchObject({ code: 'SWITCHYARD_ERR_INVALID_OPTION', option: 'hanlder' });
  expect((error as Error).message).toContain('did you mean handler?');
});
