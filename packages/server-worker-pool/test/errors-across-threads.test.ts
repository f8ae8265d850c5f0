import {
  ErrorCode,
  type HandlerContext,
  HandlerFailedError,
  HandlerNotFoundError,
  InvalidOptionError,
  rawCodec,
  resolveServerOptions,
} from '@switchyard/protocol';
import { expect, test } from 'vitest';
import { OffloadServer, workerPoolStrategy } from '../src/index.js';
import { cleanup, runnableModes, testHandler } from './helpers.js';

/** Runs one request through an offload server's worker, as a connection would. */
async function offloadDispatch(handler: string, handlerOptions = {}) {
  const server = new OffloadServer({
    options: resolveServerOptions({ handler, handlerOptions }),
    codec: rawCodec,
    workers: 1,
    maxQueuedRequests: 16,
  });
  cleanup(await server.start());
  const context: HandlerContext = {
    connectionId: 1,
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    codec: 'raw',
    state: new Map(),
    options: handlerOptions,
  };
  const dispatch = (
    server as unknown as { dispatch(request: Buffer, context: HandlerContext): Promise<Buffer> }
  ).dispatch.bind(server);
  return (request: string) => dispatch(Buffer.from(request), context);
}

test('offload: a handler’s throw arrives as HANDLER_FAILED with its message and cause', async () => {
  const dispatch = await offloadDispatch(testHandler('throw-on-marker'));
  expect((await dispatch('fine')).toString()).toBe('fine');
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
