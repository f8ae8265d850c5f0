import {
  type ConnectionFailure,
  ErrorCode,
  HandlerFailedError,
  HandlerNotFoundError,
  InvalidOptionError,
} from '@switchyard/protocol';
import { expect, test } from 'vitest';
import { workerPoolStrategy } from '../src/index.js';
import { cleanup, client, runnableModes, testHandler } from './helpers.js';

/**
 * Runs requests through an offload server's worker, each on a connection of its own: resolves
 * with the reply, or with the error that failed the connection (from the `failure` event).
 */
async function offloadDispatch(handler: string, handlerOptions = {}) {
  const server = cleanup(
    await workerPoolStrategy.listen({
      mode: 'offload',
      workers: 1,
      codec: 'lines',
      handler,
      handlerOptions,
    }),
  );
  const failures = new Map<number, ConnectionFailure>();
  server.on('failure', (failure) => failures.set(failure.remotePort, failure));
  return async (request: string): Promise<string> => {
    const connection = await client(server);
    const port = connection.socket.localPort!;
    connection.socket.write(`${request}\n`);
    await Promise.race([connection.read(request.length + 1), connection.closed]);
    const failure = failures.get(port);
    if (failure) throw failure.error;
    return connection.text.slice(0, -1);
  };
}

test('offload: a handler’s throw arrives as HANDLER_FAILED with its message and cause', async () => {
  const dispatch = await offloadDispatch(testHandler('throw-on-marker'));
  expect(await dispatch('fine')).toBe('fine');
  const failure = await dispatch('boom').catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(HandlerFailedError);
  expect(failure).toMatchObject({
    code: ErrorCode.HANDLER_FAILED,
    message: 'handler failed: boom requested',
    cause: { message: 'boom requested' },
  });
});

test('offload: a SwitchyardError thrown in a worker arrives as its own class', async () => {
  const dispatch = await offloadDispatch('burn', { rounds: -1 });
  const failure = await dispatch('x').catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(InvalidOptionError);
  expect(failure).toMatchObject({ code: ErrorCode.INVALID_OPTION, message: /rounds/ });
});

test.each(runnableModes)(
  '%s: a handler that cannot load fails listen() with the loader’s own message as cause',
  async (mode) => {
    const failure = await workerPoolStrategy
      .listen({ mode, workers: 2, handler: './no/such/handler.js' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HandlerNotFoundError);
    expect((failure as Error).message).toMatch(/no\/such\/handler\.js/);
    expect((failure as Error).cause).toBeInstanceOf(Error);
    expect(((failure as Error).cause as Error).message).toMatch(/Cannot find module/);
  },
);
