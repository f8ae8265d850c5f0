import { once } from 'node:events';
import { connect } from 'node:net';
import type { HandlerObject } from '@switchyard/protocol';
import { connectTarget } from '@switchyard/protocol';
import { expect, onTestFinished, test } from 'vitest';
import { blockingStrategy } from '../src/index.js';

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

test('an object handler with setup and teardown serves one client at a time', async () => {
  const calls: string[] = [];
  const handler: HandlerObject = {
    setup: () => {
      calls.push('setup');
    },
    handle: (request, context) => {
      const seen = ((context.state.get('seen') as number | undefined) ?? 0) + 1;
      context.state.set('seen', seen);
      return Buffer.from(`${request} #${seen}`);
    },
    teardown: () => {
      calls.push('teardown');
    },
  };
  const server = await blockingStrategy.listen({ codec: 'lines', handler });
  onTestFinished(() => server.destroy());
  const socket = connect(connectTarget(server.address));
  onTestFinished(() => {
    socket.destroy();
  });
  await once(socket, 'connect');
  socket.end('a\nb\n');
  let received = '';
  for await (const chunk of socket) received += chunk;
  expect(received).toBe('a #1\nb #2\n');
  await server.close();
  expect(calls).toEqual(['setup', 'teardown']);
});

test("a misspelt key, the blocking strategy's own included, is refused naming it", async () => {
  const error = await rejectionOf(blockingStrategy.listen({ maxWaitng: 1 } as never));
  expect(error).toMatchObject({ code: 'SWITCHYARD_ERR_INVALID_OPTION', option: 'maxWaitng' });
  expect((error as Error).message).toContain('did you mean maxWaiting?');
});
