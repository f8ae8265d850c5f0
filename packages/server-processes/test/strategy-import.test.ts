import { ErrorCode } from '@switchyard/protocol';
import { expect, test } from 'vitest';
import { importStrategy } from '../src/index.js';
import { loopStrategy } from './fixtures/loop-strategy.js';
import { fixture } from './helpers.js';

test('a strategy is imported from where it says it is', async () => {
  expect(await importStrategy(loopStrategy.importFrom!)).toBe(loopStrategy);
});

test('a module that is not there, or exports no strategy by that name: SWITCHYARD_ERR_LISTEN_FAILED', async () => {
  await expect(
    importStrategy({ module: fixture('missing.ts'), export: 'loopStrategy' }),
  ).rejects.toMatchObject({ code: ErrorCode.LISTEN_FAILED, message: /cannot import the strategy/ });
  await expect(
    importStrategy({ module: fixture('loop-strategy.ts'), export: 'nothing' }),
  ).rejects.toMatchObject({
    code: ErrorCode.LISTEN_FAILED,
    message: /has no strategy exported as nothing/,
  });
  await expect(
    importStrategy({ module: fixture('delayed-handler.ts'), export: 'default' }),
  ).rejects.toMatchObject({ code: ErrorCode.LISTEN_FAILED });
});
