import { expect, test } from 'vitest';
import { afterDeath, DEFAULT_RESPAWN_POLICY } from '../src/index.js';

const { stableMs, maxDelayMs } = DEFAULT_RESPAWN_POLICY;

test('a process that died after a stable life is replaced at once, whatever came before', () => {
  expect(afterDeath(0, stableMs)).toEqual({ streak: 1, delayMs: 0 });
  expect(afterDeath(7, stableMs + 1)).toEqual({ streak: 1, delayMs: 0 });
});

test('processes that keep dying soon after they start wait twice as long each time, up to the cap', () => {
  let streak = 0;
  const delays: number[] = [];
  for (let death = 0; death < 10; death++) {
    const decision = afterDeath(streak, 50);
    streak = decision.streak;
    delays.push(decision.delayMs);
  }
  expect(delays).toEqual([0, 100, 200, 400, 800, 1600, 3200, 6400, maxDelayMs, maxDelayMs]);
});

test('a policy of your own', () => {
  const policy = { stableMs: 1000, firstDelayMs: 10, maxDelayMs: 25 };
  expect(afterDeath(1, 999, policy)).toEqual({ streak: 2, delayMs: 10 });
  expect(afterDeath(2, 999, policy)).toEqual({ streak: 3, delayMs: 20 });
  expect(afterDeath(3, 999, policy)).toEqual({ streak: 4, delayMs: 25 });
  expect(afterDeath(3, 1000, policy)).toEqual({ streak: 1, delayMs: 0 });
});
