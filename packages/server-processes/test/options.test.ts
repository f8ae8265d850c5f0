import type { TcpAddress } from '@switchyard/protocol';
import { ErrorCode, type Strategy } from '@switchyard/protocol';
import { reusePortUnsupported } from '@switchyard/server-core';
import { beforeEach, describe, expect, test, vi } from 'vitest';
import { multiProcess } from '../src/index.js';
import { loopStrategy } from './fixtures/loop-strategy.js';
import { childrenOf, fixture } from './helpers.js';

// Every process the primary starts, it starts with `fork`: watching it shows what started.
const forks = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:child_process', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:child_process')>();
  return {
    ...actual,
    fork: (...args: Parameters<typeof actual.fork>) => {
      forks.count++;
      return actual.fork(...args);
    },
  };
});
beforeEach(() => {
  forks.count = 0;
});

const inProcesses = multiProcess(loopStrategy);

describe('what a child process cannot be given is refused before any process starts', () => {
  test.each([
    ['a handler function', { handler: (request: Buffer) => request }, 'handler'],
    ['a handler object', { handler: { handle: (request: Buffer) => request } }, 'handler'],
    [
      'a codec object',
      { codec: { name: 'mine', createDecoder: () => ({}) as never, encode: Buffer.from } },
      'codec',
    ],
    [
      'shared memory in handler options',
      { handlerOptions: { gate: new SharedArrayBuffer(8) } },
      'handlerOptions',
    ],
    ['a function in handler options', { handlerOptions: { callback: () => {} } }, 'handlerOptions'],
    ['a misspelt option', { hanlder: 'echo' }, 'hanlder'],
    ['reusePort, which the distribution decides', { reusePort: true }, 'reusePort'],
    ['no process at all', { processes: 0 }, 'processes'],
    ['a distribution that does not exist', { distribution: 'random' }, 'distribution'],
    ['a bad common option', { maxFrameBytes: -1 }, 'maxFrameBytes'],
  ])('%s: SWITCHYARD_ERR_INVALID_OPTION', async (_what, options, option) => {
    await expect(inProcesses.listen({ processes: 2, ...options } as never)).rejects.toMatchObject({
      code: ErrorCode.INVALID_OPTION,
      option,
    });
    expect(forks.count).toBe(0);
  });

  test('a strategy that does not say where to import it from cannot run in processes', () => {
    const { importFrom: _, ...anywhere } = loopStrategy;
    expect(() => multiProcess(anywhere as Strategy)).toThrow(
      expect.objectContaining({
        code: ErrorCode.INVALID_OPTION,
        message: expect.stringMatching(/importFrom/),
      }),
    );
  });
});

const unsupported = reusePortUnsupported();

test.runIf(unsupported !== undefined)(
  `reuseport where this Node would ignore reusePort: SWITCHYARD_ERR_REUSEPORT_UNSUPPORTED, no process started (${unsupported})`,
  async () => {
    await expect(
      inProcesses.listen({ processes: 2, distribution: 'reuseport' }),
    ).rejects.toMatchObject({
      code: ErrorCode.REUSEPORT_UNSUPPORTED,
      message: expect.stringContaining(unsupported!),
    });
    expect(forks.count).toBe(0);
  },
);

describe('a process that cannot start fails listen with its own error, and leaves nothing', () => {
  test('a handler module that is not there: SWITCHYARD_ERR_HANDLER_NOT_FOUND from the child', async () => {
    await expect(
      inProcesses.listen({ processes: 2, handler: fixture('no-such-handler.ts') }),
    ).rejects.toMatchObject({ code: ErrorCode.HANDLER_NOT_FOUND });
    expect(forks.count).toBe(1);
    expect(childrenOf(process.pid)).toEqual([]);
  });

  test('a port in use: SWITCHYARD_ERR_LISTEN_FAILED, as one process would say', async () => {
    const first = await inProcesses.listen({ processes: 1 });
    try {
      await expect(
        multiProcess(loopStrategy).listen({
          processes: 2,
          distribution: 'os',
          port: (first.address as TcpAddress).port,
        }),
      ).rejects.toMatchObject({
        code: ErrorCode.LISTEN_FAILED,
        message: expect.stringContaining('EADDRINUSE'),
      });
    } finally {
      await first.destroy();
    }
    expect(childrenOf(process.pid)).toEqual([]);
  });
});
