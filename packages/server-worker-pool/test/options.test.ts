import { defineModeOption } from '@switchyard/protocol';
import { expect, test } from 'vitest';
import {
  canTransferSockets,
  DEFAULT_MAX_QUEUED_REQUESTS,
  resolveWorkerPoolOptions,
  workerPoolModes,
  workerPoolOptions,
  workerPoolStrategy,
} from '../src/index.js';

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

test('describes its modes: offload everywhere, handoff where sockets transfer', () => {
  expect(workerPoolStrategy.modes).toBe(workerPoolModes);
  const handoff = workerPoolModes.choices.find((mode) => mode.name === 'handoff');
  const offload = workerPoolModes.choices.find((mode) => mode.name === 'offload');
  expect(offload?.unsupported?.()).toBeUndefined();
  if (canTransferSockets()) {
    expect(handoff?.unsupported?.()).toBeUndefined();
  } else {
    expect(handoff?.unsupported?.()).toMatch(/cannot transfer a net\.Socket/);
  }
  expect(workerPoolModes.auto()).toBe(resolveWorkerPoolOptions({}).mode);
});

test('lists every option it takes beyond the common ones, mode included', () => {
  expect(workerPoolStrategy.options?.map((option) => option.key)).toEqual([
    'workers',
    'mode',
    'affinity',
    'maxQueuedRequests',
  ]);
  expect(workerPoolOptions.mode.value).toEqual(defineModeOption(workerPoolModes).value);
  expect(workerPoolOptions.maxQueuedRequests.defaultText).toBe(String(DEFAULT_MAX_QUEUED_REQUESTS));
});

test('the resolver refuses a value with the same error its option description gives', () => {
  for (const [key, value] of [
    ['workers', 0],
    ['maxQueuedRequests', 2.5],
    ['mode', 'sideways'],
  ] as const) {
    let fromResolver: unknown;
    try {
      resolveWorkerPoolOptions({ [key]: value });
    } catch (error) {
      fromResolver = error;
    }
    expect(() => workerPoolOptions[key].validate(value)).toThrow((fromResolver as Error).message);
  }
});

test('takes maxQueuedRequests and a worker count as given', () => {
  const resolved = resolveWorkerPoolOptions({ workers: 3, maxQueuedRequests: 16, mode: 'offload' });
  expect(resolved).toMatchObject({ workers: 3, maxQueuedRequests: 16, mode: 'offload' });
  expect(resolveWorkerPoolOptions({}).maxQueuedRequests).toBe(DEFAULT_MAX_QUEUED_REQUESTS);
});

test.runIf(!canTransferSockets())(
  'asking for handoff where unsupported fails clearly',
  async () => {
    await expect(workerPoolStrategy.listen({ mode: 'handoff' })).rejects.toMatchObject({
      code: 'SWITCHYARD_ERR_HANDOFF_UNSUPPORTED',
    });
  },
);

test('on a Unix socket path, auto picks offload and handoff is refused (its handle cannot move)', () => {
  const path = '/tmp/switchyard-never-bound.sock';
  expect(resolveWorkerPoolOptions({ path }).mode).toBe('offload');
  expect(() => resolveWorkerPoolOptions({ path, mode: 'handoff' })).toThrow(
    expect.objectContaining({
      code: 'SWITCHYARD_ERR_HANDOFF_UNSUPPORTED',
      message: expect.stringContaining('a Unix domain socket cannot be transferred'),
    }),
  );
});

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
