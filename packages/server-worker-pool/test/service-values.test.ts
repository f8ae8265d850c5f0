import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionFailure, RunningServer } from '@switchyard/protocol';
import { connectTarget } from '@switchyard/protocol';
import { describe, expect, onTestFinished, test, vi } from 'vitest';
import { workerPoolStrategy } from '../src/index.js';
import { cleanup, runnableModes, testHandler } from './helpers.js';

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Sends `count` pipelined lines on one connection; resolves with the reply lines. */
async function pipelined(server: RunningServer, count: number): Promise<string[]> {
  const socket = connect(connectTarget(server.address));
  onTestFinished(() => {
    socket.destroy();
  });
  await once(socket, 'connect');
  socket.end(Array.from({ length: count }, (_, i) => `r${i}\n`).join(''));
  let text = '';
  for await (const chunk of socket) text += chunk;
  return text.split('\n').filter((line) => line !== '');
}

describe('affinity', () => {
  test('connection (the default): every request of a connection runs in one worker', async () => {
    const server = cleanup(
      await workerPoolStrategy.listen({
        mode: 'offload',
        workers: 2,
        codec: 'lines',
        handler: testHandler('counter'),
        handlerOptions: { tag: 'ready' },
      }),
    );
    for (let round = 0; round < 3; round++) {
      const replies = await pipelined(server, 200);
      expect(replies).toHaveLength(200);
      const threads = new Set(replies.map((reply) => reply.split(' ')[0]));
      expect(threads.size).toBe(1);
      // Module state and context.state both saw every request of the connection, in order.
      replies.forEach((reply, i) => {
        expect(reply.split(' ').slice(1)).toEqual([String(i + 1), String(i + 1), 'ready']);
      });
    }
  });

  test('an unknown affinity is refused', async () => {
    const error = await rejectionOf(workerPoolStrategy.listen({ affinity: 'socket' as never }));
    expect(error).toMatchObject({ code: 'SWITCHYARD_ERR_INVALID_OPTION', option: 'affinity' });
  });
});

describe('what crosses to a worker', () => {
  for (const mode of runnableModes) {
    test(`${mode}: a handler value is refused, saying to pass a module specifier`, async () => {
      const error = await rejectionOf(
        workerPoolStrategy.listen({ mode, handler: (request) => request }),
      );
      expect(error).toMatchObject({ code: 'SWITCHYARD_ERR_INVALID_OPTION', option: 'handler' });
      expect((error as Error).message).toContain('module specifier');
    });

    test(`${mode}: a codec module that does not exist rejects listen with the loader message`, async () => {
      const error = await rejectionOf(
        workerPoolStrategy.listen({ mode, workers: 1, codec: './no-such-codec.mjs' }),
      );
      expect(error).toMatchObject({ code: 'SWITCHYARD_ERR_CODEC_NOT_FOUND' });
      expect((error as Error).message).toContain('no-such-codec.mjs');
    });
  }

  test('a misspelt pool option is refused naming it', async () => {
    const error = await rejectionOf(workerPoolStrategy.listen({ workres: 2 } as never));
    expect(error).toMatchObject({ code: 'SWITCHYARD_ERR_INVALID_OPTION', option: 'workres' });
    expect((error as Error).message).toContain('did you mean workers?');
  });
});

describe('the failure event', () => {
  for (const mode of runnableModes) {
    test(`${mode}: a handler failure in a worker arrives with its message, id and address`, async () => {
      const server = cleanup(
        await workerPoolStrategy.listen({
          mode,
          workers: 1,
          codec: 'lines',
          handler: testHandler('throw-on-marker'),
        }),
      );
      const seen: ConnectionFailure[] = [];
      server.on('failure', (failure) => seen.push(failure));
      const socket = connect(connectTarget(server.address));
      onTestFinished(() => {
        socket.destroy();
      });
      socket.on('error', () => {});
      await once(socket, 'connect');
      const port = socket.localPort;
      socket.write('boom\n');
      await once(socket, 'close');
      await vi.waitFor(() => expect(seen).toHaveLength(1));
      expect(seen[0]).toMatchObject({ remoteAddress: '127.0.0.1', remotePort: port });
      expect(seen[0]!.error).toMatchObject({
        code: 'SWITCHYARD_ERR_HANDLER_FAILED',
        message: 'handler failed: boom requested',
      });
      expect((seen[0]!.error.cause as Error).message).toBe('boom requested');
    });
  }
});

describe('the handler lifecycle in workers', () => {
  for (const mode of runnableModes) {
    test(`${mode}: setup runs once per worker before listen resolves, teardown on close`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'switchyard-lifecycle-'));
      onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
      const file = join(dir, 'calls.log');
      const server = cleanup(
        await workerPoolStrategy.listen({
          mode,
          workers: 2,
          handler: testHandler('teardown-marker'),
          handlerOptions: { file },
        }),
      );
      const lines = () => readFileSync(file, 'utf8').trim().split('\n').sort();
      expect(lines().filter((line) => line.startsWith('setup'))).toHaveLength(2);
      await server.close();
      const calls = lines();
      const setups = calls.filter((line) => line.startsWith('setup')).map((l) => l.split(' ')[1]);
      const teardowns = calls
        .filter((line) => line.startsWith('teardown'))
        .map((l) => l.split(' ')[1]);
      expect(teardowns.sort()).toEqual(setups.sort());
    });
  }

  test('a setup failure rejects listen with HANDLER_SETUP_FAILED, message and cause from the thread', async () => {
    const error = await rejectionOf(
      workerPoolStrategy.listen({
        mode: 'offload',
        workers: 2,
        handler: testHandler('teardown-marker'),
        handlerOptions: { file: '/nonexistent-dir/calls.log' },
      }),
    );
    expect(error).toMatchObject({ code: 'SWITCHYARD_ERR_HANDLER_SETUP_FAILED' });
    expect((error as Error).message).toContain('ENOENT');
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});
