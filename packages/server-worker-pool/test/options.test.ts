import { expect, test } from 'vitest';
import { canTransferSockets, resolveWorkerPoolOptions, workerPoolStrategy } from '../src/index.js';

test('declares concurrent connections and parallel handlers', () => {
  expect(workerPoolStrategy.name).toBe('worker-pool');
  expect(workerPoolStrategy.capabilities).toEqual({
    connections: 'concurrent',
    parallelHandlers: true,
  });
});

test('auto picks handoff exactly where this Node can transfer sockets', () => {
  const { mode } = resolveWorkerPoolOptions({});
  expect(mode).toBe(canTransferSockets() ? 'handoff' : 'offload');
});

test.runIf(!canTransferSockets())(
  'asking for handoff where unsupported fails clearly',
  async () => {
    await expect(workerPoolStrategy.listen({ mode: 'handoff' })).rejects.toMatchObject({
      code: 'SWITCHYARD_ERR_HANDOFF_UNSUPPORTED',
    });
  },
);

test.each([
  { workers: 0 },
  { workers: 1.5 },
  { maxQueuedRequests: 0 },
  { mode: 'sideways' as 'auto' },
])('rejects %o', (options) => {
  expect(() => resolveWorkerPoolOptions(options)).toThrow(
    expect.objectContaining({ code: 'SWITCHYARD_ERR_INVALID_OPTION' }),
  );
});

test('a handler that cannot be found fails listen() and leaves nothing running', async () => {
  await expect(
    workerPoolStrategy.listen({ mode: 'offload', workers: 2, handler: './no/such/handler.js' }),
  ).rejects.toMatchObject({ code: 'SWITCHYARD_ERR_HANDLER_NOT_FOUND' });
});
